import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DomainError } from './errors.js';
import {
  HARD_REBOOT_RULE,
  TRANSITIONS,
  acceptedTaskState,
  actionRefusal,
  checkAction,
  checkRule,
  ruleFor,
  type ActionOptions,
  type ServerAction,
  type ServerForCheck,
} from './transitions.js';

const ID = '3f0c8a3e-6a3b-4d4e-9a37-2b7c1c1f0a11';
const LAUNCHED = '2026-01-01T00:00:00.000Z';

function server(over: Partial<ServerForCheck> = {}): ServerForCheck {
  return { id: ID, vmState: 'active', taskState: null, locked: false, launchedAt: LAUNCHED, host: 'node-1', ...over };
}

interface Case {
  name: string;
  action: ServerAction;
  server: Partial<ServerForCheck>;
  admin?: boolean;
  opts?: ActionOptions;
  /** undefined = allowed; otherwise expected code + message. */
  error?: { code: string; message: string };
}

const cases: Case[] = [
  // --- delete family -------------------------------------------------------
  { name: 'B1 delete ACTIVE server allowed', action: 'delete', server: {} },
  { name: 'B5 delete while spawning allowed', action: 'delete', server: { vmState: 'building', taskState: 'spawning', launchedAt: null } },
  { name: 'B7 delete ERROR server never launched allowed', action: 'delete', server: { vmState: 'error', launchedAt: null, host: null } },
  { name: 'B12 delete while rebooting allowed (task overwritten)', action: 'delete', server: { taskState: 'rebooting' } },
  { name: 'B13 delete while already deleting allowed (plan decides no-op)', action: 'delete', server: { taskState: 'deleting' } },
  {
    name: 'B18 delete locked server as owner -> 409 locked',
    action: 'delete',
    server: { locked: true },
    error: { code: 'ServerLocked', message: `Instance ${ID} is locked` },
  },
  { name: 'B19 delete locked server as admin allowed', action: 'delete', server: { locked: true }, admin: true },
  { name: 'B29 softDelete launched server allowed', action: 'softDelete', server: {} },
  {
    name: 'B30 softDelete never-launched server refused on launched_at (controller falls back to delete)',
    action: 'softDelete',
    server: { vmState: 'building', launchedAt: null },
    error: { code: 'InstanceInvalidState', message: `Cannot 'delete' instance ${ID} while it is in launched_at None` },
  },
  { name: 'B32 softDelete of a SOFT_DELETED server allowed', action: 'softDelete', server: { vmState: 'soft-delete' } },
  {
    name: 'B18 softDelete locked as owner -> 409 locked',
    action: 'softDelete',
    server: { locked: true },
    error: { code: 'ServerLocked', message: `Instance ${ID} is locked` },
  },
  // --- restore / forceDelete ---------------------------------------------------
  { name: 'B33 restore SOFT_DELETED allowed', action: 'restore', server: { vmState: 'soft-delete' } },
  {
    name: 'B34 restore ACTIVE -> 409 vm_state active',
    action: 'restore',
    server: { vmState: 'active' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'restore' instance ${ID} while it is in vm_state active` },
  },
  {
    name: 'B34 restore ACTIVE as admin -> still 409 (tempest test_restore_server_invalid_state)',
    action: 'restore',
    server: { vmState: 'active' },
    admin: true,
    error: { code: 'InstanceInvalidState', message: `Cannot 'restore' instance ${ID} while it is in vm_state active` },
  },
  {
    name: 'B35 restore locked as owner -> generic invalid-state message',
    action: 'restore',
    server: { vmState: 'soft-delete', locked: true },
    error: { code: 'InstanceInvalidState', message: `Instance ${ID} is in an invalid state for 'restore'` },
  },
  { name: 'B35 restore locked as admin allowed', action: 'restore', server: { vmState: 'soft-delete', locked: true }, admin: true },
  {
    name: 'restore while restoring -> 409 task_state restoring',
    action: 'restore',
    server: { vmState: 'soft-delete', taskState: 'restoring' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'restore' instance ${ID} while it is in task_state restoring` },
  },
  { name: 'B36 forceDelete ACTIVE allowed', action: 'forceDelete', server: {} },
  { name: 'B36 forceDelete SOFT_DELETED allowed', action: 'forceDelete', server: { vmState: 'soft-delete' } },
  { name: 'B36 forceDelete while deleting allowed', action: 'forceDelete', server: { taskState: 'deleting' } },
  { name: 'B36 forceDelete never launched allowed', action: 'forceDelete', server: { vmState: 'error', launchedAt: null } },
  {
    name: 'B38 forceDelete locked as owner -> 409 locked',
    action: 'forceDelete',
    server: { vmState: 'soft-delete', locked: true },
    error: { code: 'ServerLocked', message: `Instance ${ID} is locked` },
  },
  // --- lock / unlock / resetState ---------------------------------------------
  { name: 'B39 lock allowed in any state', action: 'lock', server: { vmState: 'error', taskState: 'deleting', launchedAt: null } },
  { name: 'B39 lock an already locked server allowed (no-op decided by caller)', action: 'lock', server: { locked: true } },
  { name: 'B41 unlock a locked server as owner passes the state check (policy decides)', action: 'unlock', server: { locked: true } },
  { name: 'resetState allowed in any state', action: 'resetState', server: { vmState: 'building', taskState: 'spawning', locked: true } },
  // --- stop / start (tempest lock test, 7.2) -----------------------------------
  { name: 'stop ACTIVE allowed', action: 'stop', server: {} },
  { name: 'stop ERROR allowed', action: 'stop', server: { vmState: 'error' } },
  {
    name: '7.2 stop locked server as owner -> 409 locked',
    action: 'stop',
    server: { locked: true },
    error: { code: 'ServerLocked', message: `Instance ${ID} is locked` },
  },
  {
    name: 'stop SHUTOFF -> 409 vm_state stopped',
    action: 'stop',
    server: { vmState: 'stopped' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'stop' instance ${ID} while it is in vm_state stopped` },
  },
  {
    name: '2.3 stop while deleting -> 409 task_state deleting',
    action: 'stop',
    server: { taskState: 'deleting' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'stop' instance ${ID} while it is in task_state deleting` },
  },
  {
    name: 'stop ERROR never launched -> 409 launched_at None',
    action: 'stop',
    server: { vmState: 'error', launchedAt: null },
    error: { code: 'InstanceInvalidState', message: `Cannot 'stop' instance ${ID} while it is in launched_at None` },
  },
  {
    name: 'stop without host -> 409 not ready',
    action: 'stop',
    server: { vmState: 'error', host: null },
    error: { code: 'InstanceNotReady', message: `Instance ${ID} is not ready` },
  },
  { name: 'stop with host unknown to the caller skips the host check', action: 'stop', server: { host: undefined } },
  { name: 'start SHUTOFF allowed', action: 'start', server: { vmState: 'stopped' } },
  {
    name: 'start ACTIVE -> 409 vm_state active',
    action: 'start',
    server: {},
    error: { code: 'InstanceInvalidState', message: `Cannot 'start' instance ${ID} while it is in vm_state active` },
  },
  // --- reboot ------------------------------------------------------------------
  { name: 'reboot SOFT ACTIVE allowed', action: 'reboot', server: {} },
  {
    name: 'reboot SOFT SHUTOFF -> 409 vm_state stopped',
    action: 'reboot',
    server: { vmState: 'stopped' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'reboot' instance ${ID} while it is in vm_state stopped` },
  },
  {
    name: '2.3 reboot while deleting -> 409 task_state deleting',
    action: 'reboot',
    server: { taskState: 'deleting' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'reboot' instance ${ID} while it is in task_state deleting` },
  },
  {
    name: 'reboot SOFT while rebooting -> 409 task_state rebooting',
    action: 'reboot',
    server: { taskState: 'rebooting' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'reboot' instance ${ID} while it is in task_state rebooting` },
  },
  { name: 'reboot HARD while rebooting allowed', action: 'reboot', server: { taskState: 'rebooting' }, opts: { rebootType: 'HARD' } },
  { name: 'reboot HARD SHUTOFF allowed', action: 'reboot', server: { vmState: 'stopped' }, opts: { rebootType: 'HARD' } },
  { name: 'reboot HARD ERROR allowed', action: 'reboot', server: { vmState: 'error' }, opts: { rebootType: 'HARD' } },
  {
    name: 'reboot HARD while deleting -> 409 task_state deleting',
    action: 'reboot',
    server: { taskState: 'deleting' },
    opts: { rebootType: 'HARD' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'reboot' instance ${ID} while it is in task_state deleting` },
  },
  {
    name: 'reboot HARD SHELVED -> 409 vm_state shelved',
    action: 'reboot',
    server: { vmState: 'shelved' },
    opts: { rebootType: 'HARD' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'reboot' instance ${ID} while it is in vm_state shelved` },
  },
  // --- pause / unpause / suspend / resume ---------------------------------------
  { name: 'pause ACTIVE allowed', action: 'pause', server: {} },
  {
    name: 'pause PAUSED -> 409 vm_state paused',
    action: 'pause',
    server: { vmState: 'paused' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'pause' instance ${ID} while it is in vm_state paused` },
  },
  { name: 'unpause PAUSED allowed', action: 'unpause', server: { vmState: 'paused' } },
  {
    name: 'unpause ACTIVE -> 409 vm_state active',
    action: 'unpause',
    server: {},
    error: { code: 'InstanceInvalidState', message: `Cannot 'unpause' instance ${ID} while it is in vm_state active` },
  },
  { name: 'suspend ACTIVE allowed', action: 'suspend', server: {} },
  {
    name: 'suspend locked as owner -> 409 locked',
    action: 'suspend',
    server: { locked: true },
    error: { code: 'ServerLocked', message: `Instance ${ID} is locked` },
  },
  { name: 'resume SUSPENDED allowed', action: 'resume', server: { vmState: 'suspended' } },
  {
    name: 'resume SHUTOFF -> 409 vm_state stopped',
    action: 'resume',
    server: { vmState: 'stopped' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'resume' instance ${ID} while it is in vm_state stopped` },
  },
  // --- shelve family -------------------------------------------------------------
  { name: 'shelve SHUTOFF allowed', action: 'shelve', server: { vmState: 'stopped' } },
  {
    name: 'shelve SHELVED -> 409 vm_state shelved',
    action: 'shelve',
    server: { vmState: 'shelved' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'shelve' instance ${ID} while it is in vm_state shelved` },
  },
  { name: 'shelveOffload SHELVED allowed', action: 'shelveOffload', server: { vmState: 'shelved' } },
  {
    name: 'shelveOffload ACTIVE -> 409 uses the name shelveOffload',
    action: 'shelveOffload',
    server: {},
    error: { code: 'InstanceInvalidState', message: `Cannot 'shelveOffload' instance ${ID} while it is in vm_state active` },
  },
  { name: 'unshelve SHELVED_OFFLOADED allowed', action: 'unshelve', server: { vmState: 'shelved_offloaded', host: null } },
  {
    name: 'unshelve while unshelving -> 409 task_state unshelving',
    action: 'unshelve',
    server: { vmState: 'shelved_offloaded', taskState: 'unshelving' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'unshelve' instance ${ID} while it is in task_state unshelving` },
  },
];

describe('checkAction', () => {
  for (const c of cases) {
    it(c.name, () => {
      const run = () => checkAction(c.action, server(c.server), c.admin ?? false, c.opts);
      if (!c.error) {
        assert.doesNotThrow(run);
        return;
      }
      assert.throws(run, (e: unknown) => {
        assert.ok(e instanceof DomainError);
        assert.equal(e.kind, 'conflict');
        assert.equal(e.code, c.error!.code);
        assert.equal(e.message, c.error!.message);
        return true;
      });
    });
  }

  it('checks lock before vm_state (locked ACTIVE server, restore by owner -> lock message)', () => {
    const e = actionRefusal('restore', server({ locked: true }), false);
    assert.equal(e?.message, `Instance ${ID} is in an invalid state for 'restore'`);
  });

  it('checks vm_state before task_state before launched_at', () => {
    const s = server({ vmState: 'stopped', taskState: 'deleting', launchedAt: null });
    assert.match(actionRefusal('pause', s, false)!.message, /vm_state stopped$/);
    assert.match(actionRefusal('start', s, false)!.message, /task_state deleting$/);
    assert.match(actionRefusal('start', server({ vmState: 'stopped', launchedAt: null }), false)!.message, /launched_at None$/);
  });

  it('shows None when the task_state is null and the rule wants a task', () => {
    const needsTask = { ...TRANSITIONS.stop, taskStates: ['migrating' as const] };
    assert.throws(
      () => checkRule(needsTask, server(), false),
      { message: `Cannot 'stop' instance ${ID} while it is in task_state None` },
    );
  });

  it('actionRefusal returns null when allowed', () => {
    assert.equal(actionRefusal('pause', server(), false), null);
  });
});

describe('transition table', () => {
  const accepted: Array<[ServerAction, ActionOptions, string | null]> = [
    ['stop', {}, 'powering-off'],
    ['start', {}, 'powering-on'],
    ['reboot', {}, 'rebooting'],
    ['reboot', { rebootType: 'SOFT' }, 'rebooting'],
    ['reboot', { rebootType: 'HARD' }, 'rebooting_hard'],
    ['pause', {}, 'pausing'],
    ['unpause', {}, 'unpausing'],
    ['suspend', {}, 'suspending'],
    ['resume', {}, 'resuming'],
    ['shelve', {}, 'shelving'],
    ['shelveOffload', {}, 'shelving_offloading'],
    ['unshelve', {}, 'unshelving'],
    ['restore', {}, 'restoring'],
    ['delete', {}, 'deleting'],
    ['forceDelete', {}, 'deleting'],
    ['softDelete', {}, 'soft-deleting'],
    ['lock', {}, null],
    ['unlock', {}, null],
    ['resetState', {}, null],
  ];
  for (const [action, opts, task] of accepted) {
    it(`${action}${opts.rebootType ? ' ' + opts.rebootType : ''} sets task_state ${task ?? 'None'}`, () => {
      assert.equal(acceptedTaskState(action, opts), task);
    });
  }

  it('HARD reboot uses ALLOW_HARD_REBOOT vm_states', () => {
    assert.equal(ruleFor('reboot', { rebootType: 'HARD' }), HARD_REBOOT_RULE);
    assert.deepEqual([...HARD_REBOOT_RULE.vmStates!], ['active', 'stopped', 'paused', 'suspended', 'error']);
  });

  it('only lock, unlock and resetState ignore the lock', () => {
    const open = (Object.keys(TRANSITIONS) as ServerAction[]).filter((a) => !TRANSITIONS[a].lockBlocks).sort();
    assert.deepEqual(open, ['lock', 'resetState', 'unlock']);
  });

  it('the table is frozen', () => {
    assert.ok(Object.isFrozen(TRANSITIONS));
    assert.ok(Object.isFrozen(TRANSITIONS.stop));
  });
});
