/**
 * The pure decision behind `DELETE /servers/{id}` and the `forceDelete` action.
 *
 * Follows nova's `ServersController._delete()` (soft delete when
 * `reclaim_instance_interval` > 0, falling back to a hard delete when the
 * server never launched) and `compute.API._delete()` (summarised in
 * docs/delete-server.md §6.1 and §6.2). The "B" numbers are rows of the
 * behaviour table in docs/delete-server.md §7.
 *
 * The plan says *what* to do; the caller does it (database writes, tasks,
 * ports, instance actions). Pure module: no I/O.
 */

import type { TaskState, VmState } from './states.js';

export interface DeleteInput {
  vmState: VmState;
  taskState: TaskState | null;
  /** Compute host the server lives on; null if never scheduled or offloaded. */
  host: string | null;
  /** Whether that host's compute service is up (heartbeat within service_down_time). Ignored without a host. */
  hostUp: boolean;
  launchedAt: string | null;
  locked: boolean;
  isAdmin: boolean;
  /** `reclaim_instance_interval` in seconds; > 0 enables soft delete. */
  reclaimInstanceInterval: number;
  /** true for the `forceDelete` action: always a hard delete, whatever reclaim says. */
  force: boolean;
}

export type DeletePlan =
  /** B18, B38: locked and caller is not admin -> 409 "Instance <id> is locked". Nothing changes. */
  | { kind: 'locked' }
  /**
   * B13 (and B36: "nothing new if already deleting on a live node"): a delete is already under way
   * and the compute host is up -> 204, no action, no new work. Stratus may
   * re-queue the delete task if its lease expired (docs/delete-server.md §3.4);
   * that is the caller's decision.
   */
  | { kind: 'noop' }
  /**
   * B3, B4: never reached a host (and not ERROR / SHELVED_OFFLOADED): destroy the
   * record at once, clean up allocations; **no** `delete` instance action.
   */
  | { kind: 'while-booting'; confirmResize: boolean }
  /**
   * B6, B7, B9, B14, B31: host down, host unknown, or hostless ERROR /
   * SHELVED_OFFLOADED: delete ports, volumes and the record in the request
   * itself, then record the `delete` action. `soft` = it was a soft delete
   * (the row ends DB-deleted with vm_state `soft-delete` and is not
   * restorable, B31); otherwise vm_state `deleted`.
   */
  | { kind: 'local'; soft: boolean; confirmResize: boolean }
  /**
   * B1, B2, B5, B8, B10, B11, B12, B19, B23, B30, B32 with force, B36, B42:
   * set task_state `deleting` (overwriting any task in progress), record the
   * `delete` action, hand the teardown to the compute host.
   */
  | { kind: 'remote'; taskState: 'deleting'; confirmResize: boolean }
  /**
   * B29, B32: reclaim > 0, launched, not forced, host up: set task_state
   * `soft-deleting` and `deleted_at` = now, record the `delete` action; the
   * host powers the guest off and leaves vm_state `soft-delete`.
   */
  | { kind: 'soft'; taskState: 'soft-deleting'; confirmResize: boolean };

/*
 * `confirmResize` (B11): Nova's _delete confirms a resize waiting in VERIFY_RESIZE first
 * (_confirm_resize_on_deleting: the source node drops the old guest), whatever the plan. Any
 * other move under way (B12: RESIZE_PREP … RESIZE_FINISH, REVERT_RESIZE, a cold migration, which
 * is a resize, and a live migration, task_state MIGRATING) is overwritten by the delete; the
 * caller marks its migration `error` and has the other node drop its guest.
 */

/** `compute_utils.may_have_ports_or_volumes`: such servers are deleted locally even without a host. */
export function mayHavePortsOrVolumes(vmState: VmState): boolean {
  return vmState === 'error' || vmState === 'shelved_offloaded';
}

export function planDelete(input: DeleteInput): DeletePlan {
  // B18 / B38: check_instance_lock on soft_delete, delete and force_delete.
  // (When soft_delete refuses a locked server the controller falls back to
  // delete(), which refuses it again with InstanceIsLocked -> same 409.)
  // B19: admins bypass the lock.
  if (input.locked && !input.isAdmin) return { kind: 'locked' };

  // Controller: reclaim > 0 -> soft_delete(); it requires launched_at, and when
  // that fails it falls back to a hard delete (B30). forceDelete is always hard (B36).
  const soft = !input.force && input.reclaimInstanceInterval > 0 && Boolean(input.launchedAt);

  // B3 / B4: no host and not ERROR / SHELVED_OFFLOADED -> _delete_while_booting /
  // direct destroy of the cell row; no instance action.
  const confirmResize = input.vmState === 'resized';
  const portsOrVolumes = mayHavePortsOrVolumes(input.vmState);
  if (!input.host && !portsOrVolumes) return { kind: 'while-booting', confirmResize };

  // Local delete when there is no host (B7 ERROR without host, B9 SHELVED_OFFLOADED)
  // or the host's compute service is down / unknown (B6, B14, B31). Note the
  // "already deleting" no-op does not apply here: a second DELETE against a
  // down host finishes a stuck delete (B14).
  const local = !input.host || !input.hostUp;
  if (local) return { kind: 'local', soft, confirmResize };

  // B13: compute up and a delete/soft delete already in progress -> silent no-op.
  if (input.taskState === 'deleting' || input.taskState === 'soft-deleting') return { kind: 'noop' };

  // B29 / B32: soft delete on a live host (a SOFT_DELETED server deleted again
  // with reclaim > 0 is soft-deleted again: deleted_at restarts).
  if (soft) return { kind: 'soft', taskState: 'soft-deleting', confirmResize };

  // B1, B2, B5, B8, B10, B11, B12, B19, B23, B30, B36, B42: remote hard delete;
  // any other task in progress is overwritten (B12).
  return { kind: 'remote', taskState: 'deleting', confirmResize };
}
