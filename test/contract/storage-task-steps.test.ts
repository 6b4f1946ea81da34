// Storage contract: the timeline's task steps, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as taskSteps from '../../src/db/repositories/task-steps.repository.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import type { TaskStepRow } from '../../src/db/repositories/task-steps.repository.js';
import { T, assertUniqueViolation, serverRow, storageSuite, uuid } from '../../src/testing/storage.js';

const stepRow = (id: string, over: Partial<TaskStepRow> = {}): TaskStepRow => ({
  id,
  task_id: uuid(96, 900),
  server_id: uuid(96, 100),
  request_id: 'req-1',
  action: 'terminate',
  step: 'task.queued',
  seq: 0,
  host: 'h1',
  started_at: T(1),
  finished_at: T(2),
  result: 'ok',
  message: null,
  ...over,
});

storageSuite('task steps storage', (s) => {
  test('insertTaskSteps / listServerSteps: one multi-row insert; a server’s steps by start, then seq; nulls kept', async () => {
    const db = s.database.db;
    const server = uuid(96, 100);
    await taskSteps.insertTaskSteps(db, []); // nothing to write: no statement
    await taskSteps.insertTaskSteps(db, [
      stepRow(uuid(96, 3), { step: 'task.finished', seq: 2, started_at: T(5), finished_at: T(5) }),
      stepRow(uuid(96, 1), { step: 'task.queued', seq: 0, started_at: T(1), finished_at: T(2) }),
      stepRow(uuid(96, 2), { step: 'task.leased', seq: 1, started_at: T(2), finished_at: null, result: null }),
      stepRow(uuid(96, 4), { step: 'driver.destroy', seq: 3, started_at: T(2), message: 'boom', result: 'error' }),
      stepRow(uuid(96, 5), { server_id: uuid(96, 101) }),
    ]);
    await taskSteps.insertTaskSteps(db, [
      stepRow(uuid(96, 6), {
        task_id: null,
        host: null,
        request_id: null,
        action: 'delete',
        step: 'deleted',
        started_at: T(9),
      }),
    ]);
    const rows = await taskSteps.listServerSteps(db, server);
    assert.deepEqual(
      rows.map((r) => r.step),
      ['task.queued', 'task.leased', 'driver.destroy', 'task.finished', 'deleted'],
    );
    assert.deepEqual(
      rows[1],
      stepRow(uuid(96, 2), { step: 'task.leased', seq: 1, started_at: T(2), finished_at: null, result: null }),
    );
    assert.deepEqual(
      rows[4],
      stepRow(uuid(96, 6), {
        task_id: null,
        host: null,
        request_id: null,
        action: 'delete',
        step: 'deleted',
        started_at: T(9),
      }),
    );
    assert.equal(typeof rows[0].seq, 'number');
    assert.deepEqual(await taskSteps.listServerSteps(db, uuid(96, 199)), []);
    await assertUniqueViolation(taskSteps.insertTaskSteps(db, [stepRow(uuid(96, 1))]));
  });

  test('purgeDeletedServers takes the purged servers’ steps, and only theirs', async () => {
    const db = s.database.db;
    await servers.insertServer(db, serverRow(uuid(96, 10)));
    await servers.markServerDeleted(db, uuid(96, 10), T(10));
    await servers.insertServer(db, serverRow(uuid(96, 11)));
    await servers.markServerDeleted(db, uuid(96, 11), T(30));
    await servers.insertServer(db, serverRow(uuid(96, 12)));
    for (const [n, server] of [
      [20, 10],
      [21, 10],
      [22, 11],
      [23, 12],
    ])
      await taskSteps.insertTaskSteps(db, [stepRow(uuid(96, n), { server_id: uuid(96, server), seq: n })]);
    await servers.purgeDeletedServers(db, T(20));
    assert.deepEqual(await taskSteps.listServerSteps(db, uuid(96, 10)), []);
    assert.equal((await taskSteps.listServerSteps(db, uuid(96, 11))).length, 1, 'deleted later: kept');
    assert.equal((await taskSteps.listServerSteps(db, uuid(96, 12))).length, 1, 'live: kept');
  });
});
