/**
 * The server lifecycle, one row per action: who may ask for it (policy rule), the states it is
 * accepted in, the task_state the API sets, the work the compute node does (task kind), the
 * state that work leaves, and whether a delete supersedes it. The API's use cases and the
 * agent's handlers both read this table; neither keeps a list of its own.
 *
 * Sources (nova): the decorators on the methods of nova/compute/api.py `API`
 * (`check_instance_lock`, `check_instance_host`, `check_instance_state`), the action names the
 * controllers hand to `common.raise_http_conflict_for_instance_invalid_state`, and the states
 * nova/compute/manager.py writes when the work is done.
 *
 * Pure module: no I/O.
 */

import { invalidState, invalidStateGeneric, serverLocked, serverNotReady } from './errors.js';
import { ALLOW_REBOOT_TASK_STATES, PowerState, type PowerStateValue, type TaskState, type VmState } from './states.js';

/** Work a compute node does for a server; one handler per kind in src/agent. */
export type TaskKind =
  | 'spawn'
  | 'terminate'
  | 'soft_delete'
  | 'restore'
  | 'power_off'
  | 'power_on'
  | 'reboot'
  | 'pause'
  | 'unpause'
  | 'suspend'
  | 'resume'
  | 'shelve'
  | 'shelve_offload'
  | 'unshelve'
  | 'console'
  // resize (nova/compute/manager.py resize_instance on the source, finish_resize on the
  // destination, confirm_resize on the source, revert_resize on the destination,
  // finish_revert_resize on the source)
  | 'resize'
  | 'finish_resize'
  | 'confirm_resize'
  | 'revert_resize'
  | 'finish_revert_resize'
  | 'rescue'
  | 'unrescue'
  | 'set_password'
  | 'diagnostics'
  | 'rebuild'
  | 'snapshot'
  | 'backup'
  | 'attach_interface'
  | 'detach_interface'
  | 'attach_volume'
  | 'detach_volume'
  // live migration (manager.py live_migration on the source, pre_live_migration on the
  // destination, then _post_live_migration on the source)
  | 'live_migration'
  | 'pre_live_migration'
  | 'post_live_migration'
  // evacuate (manager.py rebuild_instance with recreate=True, on the destination)
  | 'evacuate';

export type ServerAction =
  | 'create'
  | 'delete'
  | 'forceDelete'
  | 'softDelete'
  | 'restore'
  | 'stop'
  | 'start'
  | 'reboot'
  | 'rebootHard'
  | 'pause'
  | 'unpause'
  | 'suspend'
  | 'resume'
  | 'shelve'
  | 'shelveOffload'
  | 'unshelve'
  | 'rebuild'
  | 'createImage'
  | 'createBackup'
  | 'getConsoleOutput'
  | 'resize'
  | 'finishResize'
  | 'confirmResize'
  | 'revertResize'
  | 'finishRevertResize'
  | 'rescue'
  | 'unrescue'
  | 'changePassword'
  | 'getDiagnostics'
  | 'migrate'
  | 'liveMigrate'
  | 'preLiveMigration'
  | 'postLiveMigration'
  | 'evacuate'
  | 'lock'
  | 'unlock'
  | 'resetState'
  | 'updateMetadata'
  | 'deleteMetadata'
  | 'updateTag'
  | 'updateTags'
  | 'deleteTag'
  | 'deleteTags'
  | 'attachInterface'
  | 'detachInterface'
  | 'attachVolume'
  | 'detachVolume';

/**
 * Nova's `check_instance_lock` + `check_instance_host` + `check_instance_state(vm_state,
 * task_state, must_have_launched)`; `null` disables a dimension.
 */
export interface StateCheck {
  /** Allowed vm_states; `null` = any. */
  readonly vmStates: readonly VmState[] | null;
  /** Allowed task_states (`null` inside the list = no task); `null` = any. */
  readonly taskStates: readonly (TaskState | null)[] | null;
  /**
   * `check_instance_lock`: a locked server refuses the action unless the caller is admin.
   * 'locked' = 409 "Instance <id> is locked"; 'generic' = 409 "Instance <id> is in an invalid
   * state for '<action>'" (restore: its controller catches InstanceIsLocked as a plain
   * InstanceInvalidState); `false` = no lock check.
   */
  readonly lock: 'locked' | 'generic' | false;
  /** `check_instance_host`: the server must have a host (else 409 "Instance <id> is not ready"). */
  readonly requiresHost: boolean;
  /** `must_have_launched`: `launched_at` must be set. */
  readonly mustHaveLaunched: boolean;
}

/** What the compute node's work leaves behind when it succeeds (nova/compute/manager.py). */
export interface Completion {
  readonly vmState: VmState;
  readonly powerState: PowerStateValue;
  /** The instance-action event the work is recorded as (Nova's wrap_instance_event name). */
  readonly event: string;
}

export interface ActionLifecycle {
  /** Name in Nova's 409 messages ("Cannot '<novaAction>' instance …") and of the instance action. */
  readonly novaAction: string;
  /** The key of `POST /servers/{id}/action` that asks for it, when it is one. */
  readonly requestKey: string | null;
  readonly rule: string;
  /**
   * The check the API applies before accepting; `null` where another module decides (the
   * delete family's is the delete plan, domain/delete-plan.ts), where there is no server yet
   * (create), or where Nova checks nothing (lock, unlock, resetState).
   */
  readonly check: StateCheck | null;
  /** task_state the API writes when it accepts the action; `null` = none. */
  readonly setsTaskState: TaskState | null;
  /** The compute node's work; `null` when the API does it all. */
  readonly task: TaskKind | null;
  /**
   * task_states in which that work still applies: a handler that finds the server in another
   * one was superseded (by a delete, say) and stops.
   */
  readonly runsWhile: readonly TaskState[];
  readonly completion: Completion | null;
  /**
   * Whether a delete cancels the queued work: 'any' (remote or local delete), 'local' (only a
   * local delete, which finishes what a queued terminate would), or false (a question the API
   * is waiting on).
   */
  readonly supersededByDelete: 'any' | 'local' | false;
}

const NO_TASK: readonly (TaskState | null)[] = [null];
const REBOOT_TASK_STATES: readonly TaskState[] = [
  'rebooting',
  'rebooting_hard',
  'reboot_pending',
  'reboot_pending_hard',
  'reboot_started',
  'reboot_started_hard',
];

function check(c: Partial<StateCheck> & Pick<StateCheck, 'vmStates'>): StateCheck {
  return { taskStates: NO_TASK, lock: 'locked', requiresHost: false, mustHaveLaunched: true, ...c };
}

const SERVERS = 'os_compute_api:servers';

const METADATA_VM_STATES: readonly VmState[] = ['active', 'paused', 'suspended', 'stopped'];

/** A tag action: the API does it all, in the metadata vm_states, whatever the lock or task. */
function tagRow(novaAction: string, policy: string): ActionLifecycle {
  return {
    novaAction,
    requestKey: null,
    rule: `os_compute_api:os-server-tags:${policy}`,
    check: check({ vmStates: METADATA_VM_STATES, taskStates: null, lock: false, mustHaveLaunched: false }),
    setsTaskState: null,
    task: null,
    runsWhile: [],
    completion: null,
    supersededByDelete: false,
  };
}

/** os-interface: the port's binding is the state, so the row names no task_state or completion. */
function interfaceRow(novaAction: string, policy: string, task: TaskKind): ActionLifecycle {
  return {
    novaAction,
    requestKey: null,
    rule: `os_compute_api:os-attach-interfaces:${policy}`,
    check: check({ vmStates: ['active', 'paused', 'stopped'] }),
    setsTaskState: null,
    task,
    runsWhile: [],
    completion: null,
    supersededByDelete: 'any',
  };
}

/**
 * os-volume_attachments: the volume's status and the block device mapping are the state, so the
 * row names no task_state or completion (Nova casts the attach/detach and keeps task_state None).
 */
function volumeRow(novaAction: string, policy: string, task: TaskKind): ActionLifecycle {
  return {
    novaAction,
    requestKey: null,
    rule: `os_compute_api:os-volumes-attachments:${policy}`,
    check: check({
      vmStates: ['active', 'paused', 'stopped', 'resized', 'soft-delete', 'shelved', 'shelved_offloaded'],
    }),
    setsTaskState: null,
    task,
    runsWhile: [],
    completion: null,
    // A remote or soft delete lets a queued attach/detach run: its handler finishes or rolls back
    // its half-done step (a reserved volume released, a detaching one back in-use), so a restored
    // server or a failed terminate never keeps a volume stuck in reserved/detaching. A local
    // delete releases every mapping at once, so it drops them.
    supersededByDelete: 'local',
  };
}

/** The table. */
export const LIFECYCLE: Readonly<Record<ServerAction, ActionLifecycle>> = deepFreeze({
  // API.create: no server to check; the node claims `scheduling`, builds while `spawning`.
  create: {
    novaAction: 'create',
    requestKey: null,
    rule: `${SERVERS}:create`,
    check: null,
    setsTaskState: 'scheduling',
    task: 'spawn',
    runsWhile: ['scheduling', 'spawning'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_build_and_run_instance' },
    supersededByDelete: 'any',
  },
  // API.delete / force_delete / soft_delete: check_instance_state(vm_state=None, task_state=None)
  // accepts every state; what happens is the delete plan's decision.
  delete: {
    novaAction: 'delete',
    requestKey: null,
    rule: `${SERVERS}:delete`,
    check: null,
    setsTaskState: 'deleting',
    task: 'terminate',
    runsWhile: ['deleting'],
    completion: { vmState: 'deleted', powerState: PowerState.NOSTATE, event: 'compute_terminate_instance' },
    supersededByDelete: 'local',
  },
  forceDelete: {
    novaAction: 'forceDelete',
    requestKey: 'forceDelete',
    rule: 'os_compute_api:os-deferred-delete:force',
    check: null,
    setsTaskState: 'deleting',
    task: 'terminate',
    runsWhile: ['deleting'],
    completion: { vmState: 'deleted', powerState: PowerState.NOSTATE, event: 'compute_terminate_instance' },
    supersededByDelete: 'local',
  },
  // The controller soft-deletes when reclaim_instance_interval > 0, under the delete rule.
  softDelete: {
    novaAction: 'delete',
    requestKey: null,
    rule: `${SERVERS}:delete`,
    check: null,
    setsTaskState: 'soft-deleting',
    task: 'soft_delete',
    runsWhile: ['soft-deleting'],
    completion: { vmState: 'soft-delete', powerState: PowerState.SHUTDOWN, event: 'compute_soft_delete_instance' },
    supersededByDelete: 'any',
  },
  // API.restore: lock (reported generically), vm_state=[SOFT_DELETED], no task, launched. Without
  // a live host the API restores on its own (no task).
  restore: {
    novaAction: 'restore',
    requestKey: 'restore',
    rule: 'os_compute_api:os-deferred-delete:restore',
    check: check({ vmStates: ['soft-delete'], lock: 'generic' }),
    setsTaskState: 'restoring',
    task: 'restore',
    runsWhile: ['restoring'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_restore_instance' },
    supersededByDelete: 'any',
  },
  // API.stop: @check_instance_lock @check_instance_host() @check_instance_state(vm_state=[ACTIVE, ERROR])
  stop: {
    novaAction: 'stop',
    requestKey: 'os-stop',
    rule: `${SERVERS}:stop`,
    check: check({ vmStates: ['active', 'error'], requiresHost: true }),
    setsTaskState: 'powering-off',
    task: 'power_off',
    runsWhile: ['powering-off'],
    completion: { vmState: 'stopped', powerState: PowerState.SHUTDOWN, event: 'compute_stop_instance' },
    supersededByDelete: 'any',
  },
  // API.start: lock, host, vm_state=[STOPPED]
  start: {
    novaAction: 'start',
    requestKey: 'os-start',
    rule: `${SERVERS}:start`,
    check: check({ vmStates: ['stopped'], requiresHost: true }),
    setsTaskState: 'powering-on',
    task: 'power_on',
    runsWhile: ['powering-on'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_start_instance' },
    supersededByDelete: 'any',
  },
  // API.reboot (lock) -> _soft_reboot: vm_state=ALLOW_SOFT_REBOOT=[ACTIVE], task_state=[None]
  reboot: {
    novaAction: 'reboot',
    requestKey: 'reboot',
    rule: `${SERVERS}:reboot`,
    check: check({ vmStates: ['active'] }),
    setsTaskState: 'rebooting',
    task: 'reboot',
    runsWhile: REBOOT_TASK_STATES,
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_reboot_instance' },
    supersededByDelete: 'any',
  },
  // -> _hard_reboot: vm_state=ALLOW_HARD_REBOOT, task_state=ALLOW_REBOOT (a hard reboot may interrupt a soft one)
  rebootHard: {
    novaAction: 'reboot',
    requestKey: 'reboot',
    rule: `${SERVERS}:reboot`,
    check: check({
      vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'],
      taskStates: ALLOW_REBOOT_TASK_STATES,
    }),
    setsTaskState: 'rebooting_hard',
    task: 'reboot',
    runsWhile: REBOOT_TASK_STATES,
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_reboot_instance' },
    supersededByDelete: 'any',
  },
  // API.pause / unpause / suspend / resume: lock + a single vm_state
  pause: {
    novaAction: 'pause',
    requestKey: 'pause',
    rule: 'os_compute_api:os-pause-server:pause',
    check: check({ vmStates: ['active'] }),
    setsTaskState: 'pausing',
    task: 'pause',
    runsWhile: ['pausing'],
    completion: { vmState: 'paused', powerState: PowerState.PAUSED, event: 'compute_pause_instance' },
    supersededByDelete: 'any',
  },
  unpause: {
    novaAction: 'unpause',
    requestKey: 'unpause',
    rule: 'os_compute_api:os-pause-server:unpause',
    check: check({ vmStates: ['paused'] }),
    setsTaskState: 'unpausing',
    task: 'unpause',
    runsWhile: ['unpausing'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_unpause_instance' },
    supersededByDelete: 'any',
  },
  suspend: {
    novaAction: 'suspend',
    requestKey: 'suspend',
    rule: 'os_compute_api:os-suspend-server:suspend',
    check: check({ vmStates: ['active'] }),
    setsTaskState: 'suspending',
    task: 'suspend',
    runsWhile: ['suspending'],
    completion: { vmState: 'suspended', powerState: PowerState.SUSPENDED, event: 'compute_suspend_instance' },
    supersededByDelete: 'any',
  },
  resume: {
    novaAction: 'resume',
    requestKey: 'resume',
    rule: 'os_compute_api:os-suspend-server:resume',
    check: check({ vmStates: ['suspended'] }),
    setsTaskState: 'resuming',
    task: 'resume',
    runsWhile: ['resuming'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_resume_instance' },
    supersededByDelete: 'any',
  },
  // API.shelve: vm_state=[ACTIVE, STOPPED, PAUSED, SUSPENDED]
  shelve: {
    novaAction: 'shelve',
    requestKey: 'shelve',
    rule: 'os_compute_api:os-shelve:shelve',
    check: check({ vmStates: ['active', 'stopped', 'paused', 'suspended'] }),
    setsTaskState: 'shelving',
    task: 'shelve',
    // The manager snapshots the guest (SHELVING_IMAGE_PENDING_UPLOAD → SHELVING_IMAGE_UPLOADING).
    runsWhile: ['shelving', 'shelving_image_pending_upload', 'shelving_image_uploading'],
    completion: { vmState: 'shelved', powerState: PowerState.SHUTDOWN, event: 'compute_shelve_instance' },
    supersededByDelete: 'any',
  },
  // API.shelve_offload: vm_state=[SHELVED]; the node lets go of the guest (host cleared).
  shelveOffload: {
    novaAction: 'shelveOffload',
    requestKey: 'shelveOffload',
    rule: 'os_compute_api:os-shelve:shelve_offload',
    check: check({ vmStates: ['shelved'] }),
    setsTaskState: 'shelving_offloading',
    task: 'shelve_offload',
    runsWhile: ['shelving_offloading'],
    completion: {
      vmState: 'shelved_offloaded',
      powerState: PowerState.SHUTDOWN,
      event: 'compute_shelve_offload_instance',
    },
    supersededByDelete: 'any',
  },
  // API.unshelve: vm_state=[SHELVED, SHELVED_OFFLOADED]
  unshelve: {
    novaAction: 'unshelve',
    requestKey: 'unshelve',
    rule: 'os_compute_api:os-shelve:unshelve',
    check: check({ vmStates: ['shelved', 'shelved_offloaded'] }),
    setsTaskState: 'unshelving',
    task: 'unshelve',
    runsWhile: ['unshelving'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_unshelve_instance' },
    supersededByDelete: 'any',
  },
  // API.rebuild: @check_instance_lock @check_instance_state(vm_state=[ACTIVE, STOPPED, ERROR]);
  // the manager walks REBUILDING → REBUILD_BLOCK_DEVICE_MAPPING → REBUILD_SPAWNING and leaves
  // ACTIVE (a server that was STOPPED is stopped again: the agent reads that from the task).
  rebuild: {
    novaAction: 'rebuild',
    requestKey: 'rebuild',
    rule: `${SERVERS}:rebuild`,
    check: check({ vmStates: ['active', 'stopped', 'error'] }),
    setsTaskState: 'rebuilding',
    task: 'rebuild',
    runsWhile: ['rebuilding', 'rebuild_block_device_mapping', 'rebuild_spawning'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_rebuild_instance' },
    supersededByDelete: 'any',
  },
  // API.snapshot: @check_instance_state(vm_state=[ACTIVE, STOPPED, PAUSED, SUSPENDED]) (no lock
  // check: a locked server can be snapshotted); IMAGE_SNAPSHOT → IMAGE_PENDING_UPLOAD →
  // IMAGE_UPLOADING → none, the vm_state unchanged (completion.vmState is not written).
  createImage: {
    novaAction: 'createImage',
    requestKey: 'createImage',
    rule: `${SERVERS}:create_image`,
    check: check({ vmStates: ['active', 'stopped', 'paused', 'suspended'], lock: false }),
    setsTaskState: 'image_snapshot',
    task: 'snapshot',
    runsWhile: ['image_snapshot', 'image_pending_upload', 'image_uploading'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_snapshot_instance' },
    supersededByDelete: 'any',
  },
  // API.backup: the same states as snapshot, no lock check (Nova: "lock is intended to prevent
  // accidental change/delete"); the manager's backup_instance snapshots, then _rotate_backups.
  createBackup: {
    novaAction: 'createBackup',
    requestKey: 'createBackup',
    rule: 'os_compute_api:os-create-backup',
    check: check({ vmStates: ['active', 'stopped', 'paused', 'suspended'], lock: false }),
    setsTaskState: 'image_backup',
    task: 'backup',
    runsWhile: ['image_backup', 'image_pending_upload', 'image_uploading'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_backup_instance' },
    supersededByDelete: 'any',
  },
  // os-getConsoleOutput: a question to the node, in any state that has a guest; its host and
  // the host's liveness are checked by the use case (both answer 409 "not ready").
  getConsoleOutput: {
    novaAction: 'get_console_output',
    requestKey: 'os-getConsoleOutput',
    rule: 'os_compute_api:os-console-output',
    check: check({
      vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'],
      taskStates: null,
      lock: false,
      mustHaveLaunched: false,
    }),
    setsTaskState: null,
    task: 'console',
    runsWhile: [],
    completion: null,
    supersededByDelete: false,
  },
  // API.resize: @check_instance_lock @check_instance_host @check_instance_state(vm_state=[ACTIVE,
  // STOPPED], task_state=[None]). The source node stops the guest (RESIZE_MIGRATING ->
  // RESIZE_MIGRATED) and hands finish_resize to the destination; the move ends in VERIFY_RESIZE.
  resize: {
    novaAction: 'resize',
    requestKey: 'resize',
    rule: `${SERVERS}:resize`,
    check: check({ vmStates: ['active', 'stopped'], requiresHost: true }),
    setsTaskState: 'resize_prep',
    task: 'resize',
    runsWhile: ['resize_prep', 'resize_migrating'],
    completion: { vmState: 'resized', powerState: PowerState.RUNNING, event: 'compute_resize_instance' },
    supersededByDelete: 'any',
  },
  // The destination's half (manager.finish_resize): no request asks for it directly.
  finishResize: {
    novaAction: 'resize',
    requestKey: null,
    rule: `${SERVERS}:resize`,
    check: null,
    setsTaskState: 'resize_migrated',
    task: 'finish_resize',
    runsWhile: ['resize_migrated', 'resize_finish'],
    completion: { vmState: 'resized', powerState: PowerState.RUNNING, event: 'compute_finish_resize' },
    supersededByDelete: 'any',
  },
  // API.confirm_resize: @check_instance_lock @check_instance_state(vm_state=[RESIZED]); no
  // task_state (the migration goes 'confirming'). A delete does not cancel it: a delete in
  // VERIFY_RESIZE confirms the resize itself (compute/api.py _confirm_resize_on_deleting).
  confirmResize: {
    novaAction: 'confirmResize',
    requestKey: 'confirmResize',
    rule: `${SERVERS}:confirm_resize`,
    check: check({ vmStates: ['resized'] }),
    setsTaskState: null,
    task: 'confirm_resize',
    runsWhile: [],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_confirm_resize' },
    supersededByDelete: false,
  },
  // API.revert_resize: lock, vm_state=[RESIZED]; RESIZE_REVERTING while the destination drops
  // its guest and the source boots the old one again.
  revertResize: {
    novaAction: 'revertResize',
    requestKey: 'revertResize',
    rule: `${SERVERS}:revert_resize`,
    check: check({ vmStates: ['resized'] }),
    setsTaskState: 'resize_reverting',
    task: 'revert_resize',
    runsWhile: ['resize_reverting'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_revert_resize' },
    supersededByDelete: 'any',
  },
  finishRevertResize: {
    novaAction: 'revertResize',
    requestKey: null,
    rule: `${SERVERS}:revert_resize`,
    check: null,
    setsTaskState: 'resize_reverting',
    task: 'finish_revert_resize',
    runsWhile: ['resize_reverting'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_finish_revert_resize' },
    supersededByDelete: 'any',
  },
  // API.rescue: lock, vm_state=[ACTIVE, STOPPED, ERROR], no task, launched; the manager boots
  // the rescue image with the original disk kept and leaves RESCUED (running). A failed rescue
  // is ERROR with a fault (manager.rescue_instance: _set_instance_obj_error_state).
  rescue: {
    novaAction: 'rescue',
    requestKey: 'rescue',
    rule: 'os_compute_api:os-rescue',
    check: check({ vmStates: ['active', 'stopped', 'error'] }),
    setsTaskState: 'rescuing',
    task: 'rescue',
    runsWhile: ['rescuing'],
    completion: { vmState: 'rescued', powerState: PowerState.RUNNING, event: 'compute_rescue_instance' },
    supersededByDelete: 'any',
  },
  // API.unrescue: lock, vm_state=[RESCUED]; back to ACTIVE on the original disk (a failure
  // reverts the task state: manager.unrescue_instance is @reverts_task_state).
  unrescue: {
    novaAction: 'unrescue',
    requestKey: 'unrescue',
    rule: 'os_compute_api:os-unrescue',
    check: check({ vmStates: ['rescued'] }),
    setsTaskState: 'unrescuing',
    task: 'unrescue',
    runsWhile: ['unrescuing'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_unrescue_instance' },
    supersededByDelete: 'any',
  },
  // API.set_admin_password: lock, vm_state=[ACTIVE], no task; an RPC call the API waits on
  // (admin_password.py), so a delete does not cancel it: it finishes within the request.
  changePassword: {
    novaAction: 'changePassword',
    requestKey: 'changePassword',
    rule: 'os_compute_api:os-admin-password',
    check: check({ vmStates: ['active'] }),
    setsTaskState: 'updating_password',
    task: 'set_password',
    runsWhile: ['updating_password'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_set_admin_password' },
    supersededByDelete: false,
  },
  // API.get_instance_diagnostics: @check_instance_host only; the manager answers for a RUNNING
  // guest, else InstanceInvalidState on power_state (the use case checks both). A question.
  getDiagnostics: {
    novaAction: 'get_diagnostics',
    requestKey: null,
    rule: 'os_compute_api:os-server-diagnostics',
    check: check({ vmStates: null, taskStates: null, lock: false, requiresHost: true, mustHaveLaunched: false }),
    setsTaskState: null,
    task: 'diagnostics',
    runsWhile: [],
    completion: null,
    supersededByDelete: false,
  },
  // migrate (migrate_server.py _migrate -> API.resize without a flavor): a cold migration IS a
  // resize to the same flavor on another node, with the same checks, task states and node work.
  migrate: {
    novaAction: 'migrate',
    requestKey: 'migrate',
    rule: 'os_compute_api:os-migrate-server:migrate',
    check: check({ vmStates: ['active', 'stopped'], requiresHost: true }),
    setsTaskState: 'resize_prep',
    task: 'resize',
    runsWhile: ['resize_prep', 'resize_migrating'],
    completion: { vmState: 'resized', powerState: PowerState.RUNNING, event: 'compute_resize_instance' },
    supersededByDelete: 'any',
  },
  // API.live_migrate: @check_instance_lock @check_instance_state(vm_state=[ACTIVE, PAUSED]);
  // task_state MIGRATING until the guest runs on the destination (no confirm step).
  liveMigrate: {
    novaAction: 'os-migrateLive',
    requestKey: 'os-migrateLive',
    rule: 'os_compute_api:os-migrate-server:migrate_live',
    check: check({ vmStates: ['active', 'paused'], requiresHost: true }),
    setsTaskState: 'migrating',
    task: 'live_migration',
    runsWhile: ['migrating'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_live_migration' },
    supersededByDelete: 'any',
  },
  // The destination's half (manager.pre_live_migration): the guest starts there.
  preLiveMigration: {
    novaAction: 'os-migrateLive',
    requestKey: null,
    rule: 'os_compute_api:os-migrate-server:migrate_live',
    check: null,
    setsTaskState: 'migrating',
    task: 'pre_live_migration',
    runsWhile: ['migrating'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_pre_live_migration' },
    supersededByDelete: 'any',
  },
  // The source's last half (manager._post_live_migration): its guest goes, the server is the destination's.
  postLiveMigration: {
    novaAction: 'os-migrateLive',
    requestKey: null,
    rule: 'os_compute_api:os-migrate-server:migrate_live',
    check: null,
    setsTaskState: 'migrating',
    task: 'post_live_migration',
    runsWhile: ['migrating'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_post_live_migration' },
    supersededByDelete: 'any',
  },
  // API.evacuate: @check_instance_state(vm_state=[ACTIVE, STOPPED, ERROR], task_state=None), no
  // lock check (an admin action); the destination rebuilds the server (rebuild_instance with
  // recreate=True): REBUILDING -> REBUILD_BLOCK_DEVICE_MAPPING -> REBUILD_SPAWNING -> ACTIVE
  // (STOPPED again for a stopped server, and always from 2.95: the agent reads that from the task).
  evacuate: {
    novaAction: 'evacuate',
    requestKey: 'evacuate',
    rule: 'os_compute_api:os-evacuate',
    check: check({ vmStates: ['active', 'stopped', 'error'], lock: false }),
    setsTaskState: 'rebuilding',
    task: 'evacuate',
    runsWhile: ['rebuilding', 'rebuild_block_device_mapping', 'rebuild_spawning'],
    completion: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_rebuild_instance' },
    supersededByDelete: 'any',
  },
  // API.lock / unlock: no lock or state decorators (who may unlock is policy); the API does it all.
  lock: {
    novaAction: 'lock',
    requestKey: 'lock',
    rule: 'os_compute_api:os-lock-server:lock',
    check: null,
    setsTaskState: null,
    task: null,
    runsWhile: [],
    completion: null,
    supersededByDelete: false,
  },
  unlock: {
    novaAction: 'unlock',
    requestKey: 'unlock',
    rule: 'os_compute_api:os-lock-server:unlock',
    check: null,
    setsTaskState: null,
    task: null,
    runsWhile: [],
    completion: null,
    supersededByDelete: false,
  },
  // os-resetState (admin_actions.py): writes vm_state directly and clears task_state; no checks.
  resetState: {
    novaAction: 'resetState',
    requestKey: 'os-resetState',
    rule: 'os_compute_api:os-admin-actions:reset_state',
    check: null,
    setsTaskState: null,
    task: null,
    runsWhile: [],
    completion: null,
    supersededByDelete: false,
  },
  // API.update_instance_metadata / delete_instance_metadata: @check_instance_lock
  // @check_instance_state(vm_state=[ACTIVE, PAUSED, SUSPENDED, STOPPED], task_state=None); the
  // API writes the metadata itself. POST and PUT /metadata are checked by the :create and
  // :update_all rules, PUT /metadata/{key} by :update (server-metadata.ts picks).
  updateMetadata: {
    novaAction: 'update metadata',
    requestKey: null,
    rule: 'os_compute_api:server-metadata:update',
    check: check({ vmStates: METADATA_VM_STATES }),
    setsTaskState: null,
    task: null,
    runsWhile: [],
    completion: null,
    supersededByDelete: false,
  },
  deleteMetadata: {
    novaAction: 'delete metadata',
    requestKey: null,
    rule: 'os_compute_api:server-metadata:delete',
    check: check({ vmStates: METADATA_VM_STATES }),
    setsTaskState: null,
    task: null,
    runsWhile: [],
    completion: null,
    supersededByDelete: false,
  },
  // server_tags.py _check_instance_in_valid_state: the same vm_states, but no lock, task_state
  // or launched_at check.
  updateTag: tagRow('update tag', 'update'),
  updateTags: tagRow('update tags', 'update_all'),
  deleteTag: tagRow('delete tag', 'delete'),
  deleteTags: tagRow('delete tags', 'delete_all'),
  // API.attach_interface / detach_interface: @check_instance_lock @check_instance_state(vm_state=
  // [ACTIVE, PAUSED, STOPPED], task_state=[None]); no task_state is set. The node hot-plugs the
  // port (attach: an RPC call the API waits for; detach: a cast, 202). src/agent/interface-handlers.ts.
  attachInterface: interfaceRow('attach_interface', 'create', 'attach_interface'),
  detachInterface: interfaceRow('detach_interface', 'delete', 'detach_interface'),
  // API.attach_volume / detach_volume: @check_instance_lock @check_instance_state(vm_state=[ACTIVE,
  // PAUSED, STOPPED, RESIZED, SOFT_DELETED, SHELVED, SHELVED_OFFLOADED]) (task_state None).
  // src/agent/volume-handlers.ts.
  attachVolume: volumeRow('attach_volume', 'create', 'attach_volume'),
  detachVolume: volumeRow('detach_volume', 'delete', 'detach_volume'),
});

/** The action a `POST /servers/{id}/action` key asks for (reboot: by its type). */
export function actionForKey(key: string, opts: { rebootType?: 'SOFT' | 'HARD' } = {}): ServerAction | undefined {
  if (key === 'reboot') return opts.rebootType === 'HARD' ? 'rebootHard' : 'reboot';
  return (Object.keys(LIFECYCLE) as ServerAction[]).find((a) => LIFECYCLE[a].requestKey === key);
}

/** The row of the compute node's work of `kind` (rows that share a kind agree on it, see the test). */
export function lifecycleOfTask(kind: TaskKind): ActionLifecycle {
  return BY_TASK[kind];
}
const BY_TASK = Object.fromEntries(
  (Object.values(LIFECYCLE) as ActionLifecycle[])
    .filter((r) => r.task !== null)
    .reverse()
    .map((r) => [r.task, r]),
) as Record<TaskKind, ActionLifecycle>;

/** Task kinds a delete cancels while still queued: a remote one ('any'), or a local one (also 'local'). */
export function tasksSupersededBy(deleteKind: 'remote' | 'local'): TaskKind[] {
  const kinds = new Set<TaskKind>();
  for (const r of Object.values(LIFECYCLE) as ActionLifecycle[]) {
    if (r.task && (r.supersededByDelete === 'any' || (deleteKind === 'local' && r.supersededByDelete === 'local')))
      kinds.add(r.task);
  }
  return [...kinds];
}

export interface ServerForCheck {
  id: string;
  vmState: VmState;
  taskState: TaskState | null;
  locked: boolean;
  launchedAt: string | null;
  host: string | null;
}

/**
 * Applies the row's check in Nova's order (lock, host, vm_state, task_state, launched_at) and
 * throws the DomainError Nova's API would answer with; returns when the action is allowed:
 * - locked and not admin -> 409 `Instance <id> is locked` (restore: the generic text);
 * - a host is required and there is none -> 409 `Instance <id> is not ready`;
 * - otherwise 409 `Cannot '<action>' instance <id> while it is in <attr> <state>`.
 */
export function checkAction(action: ServerAction, server: ServerForCheck, isAdmin: boolean): void {
  const { check: c, novaAction } = LIFECYCLE[action];
  if (c === null) return;
  if (c.lock && server.locked && !isAdmin) {
    throw c.lock === 'generic' ? invalidStateGeneric(novaAction, server.id, 'locked') : serverLocked(server.id);
  }
  if (c.requiresHost && !server.host) throw serverNotReady(server.id);
  if (c.vmStates !== null && !c.vmStates.includes(server.vmState))
    throw invalidState(novaAction, server.id, 'vm_state', server.vmState);
  if (c.taskStates !== null && !c.taskStates.includes(server.taskState))
    throw invalidState(novaAction, server.id, 'task_state', server.taskState);
  if (c.mustHaveLaunched && !server.launchedAt) throw invalidState(novaAction, server.id, 'launched_at', null);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
