import { invalid } from '../../domain/errors.js';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer, serviceIsUp } from './access.js';
import { recordAction } from './record-action.js';
import { powerAction, serverForCheck } from './server-actions.js';
import { showImage } from '../image/images.js';
import * as catalog from '../../db/repositories/catalog.repository.js';
import { volumeBackedRoot } from './boot-volumes.js';
import { listPorts } from '../network/ports.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import * as tasksRepo from '../../db/repositories/tasks.repository.js';
import * as passwords from '../../db/repositories/server-passwords.repository.js';
import type { GuestDiagnostics } from '../../drivers/driver.js';
import type { DiagnosticsAnswer, PasswordAnswer } from '../../agent/rescue-handlers.js';
import { iso } from '../../domain/clock.js';
import { hasSecrets, withoutSecrets } from '../../domain/task-secrets.js';
import { LIFECYCLE, checkAction, type ServerAction } from '../../domain/lifecycle.js';
import {
  conflict,
  DomainError,
  instancePasswordSetFailed,
  invalidState,
  serverLocked,
  serverNotReady,
  setAdminPasswdNotSupported,
  unsupportedRescueImage,
} from '../../domain/errors.js';

export type { GuestDiagnostics };

/** Nova's utils.generate_password: 12 characters when the caller gave none. */
function generatePassword(): string {
  return randomBytes(9).toString('base64url').slice(0, 12);
}

type ServerRow = servers.ServerRow;

/** Scope, policy, the table's check, and a live node for the work (else Nova's "not ready", 409). */
async function accepted(deps: Deps, caller: Caller, id: string, action: ServerAction): Promise<ServerRow> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, LIFECYCLE[action].rule, { project_id: row.project_id, user_id: row.user_id });
  checkAction(action, serverForCheck(row), caller.isAdmin);
  const svc = row.host ? await svcRepo.getComputeService(deps.db, row.host) : undefined;
  if (!row.host || !serviceIsUp(deps, svc)) throw serverNotReady(row.id);
  return row;
}

/** Compare-and-set the action's task_state (a lock or another action that landed meanwhile wins), record it, enqueue. */
async function start(
  deps: Deps,
  caller: Caller,
  row: ServerRow,
  action: ServerAction,
  payload: Record<string, unknown>,
) {
  const spec = LIFECYCLE[action];
  const task = await deps.transact(async (tx) => {
    const ok = await servers.casUpdateServer(
      tx,
      row.id,
      row.task_state,
      { task_state: spec.setsTaskState, updated_at: iso(deps.clock.now()) },
      { expectUnlocked: !caller.isAdmin },
    );
    if (!ok) {
      const now = await servers.getServer(tx, row.id);
      if (now && now.locked_by !== null && !caller.isAdmin) throw serverLocked(row.id);
      throw invalidState(spec.novaAction, row.id, 'task_state', now?.task_state ?? null);
    }
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    return deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host: row.host!,
      payload: { actionId, requestId: caller.requestId, ...payload },
    });
  });
  deps.tasks.dispatch([task]);
  return task;
}

/** Waits for the node's answer in the task row (then removes the row); undefined when none came. */
async function answerOf<T>(deps: Deps, taskId: string): Promise<T | undefined> {
  // deps.config.rpcResponseTimeout: Nova's rpc_response_timeout (Stratus' default 10 s).
  const end = Date.now() + deps.config.rpcResponseTimeout * 1000;
  while (Date.now() < end) {
    const t = await tasksRepo.getTask(deps.db, taskId);
    if (!t) return undefined; // the node found the work superseded and closed it
    if (t.state === 'done' || t.state === 'dead') {
      await tasksRepo.deleteTask(deps.db, taskId);
      return t.state === 'done' && t.result ? (JSON.parse(t.result) as T) : undefined;
    }
    await sleep(20);
  }
  return undefined;
}

export interface RescueInput {
  adminPass?: string;
  rescueImageRef?: string;
  /** 2.87+: a volume-backed server may be rescued with a stable-device rescue image. */
  allowVolumeBackedRescue?: boolean;
}

/**
 * rescue (nova/api/openstack/compute/rescue.py, compute/api.py API.rescue): lock and state
 * check, the rescue image (an unknown or invisible one is UnsupportedRescueImage, 400), then
 * RESCUING on the node. Returns the password, the caller's or a generated one.
 */
export async function rescueServer(deps: Deps, caller: Caller, id: string, input: RescueInput): Promise<string> {
  const row = await accepted(deps, caller, id, 'rescue');
  let rescueImageId = row.image_id;
  if (input.rescueImageRef !== undefined) {
    try {
      rescueImageId = (await showImage(deps, caller, input.rescueImageRef)).id;
    } catch (e) {
      if (e instanceof DomainError && e.kind === 'not-found') throw unsupportedRescueImage(input.rescueImageRef);
      throw e;
    }
  }
  // Nova's API.rescue: a volume-backed server is not rescuable, except from 2.87 with a rescue
  // image asking for a stable device (hw_rescue_bus or hw_rescue_device).
  if (await volumeBackedRoot(deps, row.id)) {
    const props =
      input.rescueImageRef !== undefined ? (await catalog.getImage(deps.db, rescueImageId))?.properties : undefined;
    const p = props ? (JSON.parse(props) as Record<string, unknown>) : {};
    const stable = 'hw_rescue_bus' in p || 'hw_rescue_device' in p;
    if (!(input.allowVolumeBackedRescue && stable))
      throw invalid(`Instance ${row.id} cannot be rescued: Cannot rescue a volume-backed instance`);
  }
  const password = input.adminPass ?? generatePassword();
  await start(deps, caller, row, 'rescue', { rescueImageId });
  return password;
}

/** unrescue: back to ACTIVE on the original disk (API.unrescue: lock, vm_state RESCUED). */
export async function unrescueServer(deps: Deps, caller: Caller, id: string): Promise<void> {
  await powerAction(deps, caller, id, 'unrescue', {});
}

/**
 * changePassword (admin_password.py, API.set_admin_password): ACTIVE, unlocked, no task; the
 * node sets it while the request waits (Nova's RPC call), then 202. A hypervisor that cannot is
 * Nova's SetAdminPasswdNotSupported (409); one that fails, InstancePasswordSetFailed (409).
 */
export async function changePassword(deps: Deps, caller: Caller, id: string, password: string): Promise<void> {
  const row = await accepted(deps, caller, id, 'changePassword');
  const task = await start(deps, caller, row, 'changePassword', { password });
  const answer = await answerOf<PasswordAnswer>(deps, task.id);
  if (answer === undefined && (await withdrawPassword(deps, task.id, row.id)))
    throw instancePasswordSetFailed(row.id, 'its compute node did not answer');
  if (answer && 'ok' in answer) return;
  if (answer?.error === 'not-supported') throw setAdminPasswdNotSupported();
  if (answer?.error === 'failed') throw instancePasswordSetFailed(row.id, answer.reason);
  const now = await servers.getServer(deps.db, row.id);
  if (now && now.task_state !== 'updating_password')
    throw invalidState('changePassword', row.id, 'task_state', now.task_state);
  // Nova would answer 500 after its RPC timeout; a 409 naming the cause is more useful.
  throw instancePasswordSetFailed(row.id, 'its compute node did not answer');
}

/**
 * The request stops waiting: no plaintext password may stay in the tasks table. A task no node
 * has taken is withdrawn (true; the server's task_state with it, since nothing else would reset
 * it); one a node holds keeps running with the password it already read, its row scrubbed.
 */
async function withdrawPassword(deps: Deps, taskId: string, serverId: string): Promise<boolean> {
  return deps.transact(async (tx) => {
    if (await tasksRepo.deleteQueuedTask(tx, taskId)) {
      await servers.casUpdateServer(tx, serverId, 'updating_password', {
        task_state: null,
        updated_at: iso(deps.clock.now()),
      });
      return true;
    }
    const t = await tasksRepo.getTask(tx, taskId);
    if (t && hasSecrets(t.payload)) await tasksRepo.setTaskPayload(tx, taskId, withoutSecrets(t.payload));
    return false;
  });
}

/** os-server-password GET (server_password.py): the posted password, '' when there is none. */
export async function showServerPassword(deps: Deps, caller: Caller, id: string): Promise<string> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:os-server-password:show', { project_id: row.project_id });
  return (await passwords.getServerPassword(deps.db, row.id)) ?? '';
}

/** os-server-password DELETE: forgets it (Nova empties the system_metadata keys); 204 either way. */
export async function clearServerPassword(deps: Deps, caller: Caller, id: string): Promise<void> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:os-server-password:clear', { project_id: row.project_id });
  await passwords.clearServerPassword(deps.db, row.id);
}

export interface Diagnostics {
  guest: GuestDiagnostics;
  nics: Array<{ macAddress: string }>;
}

/**
 * GET /servers/{id}/diagnostics (server_diagnostics.py): a question to the node, which answers
 * for a running guest only (Nova's manager: InstanceInvalidState on power_state, 409).
 */
export async function serverDiagnostics(deps: Deps, caller: Caller, id: string): Promise<Diagnostics> {
  const row = await findServer(deps.db, caller, id);
  const spec = LIFECYCLE.getDiagnostics;
  authorize(deps, caller, spec.rule, { project_id: row.project_id });
  checkAction('getDiagnostics', serverForCheck(row), caller.isAdmin);
  const svc = row.host ? await svcRepo.getComputeService(deps.db, row.host) : undefined;
  if (!row.host || !serviceIsUp(deps, svc)) throw serverNotReady(row.id);
  const task = await deps.transact((tx) =>
    deps.tasks.enqueue(tx, { kind: spec.task!, serverId: row.id, host: row.host!, payload: {} }),
  );
  deps.tasks.dispatch([task]);
  const answer = await answerOf<DiagnosticsAnswer>(deps, task.id);
  if (answer && 'diagnostics' in answer) {
    const ports = await listPorts(deps, caller, { deviceId: [row.id] });
    return { guest: answer.diagnostics as GuestDiagnostics, nics: ports.map((p) => ({ macAddress: p.mac_address })) };
  }
  if (answer?.error === 'power_state') throw invalidState(spec.novaAction, row.id, 'power_state', answer.state);
  // Nova would answer 500 (a hypervisor error, or its RPC timeout); a 409 naming the cause is more useful.
  throw conflict(
    `Unable to get diagnostics for instance ${row.id}: ${answer?.error === 'failed' ? answer.reason : 'its compute node did not answer'}`,
    'InstanceDiagnosticsUnavailable',
  );
}
