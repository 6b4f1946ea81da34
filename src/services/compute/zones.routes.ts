import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { describeZones, listZones, type ZoneInfo } from './zones.js';
import {
  addAggregateHost,
  createAggregate,
  deleteAggregate,
  listAggregates,
  removeAggregateHost,
  setAggregateMetadata,
  showAggregate,
  updateAggregate,
  type AggregateRecord,
} from './aggregates.js';
import * as schemas from './zones.schemas.js';
import { invalid, noSuchAction } from '../../domain/errors.js';
import { novaUsecTime } from '../../domain/clock.js';
import { callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import { registerRemovedRoutes } from './removed.routes.js';

const renderZone = (z: ZoneInfo) => ({
  zoneName: z.zoneName,
  zoneState: z.zoneState,
  hosts:
    z.hosts === null
      ? null
      : Object.fromEntries(
          Object.entries(z.hosts).map(([host, svcs]) => [
            host,
            Object.fromEntries(
              Object.entries(svcs).map(([binary, st]) => [binary, { ...st, updated_at: novaUsecTime(st.updated_at) }]),
            ),
          ]),
        ),
});

/** Nova's aggregate view: every field of the object, `uuid` from 2.41; create leaves out hosts and metadata. */
function renderAggregate(request: FastifyRequest, a: AggregateRecord, opts: { brief?: boolean } = {}) {
  const out: Record<string, unknown> = {
    availability_zone: a.metadata.availability_zone ?? null,
    created_at: novaUsecTime(a.created_at),
    deleted: false,
    deleted_at: null,
    id: a.id,
    name: a.name,
    updated_at: novaUsecTime(a.updated_at),
  };
  if (!opts.brief) {
    out.hosts = a.hosts;
    out.metadata = a.metadata;
  }
  if (atLeast(request.mv, 41)) out.uuid = a.uuid;
  return out;
}

/** os-availability-zone and os-aggregates. */
export function registerZoneRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);

  r.add('GET', '/os-availability-zone', async (request) => ({
    availabilityZoneInfo: (await listZones(deps, callerOf(request))).map(renderZone),
  }));
  r.add('GET', '/os-availability-zone/detail', async (request) => ({
    availabilityZoneInfo: (await describeZones(deps, callerOf(request))).map(renderZone),
  }));

  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;
  r.add('GET', '/os-aggregates', async (request) => ({
    aggregates: (await listAggregates(deps, callerOf(request))).map((a) => renderAggregate(request, a)),
  }));
  // Nova answers create with 200 (kept for backwards compatibility), without hosts and metadata.
  r.add(
    'POST',
    '/os-aggregates',
    async (request) => {
      const b = (request.body as { aggregate: { name: string; availability_zone?: string | null } }).aggregate;
      const a = await createAggregate(deps, callerOf(request), { name: b.name, availabilityZone: b.availability_zone });
      return { aggregate: renderAggregate(request, a, { brief: true }) };
    },
    { schema: { body: schemas.createAggregate } },
  );
  r.add('GET', '/os-aggregates/:id', async (request) => ({
    aggregate: renderAggregate(request, await showAggregate(deps, callerOf(request), idOf(request))),
  }));
  r.add(
    'PUT',
    '/os-aggregates/:id',
    async (request) => {
      const b = (request.body as { aggregate: { name?: string; availability_zone?: string | null } }).aggregate;
      const a = await updateAggregate(deps, callerOf(request), idOf(request), b);
      return { aggregate: renderAggregate(request, a) };
    },
    { schema: { body: schemas.updateAggregate } },
  );
  // Nova answers delete with 200 and no body (kept for backwards compatibility).
  r.add('DELETE', '/os-aggregates/:id', async (request, reply) => {
    await deleteAggregate(deps, callerOf(request), idOf(request));
    reply.code(200).type('application/json');
    return reply.send();
  });
  r.add('POST', '/os-aggregates/:id/action', async (request) => {
    const caller = callerOf(request);
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('Malformed request body');
    const keys = Object.keys(body);
    // Nova parity (wsgi.action_peek): no key, or more than one, is a malformed body.
    if (keys.length !== 1) throw invalid('Malformed request body');
    const [key] = keys;
    const id = idOf(request);
    let a: AggregateRecord;
    if (key === 'add_host') a = await addAggregateHost(deps, caller, id, schemas.hostAction(key, body[key]));
    else if (key === 'remove_host') a = await removeAggregateHost(deps, caller, id, schemas.hostAction(key, body[key]));
    else if (key === 'set_metadata')
      a = await setAggregateMetadata(deps, caller, id, schemas.setMetadataAction(body[key]));
    else throw noSuchAction(key);
    return { aggregate: renderAggregate(request, a) };
  });

  r.finish();
  registerRemovedRoutes(app);
}
