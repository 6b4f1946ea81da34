import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { serviceIsUp } from './access.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import { iso } from '../../domain/clock.js';
import { INTERNAL_ZONE, zoneOfHost, zonedServices } from './zones.js';
import { DomainError, computeHostNotFound, invalid, serviceNotFound } from '../../domain/errors.js';

/** A service row with whether it counts as up (heartbeat within service_down_time, not forced down). */
export type ServiceView = {
  row: NonNullable<Awaited<ReturnType<typeof svcRepo.getServiceById>>>;
  up: boolean;
  /** The zone the service is in (an aggregate's wins over the agent's --zone; zones.ts). */
  zone: string;
};

/** Compute services that may take work: enabled and up (Nova's ComputeFilter). */
export async function upComputeServices(deps: Deps) {
  return (await svcRepo.listServices(deps.db, { binary: 'nova-compute' })).filter(
    (s) => !s.disabled && serviceIsUp(deps, s),
  );
}

export async function listServices(deps: Deps, caller: Caller, filter: { host?: string; binary?: string }) {
  authorize(deps, caller, 'os_compute_api:os-services:list', { project_id: caller.projectId });
  const rows = await zonedServices(deps.db, filter);
  return rows.map((r) => ({ row: r, up: serviceIsUp(deps, r), zone: r.availability_zone }));
}

/** PUT /os-services/{id} (2.53+) and the legacy force-down / enable / disable (2.11). */
export async function updateService(
  deps: Deps,
  caller: Caller,
  ref: { id?: string; host?: string; binary?: string },
  changes: { status?: 'enabled' | 'disabled'; disabledReason?: string | null; forcedDown?: boolean },
) {
  authorize(deps, caller, 'os_compute_api:os-services:update', { project_id: caller.projectId });
  let row: ServiceView['row'] | undefined;
  if (ref.id) row = await svcRepo.getServiceById(deps.db, ref.id);
  else if (ref.host && ref.binary)
    row = (await svcRepo.listServices(deps.db, { host: ref.host, binary: ref.binary }))[0];
  if (!row) throw ref.id ? serviceNotFound(ref.id) : computeHostNotFound(String(ref.host));
  if (row.binary !== 'nova-compute' && changes.forcedDown !== undefined)
    throw invalid('Updating a nova-compute service is only supported for forced_down.');
  const set: Record<string, unknown> = { updated_at: iso(deps.clock.now()) };
  if (changes.status !== undefined) {
    set.disabled = changes.status === 'disabled' ? 1 : 0;
    set.disabled_reason = changes.status === 'disabled' ? (changes.disabledReason ?? null) : null;
  }
  if (changes.forcedDown !== undefined) set.forced_down = changes.forcedDown ? 1 : 0;
  await svcRepo.updateService(deps.db, row.id, set);
  const updated = (await svcRepo.getServiceById(deps.db, row.id))!;
  const zone =
    updated.topic === 'compute' ? ((await zoneOfHost(deps.db, updated.host)) ?? updated.zone) : INTERNAL_ZONE;
  return { row: updated, up: serviceIsUp(deps, updated), zone };
}
