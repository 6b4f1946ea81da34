/**
 * Which server actions are allowed in which states, as data, and the check
 * that raises Nova's exact errors.
 *
 * Source: the decorators on the methods of nova/compute/api.py `API`
 * (`check_instance_lock`, `check_instance_host`, `check_instance_state`) and the
 * action names the controllers hand to
 * `common.raise_http_conflict_for_instance_invalid_state` (servers.py,
 * pause_server.py, suspend_server.py, shelve.py, deferred_delete.py).
 * See nova-reference.md sections 2.1 and 2.4.
 *
 * `check_instance_state(vm_state=None, task_state=(None,), must_have_launched=True)`:
 * a `null` dimension disables that check; the default for task_state is
 * "there must be no task in progress".
 *
 * Pure module: no I/O.
 */

import { DomainError, invalidState, invalidStateGeneric, serverLocked, serverNotReady } from './errors.js';
import { ALLOW_REBOOT_TASK_STATES, type TaskState, type VmState } from './states.js';

export type ServerAction =
  | 'stop'
  | 'start'
  | 'reboot'
  | 'pause'
  | 'unpause'
  | 'suspend'
  | 'resume'
  | 'shelve'
  | 'shelveOffload'
  | 'unshelve'
  | 'restore'
  | 'forceDelete'
  | 'delete'
  | 'softDelete'
  | 'lock'
  | 'unlock'
  | 'resetState';

export type RebootType = 'SOFT' | 'HARD';

export interface ActionRule {
  /** Name used in Nova's 409 messages ("Cannot '<novaAction>' instance ..."). */
  readonly novaAction: string;
  /** Allowed vm_states; `null` = any. */
  readonly vmStates: readonly VmState[] | null;
  /** Allowed task_states (`null` inside the list = no task); `null` = any. */
  readonly taskStates: readonly (TaskState | null)[] | null;
  /** `check_instance_lock`: a locked server refuses this action unless the caller is admin. */
  readonly lockBlocks: boolean;
  /**
   * How a refused lock is reported. 'locked' = 409 "Instance <id> is locked";
   * 'generic' = 409 "Instance <id> is in an invalid state for '<action>'"
   * (restore: its controller catches `InstanceIsLocked` as a plain
   * `InstanceInvalidState`, B35).
   */
  readonly lockError: 'locked' | 'generic';
  /** `check_instance_host`: the server must have a host (else 409 "Instance <id> is not ready"). */
  readonly requiresHost: boolean;
  /** `must_have_launched`: `launched_at` must be set. */
  readonly mustHaveLaunched: boolean;
  /** task_state the API writes when it accepts the action; `null` = none. */
  readonly setsTaskState: TaskState | null;
}

const NO_TASK: readonly (TaskState | null)[] = [null];

function rule(r: Partial<ActionRule> & Pick<ActionRule, 'novaAction' | 'vmStates' | 'setsTaskState'>): ActionRule {
  return Object.freeze({
    taskStates: NO_TASK,
    lockBlocks: true,
    lockError: 'locked' as const,
    requiresHost: false,
    mustHaveLaunched: true,
    ...r,
  });
}

/** HARD reboot (`API._hard_reboot`): wider vm_states, tolerates reboot-ish tasks. */
export const HARD_REBOOT_RULE: ActionRule = rule({
  novaAction: 'reboot',
  vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'], // vm_states.ALLOW_HARD_REBOOT
  taskStates: ALLOW_REBOOT_TASK_STATES, // task_states.ALLOW_REBOOT
  setsTaskState: 'rebooting_hard',
});

/**
 * The table. `reboot` is the SOFT reboot (`API._soft_reboot`); use
 * `ruleFor('reboot', { rebootType: 'HARD' })` or `HARD_REBOOT_RULE` for HARD.
 */
export const TRANSITIONS: Readonly<Record<ServerAction, ActionRule>> = Object.freeze({
  // API.stop: @check_instance_lock @check_instance_host() @check_instance_state(vm_state=[ACTIVE, ERROR])
  stop: rule({ novaAction: 'stop', vmStates: ['active', 'error'], requiresHost: true, setsTaskState: 'powering-off' }),
  // API.start: lock, host, vm_state=[STOPPED]
  start: rule({ novaAction: 'start', vmStates: ['stopped'], requiresHost: true, setsTaskState: 'powering-on' }),
  // API.reboot (lock) -> _soft_reboot: vm_state=ALLOW_SOFT_REBOOT=[ACTIVE], task_state=[None]
  reboot: rule({ novaAction: 'reboot', vmStates: ['active'], setsTaskState: 'rebooting' }),
  // API.pause / unpause / suspend / resume: lock + single vm_state
  pause: rule({ novaAction: 'pause', vmStates: ['active'], setsTaskState: 'pausing' }),
  unpause: rule({ novaAction: 'unpause', vmStates: ['paused'], setsTaskState: 'unpausing' }),
  suspend: rule({ novaAction: 'suspend', vmStates: ['active'], setsTaskState: 'suspending' }),
  resume: rule({ novaAction: 'resume', vmStates: ['suspended'], setsTaskState: 'resuming' }),
  // API.shelve: vm_state=[ACTIVE, STOPPED, PAUSED, SUSPENDED]
  shelve: rule({
    novaAction: 'shelve',
    vmStates: ['active', 'stopped', 'paused', 'suspended'],
    setsTaskState: 'shelving',
  }),
  // API.shelve_offload: vm_state=[SHELVED]
  shelveOffload: rule({ novaAction: 'shelveOffload', vmStates: ['shelved'], setsTaskState: 'shelving_offloading' }),
  // API.unshelve: vm_state=[SHELVED, SHELVED_OFFLOADED]
  unshelve: rule({
    novaAction: 'unshelve',
    vmStates: ['shelved', 'shelved_offloaded'],
    setsTaskState: 'unshelving',
  }),
  // API.restore: lock (reported generically, B35), vm_state=[SOFT_DELETED], task None, launched.
  // With a host the API sets `restoring`; without one it goes straight to active (caller's choice).
  restore: rule({ novaAction: 'restore', vmStates: ['soft-delete'], lockError: 'generic', setsTaskState: 'restoring' }),
  // API.force_delete: lock; task_state=None, must_have_launched=False -> any state (B36, B38)
  forceDelete: rule({
    novaAction: 'forceDelete',
    vmStates: null,
    taskStates: null,
    mustHaveLaunched: false,
    setsTaskState: 'deleting',
  }),
  // API.delete: lock; vm_state=None, task_state=None, must_have_launched=False (B12, B18, B19)
  delete: rule({ novaAction: 'delete', vmStates: null, taskStates: null, mustHaveLaunched: false, setsTaskState: 'deleting' }),
  // API.soft_delete: lock; vm_state=None, task_state=None, must_have_launched=True (B29, B30)
  softDelete: rule({ novaAction: 'delete', vmStates: null, taskStates: null, setsTaskState: 'soft-deleting' }),
  // API.lock / unlock: no lock or state decorators (B39-B41; who may unlock is policy)
  lock: rule({ novaAction: 'lock', vmStates: null, taskStates: null, lockBlocks: false, mustHaveLaunched: false, setsTaskState: null }),
  unlock: rule({ novaAction: 'unlock', vmStates: null, taskStates: null, lockBlocks: false, mustHaveLaunched: false, setsTaskState: null }),
  // os-resetState (admin_actions.py): writes vm_state directly, task_state None; no checks.
  resetState: rule({
    novaAction: 'os-resetState',
    vmStates: null,
    taskStates: null,
    lockBlocks: false,
    mustHaveLaunched: false,
    setsTaskState: null,
  }),
});

export interface ActionOptions {
  /** For `reboot` only; default SOFT. */
  rebootType?: RebootType;
}

/** The rule that applies to an action (chooses the HARD reboot rule when asked). */
export function ruleFor(action: ServerAction, opts: ActionOptions = {}): ActionRule {
  if (action === 'reboot' && opts.rebootType === 'HARD') return HARD_REBOOT_RULE;
  return TRANSITIONS[action];
}

/** task_state the API sets when it accepts `action` (e.g. stop -> powering-off). */
export function acceptedTaskState(action: ServerAction, opts: ActionOptions = {}): TaskState | null {
  return ruleFor(action, opts).setsTaskState;
}

export interface ServerForCheck {
  id: string;
  vmState: VmState | string;
  taskState: TaskState | string | null;
  locked: boolean;
  launchedAt: string | null;
  /** Only consulted for rules with `requiresHost`; leave undefined to skip that check. */
  host?: string | null;
}

/**
 * Apply one rule in Nova's order: lock, host, vm_state, task_state, launched_at.
 * Throws the DomainError Nova's API would answer with; returns when allowed.
 */
export function checkRule(r: ActionRule, server: ServerForCheck, isAdmin: boolean): void {
  // check_instance_lock (outermost decorator): admins are exempt.
  if (r.lockBlocks && server.locked && !isAdmin) {
    throw r.lockError === 'generic' ? invalidStateGeneric(r.novaAction, server.id, 'locked') : serverLocked(server.id);
  }
  // check_instance_host
  if (r.requiresHost && server.host !== undefined && !server.host) {
    throw serverNotReady(server.id);
  }
  // check_instance_state: vm_state, then task_state, then launched_at.
  if (r.vmStates !== null && !(r.vmStates as readonly string[]).includes(server.vmState)) {
    throw invalidState(r.novaAction, server.id, 'vm_state', server.vmState);
  }
  if (r.taskStates !== null && !(r.taskStates as readonly (string | null)[]).includes(server.taskState)) {
    throw invalidState(r.novaAction, server.id, 'task_state', server.taskState);
  }
  if (r.mustHaveLaunched && !server.launchedAt) {
    throw invalidState(r.novaAction, server.id, 'launched_at', null);
  }
}

/**
 * Check that `action` may run on `server` now. Throws Nova's exact error:
 * - locked and not admin -> 409 `Instance <id> is locked`
 *   (restore: `Instance <id> is in an invalid state for 'restore'`, B35);
 * - stop/start without a host (only if `server.host` is given) -> 409 `Instance <id> is not ready`;
 * - wrong vm_state -> 409 `Cannot '<action>' instance <id> while it is in vm_state <state>` (B34);
 * - wrong task_state -> same with `task_state <state>` (`None` when no task);
 * - never launched -> same with `launched_at None` (B30).
 */
export function checkAction(
  action: ServerAction,
  server: ServerForCheck,
  isAdmin: boolean,
  opts: ActionOptions = {},
): void {
  checkRule(ruleFor(action, opts), server, isAdmin);
}

/** Non-throwing variant: the error Nova would raise, or null when allowed. */
export function actionRefusal(
  action: ServerAction,
  server: ServerForCheck,
  isAdmin: boolean,
  opts: ActionOptions = {},
): DomainError | null {
  try {
    checkAction(action, server, isAdmin, opts);
    return null;
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
}
