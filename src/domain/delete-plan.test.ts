// Case names starting "B<n>" cite the rows of the behaviour table in docs/delete-server.md §7.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { mayHavePortsOrVolumes, planDelete, type DeleteInput, type DeletePlan } from './delete-plan.js';

const LAUNCHED = '2026-01-01T00:00:00.000Z';

function input(over: Partial<DeleteInput> = {}): DeleteInput {
  return {
    vmState: 'active',
    taskState: null,
    host: 'node-1',
    hostUp: true,
    launchedAt: LAUNCHED,
    locked: false,
    isAdmin: false,
    reclaimInstanceInterval: 0,
    force: false,
    ...over,
  };
}

const REMOTE: DeletePlan = { kind: 'remote', taskState: 'deleting', confirmResize: false };
const SOFT: DeletePlan = { kind: 'soft', taskState: 'soft-deleting', confirmResize: false };
const LOCAL_HARD: DeletePlan = { kind: 'local', soft: false, confirmResize: false };
const LOCAL_SOFT: DeletePlan = { kind: 'local', soft: true, confirmResize: false };
/** B11: VERIFY_RESIZE is confirmed first (compute/api.py _confirm_resize_on_deleting). */
const REMOTE_CONFIRM: DeletePlan = { kind: 'remote', taskState: 'deleting', confirmResize: true };

const cases: Array<[name: string, over: Partial<DeleteInput>, want: DeletePlan]> = [
  ['B1 owner deletes ACTIVE, compute up, reclaim=0 -> remote', {}, REMOTE],
  ['B2 SHUTOFF, compute up -> remote', { vmState: 'stopped' }, REMOTE],
  ['B2 PAUSED, compute up -> remote', { vmState: 'paused' }, REMOTE],
  ['B2 SUSPENDED, compute up -> remote', { vmState: 'suspended' }, REMOTE],
  ['B2 RESCUE, compute up -> remote', { vmState: 'rescued' }, REMOTE],
  [
    'B3 still a BuildRequest (no host) -> while-booting',
    { vmState: 'building', taskState: 'scheduling', host: null, hostUp: false, launchedAt: null },
    { kind: 'while-booting', confirmResize: false },
  ],
  [
    'B4 scheduled, building, no host yet -> while-booting',
    { vmState: 'building', taskState: 'block_device_mapping', host: null, hostUp: false, launchedAt: null },
    { kind: 'while-booting', confirmResize: false },
  ],
  [
    'B5 building on a host (spawning) -> remote',
    { vmState: 'building', taskState: 'spawning', launchedAt: null },
    REMOTE,
  ],
  ['B6 host compute down -> local', { hostUp: false }, LOCAL_HARD],
  ['B7 ERROR with host None -> local', { vmState: 'error', host: null, hostUp: false, launchedAt: null }, LOCAL_HARD],
  ['B8 ERROR with host set, compute up -> remote', { vmState: 'error' }, REMOTE],
  [
    'B9 SHELVED_OFFLOADED -> local, shelve image deleted',
    { vmState: 'shelved_offloaded', host: null, hostUp: false },
    LOCAL_HARD,
  ],
  ['B10 SHELVED (not offloaded) -> remote', { vmState: 'shelved' }, REMOTE],
  ['B11 VERIFY_RESIZE -> remote, the resize confirmed first', { vmState: 'resized' }, REMOTE_CONFIRM],
  [
    'B11 VERIFY_RESIZE, compute down -> local, the resize confirmed first',
    { vmState: 'resized', hostUp: false },
    { kind: 'local', soft: false, confirmResize: true },
  ],
  [
    'B11 VERIFY_RESIZE, reclaim>0 -> soft, the resize confirmed first',
    { vmState: 'resized', reclaimInstanceInterval: 3600 },
    { kind: 'soft', taskState: 'soft-deleting', confirmResize: true },
  ],
  [
    'B11 REVERT_RESIZE -> remote; its migration is reverting, not confirmable: the caller abandons it',
    { vmState: 'resized', taskState: 'resize_reverting' },
    REMOTE_CONFIRM,
  ],
  ['B12 mid-resize (resize_prep) -> remote, the move abandoned', { taskState: 'resize_prep' }, REMOTE],
  [
    'B12 mid-resize of a stopped server (resize_finish) -> remote',
    { vmState: 'stopped', taskState: 'resize_finish' },
    REMOTE,
  ],
  ['B12 another task in progress (rebooting) -> remote, task overwritten', { taskState: 'rebooting' }, REMOTE],
  ['B12 another task in progress (resize_migrating) -> remote', { taskState: 'resize_migrating' }, REMOTE],
  ['B12 mid live migration (migrating) -> remote, the move abandoned', { taskState: 'migrating' }, REMOTE],
  ['B12 mid live migration of a PAUSED server -> remote', { vmState: 'paused', taskState: 'migrating' }, REMOTE],
  [
    'B12 mid live migration, source down -> local (the destination is told to drop its guest)',
    { taskState: 'migrating', hostUp: false },
    LOCAL_HARD,
  ],
  ['B13 already deleting, compute up -> noop', { taskState: 'deleting' }, { kind: 'noop' }],
  ['B13 already soft-deleting, compute up, hard delete -> noop', { taskState: 'soft-deleting' }, { kind: 'noop' }],
  ['B14 already deleting, compute down -> local', { taskState: 'deleting', hostUp: false }, LOCAL_HARD],
  ['B18 locked, owner -> locked', { locked: true }, { kind: 'locked' }],
  ['B18 locked, owner, reclaim>0 -> locked', { locked: true, reclaimInstanceInterval: 3600 }, { kind: 'locked' }],
  [
    'B18 locked, owner, even while booting -> locked',
    { locked: true, vmState: 'building', host: null },
    { kind: 'locked' },
  ],
  ['B19 locked, admin -> remote', { locked: true, isAdmin: true }, REMOTE],
  ["B23 admin deletes another project's server -> remote", { isAdmin: true }, REMOTE],
  ['B29 reclaim>0, launched, compute up -> soft', { reclaimInstanceInterval: 3600 }, SOFT],
  ['B29 reclaim>0, locked, admin -> soft', { reclaimInstanceInterval: 3600, locked: true, isAdmin: true }, SOFT],
  [
    'B30 reclaim>0, never launched, on a host -> hard remote',
    { reclaimInstanceInterval: 3600, vmState: 'error', launchedAt: null },
    REMOTE,
  ],
  [
    'B30 reclaim>0, never launched BUILD without host -> while-booting',
    { reclaimInstanceInterval: 3600, vmState: 'building', host: null, launchedAt: null },
    { kind: 'while-booting', confirmResize: false },
  ],
  [
    'B30 reclaim>0, ERROR without host, never launched -> local hard',
    { reclaimInstanceInterval: 3600, vmState: 'error', host: null, hostUp: false, launchedAt: null },
    LOCAL_HARD,
  ],
  ['B31 reclaim>0, compute down -> local soft', { reclaimInstanceInterval: 3600, hostUp: false }, LOCAL_SOFT],
  [
    'B31 reclaim>0, SHELVED_OFFLOADED -> local soft',
    { reclaimInstanceInterval: 3600, vmState: 'shelved_offloaded', host: null, hostUp: false },
    LOCAL_SOFT,
  ],
  [
    'B32 DELETE again on SOFT_DELETED, reclaim>0 -> soft again',
    { reclaimInstanceInterval: 3600, vmState: 'soft-delete' },
    SOFT,
  ],
  ['B32 DELETE on SOFT_DELETED, reclaim=0 -> hard remote', { vmState: 'soft-delete' }, REMOTE],
  [
    'B32 forceDelete of SOFT_DELETED, reclaim>0 -> hard remote',
    { reclaimInstanceInterval: 3600, vmState: 'soft-delete', force: true },
    REMOTE,
  ],
  ['B36 forceDelete ACTIVE, reclaim>0 -> hard remote', { reclaimInstanceInterval: 3600, force: true }, REMOTE],
  [
    'B36 forceDelete while already deleting, compute up -> noop',
    { force: true, taskState: 'deleting' },
    { kind: 'noop' },
  ],
  [
    'B36 forceDelete, compute down -> local hard',
    { force: true, reclaimInstanceInterval: 3600, hostUp: false },
    LOCAL_HARD,
  ],
  ['B38 forceDelete locked, owner -> locked', { force: true, locked: true }, { kind: 'locked' }],
  ['B42 retry after a failed delete (ERROR, host up) -> remote', { vmState: 'error', launchedAt: LAUNCHED }, REMOTE],
];

describe('planDelete', () => {
  for (const [name, over, want] of cases) {
    it(name, () => assert.deepEqual(planDelete(input(over)), want));
  }

  it('hostUp is ignored without a host', () => {
    assert.deepEqual(planDelete(input({ vmState: 'error', host: null, hostUp: true })), LOCAL_HARD);
  });

  it('does not mutate its input', () => {
    const i = input({ reclaimInstanceInterval: 60 });
    const copy = { ...i };
    planDelete(i);
    assert.deepEqual(i, copy);
  });
});

describe('delete plan helpers', () => {
  it('mayHavePortsOrVolumes is true only for ERROR and SHELVED_OFFLOADED', () => {
    assert.ok(mayHavePortsOrVolumes('error'));
    assert.ok(mayHavePortsOrVolumes('shelved_offloaded'));
    assert.ok(!mayHavePortsOrVolumes('shelved'));
    assert.ok(!mayHavePortsOrVolumes('building'));
  });
});
