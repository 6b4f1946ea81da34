import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer } from './access.js';
import { recordAction } from './record-action.js';
import { serverForCheck } from './server-actions.js';
import {
  allocateInterfacePort,
  getPortIfVisible,
  portsOfServer,
  releaseInterfacePort,
  tagInterfacePort,
} from '../network/interface-ports.js';
import type { PortRow } from '../network/ports.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as tasksRepo from '../../db/repositories/tasks.repository.js';
import type { ServerRow } from '../../db/repositories/servers.repository.js';
import { iso } from '../../domain/clock.js';
import {
  interfaceAttachFailed,
  invalid,
  invalidState,
  serverLocked,
  serverNotReady,
  portNotFound,
  portNotOfServer,
  portNotAttached,
} from '../../domain/errors.js';
import { LIFECYCLE, checkAction, type ServerAction } from '../../domain/lifecycle.js';

/** os-interface (nova/api/openstack/compute/attach_interfaces.py). */

export interface AttachedPort {
  port: PortRow;
  tag: string | null;
}

/** How long an attach waits for its compute node (Nova: the RPC call's timeout). */
const ATTACH_WAIT_MS = 30_000;
const POLL_MS = 20;

/** GET /servers/{id}/os-interface: the ports whose device_id is the server. */
export async function listInterfaces(deps: Deps, caller: Caller, serverId: string): Promise<AttachedPort[]> {
  const row = await findServer(deps.db, caller, serverId);
  authorize(deps, caller, 'os_compute_api:os-attach-interfaces:list', { project_id: row.project_id });
  return portsOfServer(deps.db, row.id);
}

/** GET /servers/{id}/os-interface/{port_id}. */
export async function showInterface(deps: Deps, caller: Caller, serverId: string, portId: string) {
  const row = await findServer(deps.db, caller, serverId);
  authorize(deps, caller, 'os_compute_api:os-attach-interfaces:show', { project_id: row.project_id });
  const all = await portsOfServer(deps.db, row.id);
  const found = all.find((a) => a.port.id === portId.toLowerCase());
  if (!found) {
    // Nova shows the port first (404 when Neutron hides it from the caller), then compares device_id.
    if (!(await getPortIfVisible(deps.db, caller, portId))) throw portNotFound(portId);
    throw portNotOfServer(serverId, portId);
  }
  return found;
}

/** Nova's check_instance_lock + check_instance_state for os-interface, repeated in the write (a lock that lands meanwhile wins). */
async function claimServer(
  deps: Deps,
  tx: Parameters<typeof servers.getServer>[0],
  caller: Caller,
  row: ServerRow,
  action: ServerAction,
) {
  const ok = await servers.casUpdateServer(
    tx,
    row.id,
    null,
    { updated_at: iso(deps.clock.now()) },
    { expectUnlocked: !caller.isAdmin },
  );
  if (!ok) {
    const now = await servers.getServer(tx, row.id);
    if (now && now.locked_by !== null && !caller.isAdmin) throw serverLocked(row.id);
    throw invalidState(LIFECYCLE[action].novaAction, row.id, 'task_state', now?.task_state ?? null);
  }
}

export interface AttachRequest {
  netId?: string;
  portId?: string;
  fixedIp?: string;
  tag?: string;
}

/**
 * POST /servers/{id}/os-interface. The port is claimed (or created) here, in one transaction
 * with the check; the compute node plugs it in and binds it; the request waits for that, as
 * Nova's API waits on its RPC call. A node that fails leaves the port as it found it (created
 * one deleted, the user's unbound) and the answer is Nova's 500 InterfaceAttachFailed.
 */
export async function attachInterface(
  deps: Deps,
  caller: Caller,
  serverId: string,
  req: AttachRequest,
): Promise<AttachedPort> {
  const row = await findServer(deps.db, caller, serverId);
  const spec = LIFECYCLE.attachInterface;
  authorize(deps, caller, spec.rule, { project_id: row.project_id });
  if (req.netId && req.portId) throw invalid('Must not input both network_id and port_id');
  if (req.fixedIp && !req.netId) throw invalid('Must input network_id when request IP address');
  checkAction('attachInterface', serverForCheck(row), caller.isAdmin);
  if (!row.host) throw serverNotReady(row.id);
  const { task, portId } = await deps.transact(async (tx) => {
    await claimServer(deps, tx, caller, row, 'attachInterface');
    const port = await allocateInterfacePort(deps, tx, caller, row, {
      portId: req.portId,
      networkId: req.netId,
      fixedIp: req.fixedIp,
    });
    await tagInterfacePort(deps, tx, port.id, row.id, req.tag ?? null);
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    const task = await deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host: row.host!,
      payload: { actionId, requestId: caller.requestId, portId: port.id },
    });
    return { task, portId: port.id };
  });
  deps.tasks.dispatch([task]);
  const end = Date.now() + ATTACH_WAIT_MS;
  for (;;) {
    const t = await tasksRepo.getTask(deps.db, task.id);
    if (!t) break; // the node finished: the port's binding says how
    const timedOut = Date.now() >= end;
    if (t.state === 'dead' || (timedOut && t.state === 'queued')) {
      // The node never ran it (or crashed on it): take the task back and undo the claim.
      await deps.transact(async (tx) => {
        await tasksRepo.deleteTask(tx, task.id);
        await releaseInterfacePort(deps, tx, portId, row.id);
      });
      throw interfaceAttachFailed(row.id);
    }
    if (timedOut) throw interfaceAttachFailed(row.id); // still running: it finishes or rolls back on its own
    await sleep(POLL_MS);
  }
  const attached = (await portsOfServer(deps.db, row.id)).find((a) => a.port.id === portId);
  if (!attached || attached.port.binding_host_id === '') throw interfaceAttachFailed(row.id);
  return attached;
}

/**
 * DELETE /servers/{id}/os-interface/{port_id}: Nova casts the detach (202) and the node unplugs
 * the port, then deletes it (created for the server) or unbinds it (the user's).
 */
export async function detachInterface(deps: Deps, caller: Caller, serverId: string, portId: string): Promise<void> {
  const row = await findServer(deps.db, caller, serverId);
  const spec = LIFECYCLE.detachInterface;
  authorize(deps, caller, spec.rule, { project_id: row.project_id });
  checkAction('detachInterface', serverForCheck(row), caller.isAdmin);
  // Nova finds out on the node (PortNotFound "Port <id> is not attached", after the 202); Stratus
  // answers it at once, with the status Nova's controller maps PortNotFound to.
  const attached = (await portsOfServer(deps.db, row.id)).some((a) => a.port.id === portId.toLowerCase());
  if (!attached) throw portNotAttached(portId);
  if (!row.host) throw serverNotReady(row.id);
  const task = await deps.transact(async (tx) => {
    await claimServer(deps, tx, caller, row, 'detachInterface');
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    return deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host: row.host!,
      payload: { actionId, requestId: caller.requestId, portId: portId.toLowerCase() },
    });
  });
  deps.tasks.dispatch([task]);
}
