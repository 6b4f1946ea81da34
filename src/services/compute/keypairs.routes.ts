import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { createKeypair, deleteKeypair, listKeypairs, showKeypair, MAX_KEYPAIR_LIMIT } from './keypairs.js';
import { parseCreateKeypair, parseKeypairQuery } from './keypairs.schemas.js';
import { renderKeypairBrief, renderKeypairCreated, renderKeypairDetail } from './keypairs.view.js';
import { baseUrl, callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import type { Query } from '../../http/query.js';

/** os-keypairs (nova/api/openstack/compute/keypairs.py). */
export function registerKeypairRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  const minor = (request: FastifyRequest) => request.mv.minor;
  const nameOf = (request: FastifyRequest) => (request.params as { name: string }).name;
  // Nova reads user_id with getall()[0] (the first value), limit and marker with the last.
  const listQuery = ['user_id', 'limit', 'marker'];

  r.add(
    'GET',
    '/os-keypairs',
    async (request) => {
      const q = request.query as Query;
      const parsed = parseKeypairQuery(q, minor(request), { paging: true });
      const rows = await listKeypairs(deps, callerOf(request), parsed);
      const o = { withType: atLeast(request.mv, 2) };
      const body: Record<string, unknown> = { keypairs: rows.map((k) => ({ keypair: renderKeypairBrief(k, o) })) };
      // Nova's _get_collection_links: a next link when the page is as long as the (capped) limit.
      const max = Math.min(parsed.limit ?? MAX_KEYPAIR_LIMIT, MAX_KEYPAIR_LIMIT);
      if (atLeast(request.mv, 35) && max > 0 && rows.length === max) {
        const params: Record<string, string> = {};
        for (const [k, v] of Object.entries(q)) if (v !== undefined) params[k] = Array.isArray(v) ? v[v.length - 1] : v;
        params.marker = rows[rows.length - 1].name;
        const search = new URLSearchParams(
          Object.keys(params)
            .sort()
            .map((k) => [k, params[k]]),
        );
        const p = (request.params as { project_id?: string }).project_id;
        const href = `${baseUrl(request)}/v2.1${p ? `/${p}` : ''}/os-keypairs?${search.toString()}`;
        body.keypairs_links = [{ rel: 'next', href }];
      }
      return body;
    },
    { listQuery },
  );

  r.add('POST', '/os-keypairs', async (request, reply) => {
    const b = parseCreateKeypair(request.body, minor(request));
    const res = await createKeypair(deps, callerOf(request), {
      name: b.name,
      type: b.type,
      publicKey: b.publicKey,
      userId: b.userId,
    });
    // Nova: 200 before 2.2, 201 from 2.2.
    reply.code(atLeast(request.mv, 2) ? 201 : 200);
    return { keypair: renderKeypairCreated(res.row, res.privateKey, { withType: atLeast(request.mv, 2) }) };
  });

  r.add(
    'GET',
    '/os-keypairs/:name',
    async (request) => {
      const q = parseKeypairQuery(request.query as Query, minor(request), { paging: false });
      const row = await showKeypair(deps, callerOf(request), nameOf(request), q);
      return { keypair: renderKeypairDetail(row, { withType: atLeast(request.mv, 2) }) };
    },
    { listQuery },
  );

  r.add(
    'DELETE',
    '/os-keypairs/:name',
    async (request, reply) => {
      const q = parseKeypairQuery(request.query as Query, minor(request), { paging: false });
      await deleteKeypair(deps, callerOf(request), nameOf(request), q);
      // Nova: 202 before 2.2, 204 from 2.2.
      reply.code(atLeast(request.mv, 2) ? 204 : 202).type('application/json');
      return reply.send();
    },
    { listQuery },
  );

  r.finish();
}
