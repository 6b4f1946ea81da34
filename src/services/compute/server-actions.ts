import type { Caller, Deps } from '../context.js';
import { authorize, allowed } from '../access.js';
import { findServer, serviceIsUp } from './access.js';
import { recordAction } from './record-action.js';
import { deleteServer } from './delete-server.js';
import { upComputeServices } from './services.js';
import { reserveServers } from './quotas.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import { iso } from '../../domain/clock.js';
import { LIFECYCLE, actionForKey, checkAction, type ServerForCheck } from '../../domain/lifecycle.js';
import { conflict, invalid, invalidState, policyRefused, serverLocked } from '../../domain/errors.js';
import { isVmState } from '../../domain/states.js';
import type { Executor } from '../../db/executor.js';

/**
 * The actions the compute node carries out (stop, start, reboot, pause, unpause, suspend,
 * resume, shelve, shelveOffload, unshelve): checked against the lifecycle table, then handed
 * to the node.
 */
export async function powerAction(
  deps: Deps,
  caller: Caller,
  id: string,
  key: string,
  body: Record<string, unknown>,
): Promise<void> {
  const rebootType =
    key === 'reboot'
      ? (String((body as { type?: string }).type ?? 'SOFT').toUpperCase() as 'SOFT' | 'HARD')
      : undefined;
  const action = actionForKey(key, { rebootType });
  if (!action) throw new Error(`not a server action: ${key}`);
  const spec = LIFECYCLE[action];
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, spec.rule, { project_id: row.project_id, user_id: row.user_id });
  checkAction(action, serverForCheck(row), caller.isAdmin);
  // unshelve of an offloaded server needs a host; Stratus returns it to its previous node or any up node.
  let host = row.host;
  if (!host) {
    const svcs = await upComputeServices(deps);
    host = svcs[0]?.host ?? null;
    if (!host) throw conflict(`Cannot '${spec.novaAction}' instance ${row.id}: no compute host is available`);
  }
  const now = iso(deps.clock.now());
  const task = await deps.transact(async (tx) => {
    // The lock check above is repeated in the write: a lock that lands meanwhile wins.
    const ok = await servers.casUpdateServer(
      tx,
      row.id,
      row.task_state,
      { task_state: spec.setsTaskState, updated_at: now },
      { expectUnlocked: !caller.isAdmin },
    );
    if (!ok) {
      const now2 = await servers.getServer(tx, row.id);
      if (now2 && now2.locked_by !== null && !caller.isAdmin) throw serverLocked(row.id);
      throw invalidState(spec.novaAction, row.id, 'task_state', now2?.task_state ?? null);
    }
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    return deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host: host!,
      payload: { actionId, requestId: caller.requestId, rebootType },
    });
  });
  deps.tasks.dispatch([task]);
}

/** lock (docs/delete-server.md B39): owner or admin; `locked_by` remembers who, so an owner cannot lift an admin's lock. */
export async function lockServer(deps: Deps, caller: Caller, id: string, reason: string | null): Promise<void> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, LIFECYCLE.lock.rule, { project_id: row.project_id, user_id: row.user_id });
  const lockedBy = caller.projectId === row.project_id ? 'owner' : 'admin';
  // Nova parity: re-locking an already locked server is a no-op.
  if (row.locked_by !== null) return;
  await deps.transact(async (tx) => {
    if (
      !(await servers.casUpdateServer(
        tx,
        row.id,
        undefined,
        { locked_by: lockedBy, locked_reason: reason, updated_at: iso(deps.clock.now()) },
        { expectUnlocked: true },
      ))
    )
      return;
    await recordAction(deps, tx, caller, row.id, LIFECYCLE.lock.novaAction, { finished: true, event: 'api_lock' });
  });
}

/** unlock (docs/delete-server.md B40, B41): an admin's lock needs unlock_override. */
export async function unlockServer(deps: Deps, caller: Caller, id: string): Promise<void> {
  // The decision holds only for the lock it saw: if the lock changed meanwhile (an admin locked
  // it), decide again instead of lifting a lock the caller was never authorised to lift.
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await findServer(deps.db, caller, id);
    const target = { project_id: row.project_id, user_id: row.user_id };
    authorize(deps, caller, LIFECYCLE.unlock.rule, target);
    const callerIsOwner = caller.projectId === row.project_id;
    if (row.locked_by !== null && !(row.locked_by === 'owner' && callerIsOwner)) {
      if (!allowed(deps, caller, 'os_compute_api:os-lock-server:unlock:unlock_override', target)) {
        throw policyRefused('os_compute_api:os-lock-server:unlock:unlock_override');
      }
    }
    const done = await deps.transact(async (tx) => {
      if (!(await servers.unlockIfLockedBy(tx, row.id, row.locked_by, iso(deps.clock.now())))) return false;
      await recordAction(deps, tx, caller, row.id, LIFECYCLE.unlock.novaAction, {
        finished: true,
        event: 'api_unlock',
      });
      return true;
    });
    if (done) return;
  }
  throw conflict(`Instance ${id} is being locked and unlocked concurrently; try again`);
}

/** os-resetState (admin): sets vm_state, clears task_state, as Nova. */
export async function resetState(deps: Deps, caller: Caller, id: string, state: string): Promise<void> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, LIFECYCLE.resetState.rule, { project_id: row.project_id, user_id: row.user_id });
  const vm = state === 'error' ? 'error' : state === 'active' ? 'active' : null;
  if (!vm || !isVmState(vm))
    throw invalid(
      `Invalid input for field/attribute state. Value: ${state}. '${state}' is not one of ['active', 'error']`,
    );
  await deps.transact(async (tx) => {
    await servers.casUpdateServer(tx, row.id, undefined, {
      vm_state: vm,
      task_state: null,
      updated_at: iso(deps.clock.now()),
    });
    await recordAction(deps, tx, caller, row.id, LIFECYCLE.resetState.novaAction, { finished: true });
  });
}

/** restore of a SOFT_DELETED server (docs/delete-server.md B33–B35). */
export async function restoreServer(deps: Deps, caller: Caller, id: string): Promise<void> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, LIFECYCLE.restore.rule, { project_id: row.project_id, user_id: row.user_id });
  checkAction('restore', serverForCheck(row), caller.isAdmin);
  const now = iso(deps.clock.now());
  const svc = row.host ? await svcRepo.getComputeService(deps.db, row.host) : undefined;
  const task = await deps.transact(async (tx) => {
    // Nova parity (compute/api.py restore): a soft-deleted server holds no quota, so it must fit again.
    await reserveServers(deps, tx, row.project_id, JSON.parse(row.flavor), 1, 1, row.user_id);
    if (row.host && serviceIsUp(deps, svc)) {
      const ok = await servers.casUpdateServer(tx, row.id, null, {
        task_state: LIFECYCLE.restore.setsTaskState,
        deleted_at: null,
        updated_at: now,
      });
      if (!ok) throw await restoreRaceLost(tx, row.id);
      const actionId = await recordAction(deps, tx, caller, row.id, 'restore');
      return deps.tasks.enqueue(tx, {
        kind: LIFECYCLE.restore.task!,
        serverId: row.id,
        host: row.host,
        payload: { actionId, requestId: caller.requestId },
      });
    } else {
      const ok = await servers.casUpdateServer(tx, row.id, null, {
        vm_state: 'active',
        task_state: null,
        deleted_at: null,
        updated_at: now,
      });
      if (!ok) throw await restoreRaceLost(tx, row.id);
      await recordAction(deps, tx, caller, row.id, 'restore', { finished: true });
      return undefined;
    }
  });
  deps.tasks.dispatch([task]);
}

/** forceDelete (docs/delete-server.md B36–B38): a hard delete from any state, whatever reclaim says. */
export async function forceDeleteServer(deps: Deps, caller: Caller, id: string): Promise<void> {
  await deleteServer(deps, caller, id, { force: true });
}

/** Another request changed the server between the check and the write: name the state it left. */
async function restoreRaceLost(tx: Executor, id: string) {
  const current = await servers.getServer(tx, id);
  return invalidState('restore', id, 'task_state', current?.task_state ?? null);
}

/** The part of a server row the lifecycle checks read. */
export function serverForCheck(row: servers.ServerRow): ServerForCheck {
  return {
    id: row.id,
    vmState: row.vm_state,
    taskState: row.task_state,
    locked: row.locked_by !== null,
    launchedAt: row.launched_at,
    host: row.host,
  };
}
