// Case names starting "B<n>" cite the rows of the behaviour table in docs/delete-server.md §7.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  ALLOW_REBOOT_TASK_STATES,
  KNOWN_STATUSES,
  PowerState,
  TASK_STATES,
  VM_STATES,
  isTaskState,
  isVmState,
  serverStatus,
  statesForStatus,
  type ServerStatus,
  type TaskState,
} from './states.js';

describe('state vocabulary', () => {
  it("has Nova's twelve vm_states, with soft-delete spelled the Nova way", () => {
    assert.equal(VM_STATES.length, 12);
    assert.ok(isVmState('soft-delete'));
    assert.ok(isVmState('shelved_offloaded'));
    assert.ok(!isVmState('soft_deleted'));
    assert.ok(!isVmState(null));
  });

  it('has every InstanceTaskState value, unique', () => {
    assert.equal(new Set(TASK_STATES).size, TASK_STATES.length);
    assert.equal(TASK_STATES.length, 42);
    assert.ok(isTaskState('powering-off'));
    assert.ok(isTaskState('soft-deleting'));
    assert.ok(!isTaskState('powering_off'));
  });

  it('ALLOW_REBOOT includes "no task" and the reboot/pause/suspend tasks', () => {
    assert.deepEqual(
      [...ALLOW_REBOOT_TASK_STATES],
      [
        null,
        'rebooting',
        'reboot_pending',
        'reboot_started',
        'resuming',
        'rebooting_hard',
        'unpausing',
        'pausing',
        'suspending',
      ],
    );
  });

  it("power states carry Nova's numbers", () => {
    assert.deepEqual(PowerState, { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 });
  });
});

describe('serverStatus', () => {
  const cases: Array<[name: string, vm: string, task: string | null, deleted: boolean, want: ServerStatus]> = [
    ['B1 active/deleting keeps ACTIVE', 'active', 'deleting', false, 'ACTIVE'],
    ['B2 stopped/deleting keeps SHUTOFF', 'stopped', 'deleting', false, 'SHUTOFF'],
    ['B2 paused/deleting keeps PAUSED', 'paused', 'deleting', false, 'PAUSED'],
    ['B2 suspended/deleting keeps SUSPENDED', 'suspended', 'deleting', false, 'SUSPENDED'],
    ['B2 rescued/deleting keeps RESCUE', 'rescued', 'deleting', false, 'RESCUE'],
    ['B3 building/scheduling is BUILD', 'building', 'scheduling', false, 'BUILD'],
    ['B5 building/deleting keeps BUILD', 'building', 'deleting', false, 'BUILD'],
    ['B8 error/deleting keeps ERROR', 'error', 'deleting', false, 'ERROR'],
    ['B10 shelved/deleting keeps SHELVED', 'shelved', 'deleting', false, 'SHELVED'],
    ['B9 shelved_offloaded is SHELVED_OFFLOADED', 'shelved_offloaded', null, false, 'SHELVED_OFFLOADED'],
    ['B11 resized is VERIFY_RESIZE', 'resized', null, false, 'VERIFY_RESIZE'],
    ['resized/resize_reverting is REVERT_RESIZE', 'resized', 'resize_reverting', false, 'REVERT_RESIZE'],
    ['resized/resize_confirming has no override', 'resized', 'resize_confirming', false, 'VERIFY_RESIZE'],
    ['B12 active/rebooting is REBOOT', 'active', 'rebooting', false, 'REBOOT'],
    ['active/reboot_started is REBOOT', 'active', 'reboot_started', false, 'REBOOT'],
    ['active/reboot_pending_hard is HARD_REBOOT', 'active', 'reboot_pending_hard', false, 'HARD_REBOOT'],
    ['active/updating_password is PASSWORD', 'active', 'updating_password', false, 'PASSWORD'],
    ['active/rebuild_spawning is REBUILD', 'active', 'rebuild_spawning', false, 'REBUILD'],
    ['active/migrating is MIGRATING', 'active', 'migrating', false, 'MIGRATING'],
    ['active/resize_finish is RESIZE', 'active', 'resize_finish', false, 'RESIZE'],
    ['active/powering-off has no override', 'active', 'powering-off', false, 'ACTIVE'],
    ['stopped/resize_prep is RESIZE', 'stopped', 'resize_prep', false, 'RESIZE'],
    ['stopped/rebuilding is REBUILD', 'stopped', 'rebuilding', false, 'REBUILD'],
    ['stopped/rebooting has no override', 'stopped', 'rebooting_hard', false, 'SHUTOFF'],
    ['paused/migrating is MIGRATING', 'paused', 'migrating', false, 'MIGRATING'],
    ['error/rebuild_block_device_mapping is REBUILD', 'error', 'rebuild_block_device_mapping', false, 'REBUILD'],
    ['error/migrating has no override', 'error', 'migrating', false, 'ERROR'],
    ['B29 active/soft-deleting keeps ACTIVE', 'active', 'soft-deleting', false, 'ACTIVE'],
    ['B29 soft-delete/None is SOFT_DELETED', 'soft-delete', null, false, 'SOFT_DELETED'],
    ['B33 soft-delete/restoring keeps SOFT_DELETED', 'soft-delete', 'restoring', false, 'SOFT_DELETED'],
    ['transient vm_state deleted is DELETED', 'deleted', null, false, 'DELETED'],
    ['B31 DB-deleted row with vm_state soft-delete lists as DELETED', 'soft-delete', null, true, 'DELETED'],
    ['B45 DB-deleted row is DELETED whatever the states', 'active', 'deleting', true, 'DELETED'],
    ['unknown vm_state is UNKNOWN', 'bogus', null, false, 'UNKNOWN'],
    ['unknown task_state falls back to the vm_state default', 'active', 'bogus', false, 'ACTIVE'],
  ];
  for (const [name, vm, task, deleted, want] of cases) {
    it(name, () => assert.equal(serverStatus(vm, task, deleted), want));
  }
});

describe('statesForStatus', () => {
  it('ACTIVE -> vm_state active, no task filter (so REBOOT/RESIZE servers match too, as in Nova)', () => {
    assert.deepEqual(statesForStatus('ACTIVE'), { vmStates: ['active'] });
  });

  it('is case-insensitive: reboot -> active + the three soft reboot tasks', () => {
    assert.deepEqual(statesForStatus('reboot'), {
      vmStates: ['active'],
      taskStates: ['reboot_pending', 'reboot_started', 'rebooting'],
    });
  });

  it('RESIZE -> active and stopped with the resize tasks', () => {
    assert.deepEqual(statesForStatus('RESIZE'), {
      vmStates: ['active', 'stopped'],
      taskStates: ['resize_finish', 'resize_migrated', 'resize_migrating', 'resize_prep'],
    });
  });

  it('REBUILD -> active, error, stopped with the rebuild tasks', () => {
    assert.deepEqual(statesForStatus('REBUILD'), {
      vmStates: ['active', 'error', 'stopped'],
      taskStates: ['rebuild_block_device_mapping', 'rebuild_spawning', 'rebuilding'],
    });
  });

  it('MIGRATING -> active and paused with migrating', () => {
    assert.deepEqual(statesForStatus('MIGRATING'), { vmStates: ['active', 'paused'], taskStates: ['migrating'] });
  });

  it("B47 DELETED -> vm_state deleted (admin check is the caller's)", () => {
    assert.deepEqual(statesForStatus('DELETED'), { vmStates: ['deleted'] });
  });

  it('B46 SOFT_DELETED -> vm_state soft-delete', () => {
    assert.deepEqual(statesForStatus('SOFT_DELETED'), { vmStates: ['soft-delete'] });
  });

  it('SHUTOFF -> stopped; VERIFY_RESIZE -> resized; REVERT_RESIZE -> resized/resize_reverting', () => {
    assert.deepEqual(statesForStatus('SHUTOFF'), { vmStates: ['stopped'] });
    assert.deepEqual(statesForStatus('VERIFY_RESIZE'), { vmStates: ['resized'] });
    assert.deepEqual(statesForStatus('REVERT_RESIZE'), { vmStates: ['resized'], taskStates: ['resize_reverting'] });
  });

  it('several statuses: a default among them drops the task filter', () => {
    assert.deepEqual(statesForStatus(['ACTIVE', 'REBOOT']), { vmStates: ['active'] });
    assert.deepEqual(statesForStatus(['REBOOT', 'HARD_REBOOT']), {
      vmStates: ['active'],
      taskStates: [
        'reboot_pending',
        'reboot_pending_hard',
        'reboot_started',
        'reboot_started_hard',
        'rebooting',
        'rebooting_hard',
      ],
    });
  });

  it('unknown status -> null (caller: 400 "Invalid status value" from 2.38)', () => {
    assert.equal(statesForStatus('bogus'), null);
    assert.equal(statesForStatus([]), null);
    assert.equal(statesForStatus('UNKNOWN'), null);
  });

  it('every status serverStatus can produce for a live row round-trips', () => {
    for (const s of KNOWN_STATUSES) {
      const f = statesForStatus(s);
      assert.ok(f, s);
      for (const vm of f.vmStates) {
        const tasks: (TaskState | null)[] = f.taskStates ?? [null];
        for (const t of tasks) assert.equal(serverStatus(vm, t, false), s, `${s} via ${vm}/${t}`);
      }
    }
  });
});
