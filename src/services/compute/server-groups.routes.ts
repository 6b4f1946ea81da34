import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { createServerGroup, deleteServerGroup, listServerGroups, showServerGroup } from './server-groups.js';
import { parseCreateServerGroup, parseServerGroupQuery } from './server-groups.schemas.js';
import { renderServerGroup } from './server-groups.view.js';
import { callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import type { Query } from '../../http/query.js';

/** os-server-groups (nova/api/openstack/compute/server_groups.py). */
export function registerServerGroupRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  const view = (request: FastifyRequest) => ({ v213: atLeast(request.mv, 13), v264: atLeast(request.mv, 64) });
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  // Every value of limit and offset is checked (multi_params); the last one counts.
  r.add(
    'GET',
    '/os-server-groups',
    async (request) => {
      const q = parseServerGroupQuery(request.query as Query, request.mv.minor);
      const groups = await listServerGroups(deps, callerOf(request), q);
      return { server_groups: groups.map((g) => renderServerGroup(g, view(request))) };
    },
    { listQuery: ['limit', 'offset'] },
  );

  r.add('POST', '/os-server-groups', async (request) => {
    const b = parseCreateServerGroup(request.body, request.mv.minor);
    const g = await createServerGroup(deps, callerOf(request), b);
    // Nova answers 200 here (no wsgi.response decorator on create).
    return { server_group: renderServerGroup(g, view(request)) };
  });

  r.add('GET', '/os-server-groups/:id', async (request) => ({
    server_group: renderServerGroup(await showServerGroup(deps, callerOf(request), idOf(request)), view(request)),
  }));

  r.add('DELETE', '/os-server-groups/:id', async (request, reply) => {
    await deleteServerGroup(deps, callerOf(request), idOf(request));
    reply.code(204).type('application/json');
    return reply.send();
  });

  r.finish();
}
