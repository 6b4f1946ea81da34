/**
 * POST /os-server-external-events (nova/api/openstack/compute/server_external_events.py): the
 * other services (Neutron, Cinder, Cyborg) tell Nova about a server. Each event is answered on
 * its own: 404 for an unknown server, 400 for a tag-required event without one, 422 for a
 * server on no host yet, else 200 "completed"; any dropped event makes the whole answer 207.
 * Nova has answered 207 and never 404 since it removed the "all dropped" 404 (bug 1855752).
 * Stratus has no waiter for these events (it does not plug VIFs or extend volumes), so an
 * accepted event is reported as Nova reports it and otherwise has no effect.
 */
import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import * as servers from '../../db/repositories/servers.repository.js';
import type { ExternalEvent } from './server-external-events.schemas.js';

/** Nova's TAG_REQUIRED. */
const TAG_REQUIRED = new Set(['volume-extended', 'power-update', 'accelerator-request-bound']);

export type EventResult = ExternalEvent & { status: string; code: 200 | 400 | 404 | 422 };

export async function createExternalEvents(
  deps: Deps,
  caller: Caller,
  events: ExternalEvent[],
): Promise<{ status: 200 | 207; events: EventResult[] }> {
  authorize(deps, caller, 'os_compute_api:os-server-external-events:create', { project_id: caller.projectId });
  const found = new Map<string, Awaited<ReturnType<typeof servers.getServer>>>();
  for (const id of new Set(events.map((e) => e.server_uuid))) {
    const uuid = canonicalUuid(id);
    found.set(id, uuid ? await servers.getServer(deps.db, uuid) : undefined);
  }
  let status: 200 | 207 = 200;
  const out = events.map((e): EventResult => {
    const server = found.get(e.server_uuid);
    let code: EventResult['code'];
    if (!server) code = 404;
    else if (TAG_REQUIRED.has(e.name) && e.tag === undefined) code = 400;
    else if (server.host) code = 200;
    else code = 422;
    if (code !== 200) status = 207;
    return { ...e, status: code === 200 ? 'completed' : 'failed', code };
  });
  return { status, events: out };
}
