import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer } from './access.js';
import { recordAction } from './record-action.js';
import { upComputeServices } from './services.js';
import { availableZones, placementCandidates, zoneOfHost } from './zones.js';
import { serverForCheck } from './server-actions.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import { iso } from '../../domain/clock.js';
import { LIFECYCLE, checkAction } from '../../domain/lifecycle.js';
import { conflict, invalid, invalidState, serverLocked } from '../../domain/errors.js';

/** What the unshelve body asks for (shelve.py _unshelve): `zone` absent = not passed, null = unpin (2.91). */
export interface UnshelveInput {
  zone?: string | null;
  host?: string;
}

/**
 * POST /servers/{id}/action {"unshelve"} (nova/compute/api.py API.unshelve): scope, the unshelve
 * rule, the lifecycle check; then, when a zone or a host is given, the server must be
 * SHELVED_OFFLOADED (409), the zone must be available (400), the host needs
 * unshelve_to_host, must exist (400) and lie in the zone the server will be pinned to (409).
 * A SHELVED server goes back to its own node; an offloaded one to the least loaded up node of
 * its (new) zone, or to the requested host.
 */
export async function unshelveServer(deps: Deps, caller: Caller, id: string, input: UnshelveInput): Promise<void> {
  const spec = LIFECYCLE.unshelve;
  const row = await findServer(deps.db, caller, id);
  // Nova's unshelve rule targets the project only.
  authorize(deps, caller, spec.rule, { project_id: row.project_id });
  checkAction('unshelve', serverForCheck(row), caller.isAdmin);
  const zonePassed = input.zone !== undefined;
  if ((zonePassed || input.host) && row.vm_state !== 'shelved_offloaded')
    throw conflict(
      `Specifying an availability zone or a host when unshelving server "${row.id}" with status "${row.vm_state}" is not supported. The server status must be SHELVED_OFFLOADED.`,
      'UnshelveInstanceInvalidState',
    );
  if (zonePassed && input.zone && !(await availableZones(deps)).includes(input.zone))
    throw invalid('The requested availability zone is not available');
  const pinned = zonePassed ? (input.zone ?? null) : (row.pinned_availability_zone ?? null);
  if (input.host) {
    authorize(deps, caller, 'os_compute_api:os-shelve:unshelve_to_host', {
      project_id: row.project_id,
      user_id: row.user_id,
    });
    if (!(await svcRepo.getComputeService(deps.db, input.host)))
      throw invalid(`Compute host ${input.host} could not be found.`);
    if (pinned !== null && (await zoneOfHost(deps.db, input.host)) !== pinned)
      throw conflict(`Host "${input.host}" is not in the availability zone "${pinned}".`, 'UnshelveHostNotInAZ');
  }
  const host = row.host ?? (await pickHost(deps, { host: input.host, zone: pinned ?? undefined }));
  if (!host) throw conflict(`Cannot '${spec.novaAction}' instance ${row.id}: no compute host is available`);
  const changes: servers.ServerChanges = { task_state: spec.setsTaskState, updated_at: iso(deps.clock.now()) };
  if (zonePassed) changes.pinned_availability_zone = pinned;
  const task = await deps.transact(async (tx) => {
    // The checks above are repeated in the write: a task or a lock that landed meanwhile wins.
    if (!(await servers.casUpdateServer(tx, row.id, null, changes, { expectUnlocked: !caller.isAdmin }))) {
      const now2 = await servers.getServer(tx, row.id);
      if (now2 && now2.locked_by !== null && !caller.isAdmin) throw serverLocked(row.id);
      throw invalidState(spec.novaAction, row.id, 'task_state', now2?.task_state ?? null);
    }
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    return deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host,
      payload: { actionId, requestId: caller.requestId },
    });
  });
  deps.tasks.dispatch([task]);
}

/** The scheduler's choice for an offloaded server: enabled, up, in the zone (or the host), least loaded. */
async function pickHost(deps: Deps, where: { host?: string; zone?: string }): Promise<string | null> {
  const svcs = await placementCandidates(deps, await upComputeServices(deps), where);
  if (svcs.length === 0) return null;
  const count = await servers.liveServerCounts(
    deps.db,
    svcs.map((s) => s.host),
  );
  const ranked = [...svcs].sort((a, b) => (count.get(a.host) ?? 0) - (count.get(b.host) ?? 0));
  return ranked[0].host;
}
