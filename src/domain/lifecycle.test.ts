// Case names starting "B<n>" cite the rows of the behaviour table in docs/delete-server.md §7.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DomainError } from './errors.js';
import {
  LIFECYCLE,
  actionForKey,
  checkAction,
  lifecycleOfTask,
  tasksSupersededBy,
  type ServerAction,
  type ServerForCheck,
  type TaskKind,
} from './lifecycle.js';

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
  /** undefined = allowed; otherwise expected code + message. */
  error?: { code: string; message: string };
}

// The actions whose check the API evaluates (the delete family's is the delete plan's, tested there).
const cases: Case[] = [
  // --- restore ---------------------------------------------------
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
  {
    name: 'B35 restore locked as admin allowed',
    action: 'restore',
    server: { vmState: 'soft-delete', locked: true },
    admin: true,
  },
  {
    name: 'restore while restoring -> 409 task_state restoring',
    action: 'restore',
    server: { vmState: 'soft-delete', taskState: 'restoring' },
    error: {
      code: 'InstanceInvalidState',
      message: `Cannot 'restore' instance ${ID} while it is in task_state restoring`,
    },
  },
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
    error: {
      code: 'InstanceInvalidState',
      message: `Cannot 'reboot' instance ${ID} while it is in task_state deleting`,
    },
  },
  {
    name: 'reboot SOFT while rebooting -> 409 task_state rebooting',
    action: 'reboot',
    server: { taskState: 'rebooting' },
    error: {
      code: 'InstanceInvalidState',
      message: `Cannot 'reboot' instance ${ID} while it is in task_state rebooting`,
    },
  },
  { name: 'reboot HARD while rebooting allowed', action: 'rebootHard', server: { taskState: 'rebooting' } },
  { name: 'reboot HARD SHUTOFF allowed', action: 'rebootHard', server: { vmState: 'stopped' } },
  { name: 'reboot HARD ERROR allowed', action: 'rebootHard', server: { vmState: 'error' } },
  {
    name: 'reboot HARD while deleting -> 409 task_state deleting',
    action: 'rebootHard',
    server: { taskState: 'deleting' },
    error: {
      code: 'InstanceInvalidState',
      message: `Cannot 'reboot' instance ${ID} while it is in task_state deleting`,
    },
  },
  {
    name: 'reboot HARD SHELVED -> 409 vm_state shelved',
    action: 'rebootHard',
    server: { vmState: 'shelved' },
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
    error: {
      code: 'InstanceInvalidState',
      message: `Cannot 'shelveOffload' instance ${ID} while it is in vm_state active`,
    },
  },
  {
    name: 'unshelve SHELVED_OFFLOADED allowed',
    action: 'unshelve',
    server: { vmState: 'shelved_offloaded', host: null },
  },
  {
    name: 'unshelve while unshelving -> 409 task_state unshelving',
    action: 'unshelve',
    server: { vmState: 'shelved_offloaded', taskState: 'unshelving' },
    error: {
      code: 'InstanceInvalidState',
      message: `Cannot 'unshelve' instance ${ID} while it is in task_state unshelving`,
    },
  },
  // --- rescue / unrescue / changePassword / diagnostics (issue 12) ---------------
  { name: 'rescue ACTIVE allowed', action: 'rescue', server: {} },
  { name: 'rescue STOPPED allowed', action: 'rescue', server: { vmState: 'stopped' } },
  { name: 'rescue ERROR allowed', action: 'rescue', server: { vmState: 'error' } },
  {
    name: 'rescue RESCUED -> 409 vm_state rescued',
    action: 'rescue',
    server: { vmState: 'rescued' },
    error: { code: 'InstanceInvalidState', message: `Cannot 'rescue' instance ${ID} while it is in vm_state rescued` },
  },
  {
    name: 'rescue locked as owner -> 409 locked',
    action: 'rescue',
    server: { locked: true },
    error: { code: 'ServerLocked', message: `Instance ${ID} is locked` },
  },
  { name: 'unrescue RESCUED allowed', action: 'unrescue', server: { vmState: 'rescued' } },
  {
    name: 'unrescue ACTIVE -> 409 vm_state active',
    action: 'unrescue',
    server: {},
    error: { code: 'InstanceInvalidState', message: `Cannot 'unrescue' instance ${ID} while it is in vm_state active` },
  },
  { name: 'changePassword ACTIVE allowed', action: 'changePassword', server: {} },
  {
    name: 'changePassword STOPPED -> 409 vm_state stopped',
    action: 'changePassword',
    server: { vmState: 'stopped' },
    error: {
      code: 'InstanceInvalidState',
      message: `Cannot 'changePassword' instance ${ID} while it is in vm_state stopped`,
    },
  },
  {
    name: 'getDiagnostics locked and busy allowed',
    action: 'getDiagnostics',
    server: { locked: true, taskState: 'rebooting' },
  },
  {
    name: 'getDiagnostics without a host -> 409 not ready',
    action: 'getDiagnostics',
    server: { host: null },
    error: { code: 'InstanceNotReady', message: `Instance ${ID} is not ready` },
  },
];

describe('checkAction', () => {
  for (const c of cases) {
    it(c.name, () => {
      const run = () => checkAction(c.action, server(c.server), c.admin ?? false);
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
    assert.throws(() => checkAction('restore', server({ locked: true }), false), {
      message: `Instance ${ID} is in an invalid state for 'restore'`,
    });
  });

  it('checks vm_state before task_state before launched_at', () => {
    const s = server({ vmState: 'stopped', taskState: 'deleting', launchedAt: null });
    assert.throws(() => checkAction('pause', s, false), /vm_state stopped$/);
    assert.throws(() => checkAction('start', s, false), /task_state deleting$/);
    assert.throws(
      () => checkAction('start', server({ vmState: 'stopped', launchedAt: null }), false),
      /launched_at None$/,
    );
  });

  it('console output: any task, lock or launch; only the vm_state counts', () => {
    assert.doesNotThrow(() =>
      checkAction('getConsoleOutput', server({ taskState: 'deleting', locked: true, launchedAt: null }), false),
    );
    assert.throws(() => checkAction('getConsoleOutput', server({ vmState: 'shelved' }), false), {
      message: `Cannot 'get_console_output' instance ${ID} while it is in vm_state shelved`,
    });
  });
});

describe('lifecycle table', () => {
  const actions = Object.keys(LIFECYCLE) as ServerAction[];

  it('the task_state the API sets is one its task runs in', () => {
    for (const a of actions) {
      const r = LIFECYCLE[a];
      if (r.task && r.setsTaskState) assert.ok(r.runsWhile.includes(r.setsTaskState), a);
    }
  });

  it('rows that share a task kind agree on how the agent runs it', () => {
    for (const a of actions) {
      const r = LIFECYCLE[a];
      if (!r.task) continue;
      const byKind = lifecycleOfTask(r.task);
      assert.deepEqual(
        [byKind.runsWhile, byKind.completion, byKind.supersededByDelete],
        [r.runsWhile, r.completion, r.supersededByDelete],
        a,
      );
    }
  });

  it('every task that changes state says what it leaves; the questions (console, diagnostics) and os-interface do not', () => {
    const noCompletion = [
      'console',
      'diagnostics',
      'attach_interface',
      'detach_interface',
      'attach_volume',
      'detach_volume',
    ];
    for (const a of actions) {
      const r = LIFECYCLE[a];
      if (r.task) assert.equal(r.completion === null, noCompletion.includes(r.task), a);
    }
  });

  it('a delete cancels every queued task but the questions the API waits on and volume attach/detach; a local one also those and a queued terminate', () => {
    const all: TaskKind[] = [
      'spawn',
      'power_off',
      'power_on',
      'reboot',
      'pause',
      'unpause',
      'suspend',
      'resume',
      'shelve',
      'shelve_offload',
      'unshelve',
      'restore',
      'soft_delete',
      'resize',
      'finish_resize',
      'revert_resize',
      'finish_revert_resize',
      'rescue',
      'unrescue',
      'rebuild',
      'snapshot',
      'attach_interface',
      'backup',
      'detach_interface',
      'attach_volume',
      'detach_volume',
      'live_migration',
      'pre_live_migration',
      'post_live_migration',
      'evacuate',
    ];
    // a queued volume attach/detach outlives a remote delete: its handler finishes or rolls back its step
    const volumeTasks = ['attach_volume', 'detach_volume'];
    assert.deepEqual(tasksSupersededBy('remote').sort(), all.filter((k) => !volumeTasks.includes(k)).sort());
    assert.deepEqual(tasksSupersededBy('local').sort(), [...all, 'terminate'].sort());
  });

  it('request keys name their actions; reboot picks SOFT or HARD by type', () => {
    assert.equal(actionForKey('os-stop'), 'stop');
    assert.equal(actionForKey('shelveOffload'), 'shelveOffload');
    assert.equal(actionForKey('reboot', { rebootType: 'SOFT' }), 'reboot');
    assert.equal(actionForKey('reboot', { rebootType: 'HARD' }), 'rebootHard');
    assert.equal(actionForKey('explode'), undefined);
  });

  it('HARD reboot accepts ALLOW_HARD_REBOOT vm_states and sets rebooting_hard', () => {
    assert.deepEqual([...LIFECYCLE.rebootHard.check!.vmStates!], ['active', 'stopped', 'paused', 'suspended', 'error']);
    assert.equal(LIFECYCLE.rebootHard.setsTaskState, 'rebooting_hard');
  });

  it('the table is frozen', () => {
    assert.ok(Object.isFrozen(LIFECYCLE));
    assert.ok(Object.isFrozen(LIFECYCLE.stop.check));
  });
});

describe('metadata and tag rows (compute API update/delete_instance_metadata, server_tags.py)', () => {
  const metadataActions: ServerAction[] = ['updateMetadata', 'deleteMetadata'];
  const tagActions: ServerAction[] = ['updateTag', 'updateTags', 'deleteTag', 'deleteTags'];
  const allowedStates = ['active', 'paused', 'suspended', 'stopped'] as const;

  it('accept ACTIVE, PAUSED, SUSPENDED and STOPPED; refuse the rest by vm_state', () => {
    for (const a of [...metadataActions, ...tagActions]) {
      for (const vmState of allowedStates) checkAction(a, server({ vmState }), false);
      for (const vmState of ['building', 'error', 'shelved', 'shelved_offloaded', 'soft-delete'] as const)
        assert.throws(() => checkAction(a, server({ vmState }), false), {
          message: `Cannot '${LIFECYCLE[a].novaAction}' instance ${ID} while it is in vm_state ${vmState}`,
        });
    }
  });

  it('metadata: locked (admins excepted), task_state None and launched; tags: none of these', () => {
    for (const a of metadataActions) {
      assert.throws(() => checkAction(a, server({ locked: true }), false), { message: `Instance ${ID} is locked` });
      checkAction(a, server({ locked: true }), true);
      assert.throws(() => checkAction(a, server({ taskState: 'powering-off' }), false), {
        message: `Cannot '${LIFECYCLE[a].novaAction}' instance ${ID} while it is in task_state powering-off`,
      });
      assert.throws(() => checkAction(a, server({ launchedAt: null }), false), DomainError);
    }
    for (const a of tagActions) {
      checkAction(a, server({ locked: true, taskState: 'powering-off', launchedAt: null }), false);
    }
  });

  it('the API does the work: no task, no task_state', () => {
    for (const a of [...metadataActions, ...tagActions]) {
      assert.equal(LIFECYCLE[a].task, null);
      assert.equal(LIFECYCLE[a].setsTaskState, null);
    }
    assert.equal(LIFECYCLE.updateTags.rule, 'os_compute_api:os-server-tags:update_all');
    assert.equal(LIFECYCLE.deleteMetadata.rule, 'os_compute_api:server-metadata:delete');
  });
});
