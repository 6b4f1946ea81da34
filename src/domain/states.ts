/**
 * Server state vocabulary, as Nova names it, and the mapping from
 * (vm_state, task_state) to the API's `status` field.
 *
 * Sources (nova): nova/compute/vm_states.py, nova/compute/task_states.py
 * (`fields.InstanceTaskState`), nova/compute/power_state.py and
 * `_STATE_MAP` / `status_from_state()` / `task_and_vm_state_from_status()` in
 * nova/api/openstack/common.py, summarised in docs/delete-server.md §6.3.
 *
 * Pure module: no I/O.
 */

// ---------------------------------------------------------------------------
// vm_state
// ---------------------------------------------------------------------------

/** Every vm_state value Nova stores (`OS-EXT-STS:vm_state`). */
export const VM_STATES = [
  'active',
  'building',
  'paused',
  'suspended',
  'stopped',
  'rescued',
  'resized',
  'soft-delete',
  'deleted',
  'error',
  'shelved',
  'shelved_offloaded',
] as const;

export type VmState = (typeof VM_STATES)[number];

const VM_STATE_SET: ReadonlySet<string> = new Set(VM_STATES);

export function isVmState(value: unknown): value is VmState {
  return typeof value === 'string' && VM_STATE_SET.has(value);
}

// ---------------------------------------------------------------------------
// task_state
// ---------------------------------------------------------------------------

/** Every task_state value Nova knows (`fields.InstanceTaskState.ALL`). */
export const TASK_STATES = [
  // create()
  'scheduling',
  'block_device_mapping',
  'networking',
  'spawning',
  // snapshot() / backup()
  'image_snapshot',
  'image_snapshot_pending',
  'image_pending_upload',
  'image_uploading',
  'image_backup',
  // set_admin_password()
  'updating_password',
  // resize() / revert / confirm
  'resize_prep',
  'resize_migrating',
  'resize_migrated',
  'resize_finish',
  'resize_reverting',
  'resize_confirming',
  // reboot()
  'rebooting',
  'reboot_pending',
  'reboot_started',
  'rebooting_hard',
  'reboot_pending_hard',
  'reboot_started_hard',
  // pause() / unpause() / suspend() / resume()
  'pausing',
  'unpausing',
  'suspending',
  'resuming',
  // stop() / start()
  'powering-off',
  'powering-on',
  // rescue() / unrescue()
  'rescuing',
  'unrescuing',
  // rebuild()
  'rebuilding',
  'rebuild_block_device_mapping',
  'rebuild_spawning',
  // live_migrate()
  'migrating',
  // delete() / soft_delete() / restore()
  'deleting',
  'soft-deleting',
  'restoring',
  // shelve() / shelve_offload() / unshelve()
  'shelving',
  'shelving_image_pending_upload',
  'shelving_image_uploading',
  'shelving_offloading',
  'unshelving',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

const TASK_STATE_SET: ReadonlySet<string> = new Set(TASK_STATES);

export function isTaskState(value: unknown): value is TaskState {
  return typeof value === 'string' && TASK_STATE_SET.has(value);
}

/** Task states in which a HARD reboot is still accepted (`task_states.ALLOW_REBOOT`). */
export const ALLOW_REBOOT_TASK_STATES: readonly (TaskState | null)[] = [
  null,
  'rebooting',
  'reboot_pending',
  'reboot_started',
  'resuming',
  'rebooting_hard',
  'unpausing',
  'pausing',
  'suspending',
];

// ---------------------------------------------------------------------------
// power_state (`OS-EXT-STS:power_state`, numeric)
// ---------------------------------------------------------------------------

/** Nova's power states (`nova/compute/power_state.py`, the values still in use). */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;

export type PowerStateValue = (typeof PowerState)[keyof typeof PowerState];

// ---------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------

/** Values the `status` field can take. */
export type ServerStatus =
  | 'ACTIVE'
  | 'BUILD'
  | 'DELETED'
  | 'ERROR'
  | 'HARD_REBOOT'
  | 'MIGRATING'
  | 'PASSWORD'
  | 'PAUSED'
  | 'REBOOT'
  | 'REBUILD'
  | 'RESCUE'
  | 'RESIZE'
  | 'REVERT_RESIZE'
  | 'SHELVED'
  | 'SHELVED_OFFLOADED'
  | 'SHUTOFF'
  | 'SOFT_DELETED'
  | 'SUSPENDED'
  | 'UNKNOWN'
  | 'VERIFY_RESIZE';

interface StatusRow {
  /** Status when the task_state has no override (including task_state None). */
  readonly fallback: ServerStatus;
  /** task_state -> status overrides. */
  readonly byTask: Readonly<Partial<Record<TaskState, ServerStatus>>>;
}

const RESIZE_TASKS = ['resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish'] as const;
const REBUILD_TASKS = ['rebuilding', 'rebuild_block_device_mapping', 'rebuild_spawning'] as const;

function overrides(
  ...groups: ReadonlyArray<readonly [readonly TaskState[], ServerStatus]>
): Partial<Record<TaskState, ServerStatus>> {
  const out: Partial<Record<TaskState, ServerStatus>> = {};
  for (const [tasks, status] of groups) for (const t of tasks) out[t] = status;
  return out;
}

/**
 * The table behind `status`, one row per vm_state.
 * Mirrors nova's `_STATE_MAP`: `deleting`, `soft-deleting` and `restoring`
 * deliberately have no override anywhere, so during a delete the status keeps
 * the vm_state's default (docs/delete-server.md §6.3).
 */
const STATUS_TABLE: Readonly<Record<VmState, StatusRow>> = {
  active: {
    fallback: 'ACTIVE',
    byTask: overrides(
      [['rebooting', 'reboot_pending', 'reboot_started'], 'REBOOT'],
      [['rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard'], 'HARD_REBOOT'],
      [['updating_password'], 'PASSWORD'],
      [REBUILD_TASKS, 'REBUILD'],
      [['migrating'], 'MIGRATING'],
      [RESIZE_TASKS, 'RESIZE'],
    ),
  },
  building: { fallback: 'BUILD', byTask: {} },
  stopped: {
    fallback: 'SHUTOFF',
    byTask: overrides([RESIZE_TASKS, 'RESIZE'], [REBUILD_TASKS, 'REBUILD']),
  },
  resized: {
    fallback: 'VERIFY_RESIZE',
    // resize_confirming intentionally maps to nothing (commented out in nova).
    byTask: overrides([['resize_reverting'], 'REVERT_RESIZE']),
  },
  paused: { fallback: 'PAUSED', byTask: overrides([['migrating'], 'MIGRATING']) },
  suspended: { fallback: 'SUSPENDED', byTask: {} },
  rescued: { fallback: 'RESCUE', byTask: {} },
  error: { fallback: 'ERROR', byTask: overrides([REBUILD_TASKS, 'REBUILD']) },
  deleted: { fallback: 'DELETED', byTask: {} },
  'soft-delete': { fallback: 'SOFT_DELETED', byTask: {} },
  shelved: { fallback: 'SHELVED', byTask: {} },
  shelved_offloaded: { fallback: 'SHELVED_OFFLOADED', byTask: {} },
};

/**
 * The `status` of a server (`ViewBuilder._get_vm_status` + `status_from_state`).
 *
 * - `deleted` (the row is DB-deleted) -> `DELETED`, whatever the states say.
 * - an unknown vm_state -> `UNKNOWN` (nova logs "Bad upgrade or db corrupted?").
 * - otherwise the task override for that vm_state, else the vm_state default.
 */
export function serverStatus(
  vmState: VmState | string,
  taskState: TaskState | string | null,
  deleted: boolean,
): ServerStatus {
  if (deleted) return 'DELETED';
  if (!isVmState(vmState)) return 'UNKNOWN';
  const row = STATUS_TABLE[vmState];
  if (taskState !== null && isTaskState(taskState)) {
    const override = row.byTask[taskState];
    if (override !== undefined) return override;
  }
  return row.fallback;
}

/** Every status that `statesForStatus` accepts (i.e. that appears in the table). */
export const KNOWN_STATUSES: readonly ServerStatus[] = (() => {
  const seen = new Set<ServerStatus>();
  for (const vm of VM_STATES) {
    const row = STATUS_TABLE[vm];
    seen.add(row.fallback);
    for (const s of Object.values(row.byTask)) if (s !== undefined) seen.add(s);
  }
  return [...seen].sort();
})();

/**
 * The list filter for `GET /servers?status=...` (nova's
 * `task_and_vm_state_from_status`, used by `ServersController._get_servers`).
 *
 * Matching is case-insensitive. Several statuses may be given (the query
 * parameter may repeat). For each vm_state row, a status matching the row's
 * default contributes the vm_state with "any task state"; a status matching a
 * task override contributes the vm_state plus that task_state.
 *
 * Returns:
 * - `null` when no status matched (nova: empty list before 2.38, 400
 *   "Invalid status value" from 2.38; the caller decides);
 * - `{ vmStates }` without `taskStates` when any matched status was a row
 *   default. Nova then drops the task filter entirely, so e.g. `status=ACTIVE`
 *   also returns servers whose status is REBOOT or RESIZE (a Nova quirk that
 *   Stratus keeps);
 * - `{ vmStates, taskStates }` when only task overrides matched
 *   (e.g. `REBOOT` -> active + rebooting / reboot_pending / reboot_started).
 *
 * Both lists are sorted, like nova's. `DELETED` maps to `vm_state=deleted`;
 * that it is admin-only (docs/delete-server.md B47) is the caller's business.
 */
export function statesForStatus(
  status: string | readonly string[],
): { vmStates: VmState[]; taskStates?: (TaskState | null)[] } | null {
  const wanted = new Set((typeof status === 'string' ? [status] : status).map((s) => s.toLowerCase()));
  const vmStates = new Set<VmState>();
  const taskStates = new Set<TaskState>();
  let anyDefault = false;

  for (const vm of VM_STATES) {
    const row = STATUS_TABLE[vm];
    if (wanted.has(row.fallback.toLowerCase())) {
      vmStates.add(vm);
      anyDefault = true;
    }
    for (const [task, s] of Object.entries(row.byTask) as [TaskState, ServerStatus][]) {
      if (wanted.has(s.toLowerCase())) {
        vmStates.add(vm);
        taskStates.add(task);
      }
    }
  }

  if (vmStates.size === 0) return null;
  const sortedVm = [...vmStates].sort();
  if (anyDefault) return { vmStates: sortedVm };
  return { vmStates: sortedVm, taskStates: [...taskStates].sort() };
}
