// Storage contract: the durable task queue, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tasks from '../../src/db/repositories/tasks.repository.js';
import { T, assertUniqueViolation, storageSuite, taskRow, uuid } from '../../src/testing/storage.js';

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

storageSuite('tasks storage', (s) => {
  test('insertTask / getTask: every column round-trips; a duplicate id is the dialect unique violation', async () => {
    const db = s.database.db;
    const row = taskRow(uuid(1, 1), { payload: '{"actionId":"a"}', result: null, last_error: 'e' });
    await tasks.insertTask(db, row);
    assert.deepEqual(await tasks.getTask(db, uuid(1, 1)), row);
    await assertUniqueViolation(tasks.insertTask(db, taskRow(uuid(1, 1))));
    assert.equal(await tasks.getTask(db, uuid(1, 2)), undefined);
  });

  test('concurrent leasers never take the same task; expired leases only when asked', async () => {
    const db = s.database.db;
    for (let i = 0; i < 30; i++)
      await tasks.insertTask(db, taskRow(uuid(2, i), { host: 'hx', run_after: T(100), created_at: T(100) }));
    const lease = async (owner: string) => ids(await tasks.leaseTasks(db, 'hx', owner, T(101), T(200), 10, true));
    const all = (await Promise.all(['a', 'b', 'c', 'd', 'e'].map(lease))).flat();
    assert.equal(all.length, 30, 'every task leased');
    assert.equal(new Set(all).size, all.length, 'no task leased twice');
    assert.deepEqual(await tasks.leaseTasks(db, 'hx', 'f', T(150), T(250), 10, true), [], 'live leases stay');
    assert.deepEqual(await tasks.leaseTasks(db, 'hx', 'g', T(300), T(400), 100, false), []);
    const taken = await tasks.leaseTasks(db, 'hx', 'g', T(300), T(400), 100, true);
    assert.equal(taken.length, 30);
    assert.ok(taken.every((t) => t.lease_owner === 'g' && t.attempts === 2 && t.lease_expires_at === T(400)));
  });

  test('leaseTasks: due ones only, earliest run_after first, up to the limit, of that host', async () => {
    const db = s.database.db;
    const host = 'lt-h';
    await tasks.insertTask(db, taskRow(uuid(3, 1), { host, run_after: T(30) }));
    await tasks.insertTask(db, taskRow(uuid(3, 2), { host, run_after: T(10) }));
    await tasks.insertTask(db, taskRow(uuid(3, 3), { host, run_after: T(20) }));
    await tasks.insertTask(db, taskRow(uuid(3, 4), { host, run_after: T(99) }));
    await tasks.insertTask(db, taskRow(uuid(3, 5), { host: 'lt-other', run_after: T(0) }));
    await tasks.insertTask(db, taskRow(uuid(3, 6), { host, state: 'dead', run_after: T(0) }));
    const first = await tasks.leaseTasks(db, host, 'w', T(50), T(80), 2, false);
    assert.deepEqual(ids(first).sort(), [uuid(3, 2), uuid(3, 3)], 'the two earliest due');
    assert.deepEqual(
      first.map((t) => [t.state, t.lease_owner, t.lease_expires_at, t.updated_at, t.attempts]),
      [
        ['leased', 'w', T(80), T(50), 1],
        ['leased', 'w', T(80), T(50), 1],
      ],
    );
    assert.deepEqual(ids(await tasks.leaseTasks(db, host, 'w', T(50), T(80), 10, false)), [uuid(3, 1)]);
    assert.deepEqual(
      await tasks.leaseTasks(db, host, 'w', T(50), T(80), 10, false),
      [],
      'not yet due, dead, elsewhere',
    );
  });

  test('hasDueTask: a queued task of the host whose time has come', async () => {
    const db = s.database.db;
    await tasks.insertTask(db, taskRow(uuid(4, 1), { host: 'hd-h', run_after: T(10) }));
    await tasks.insertTask(db, taskRow(uuid(4, 2), { host: 'hd-h2', state: 'leased', run_after: T(0) }));
    assert.equal(await tasks.hasDueTask(db, 'hd-h', T(9)), false);
    assert.equal(await tasks.hasDueTask(db, 'hd-h', T(10)), true);
    assert.equal(await tasks.hasDueTask(db, 'hd-h2', T(10)), false, 'leased is not due');
    assert.equal(await tasks.hasDueTask(db, 'hd-none', T(10)), false);
  });

  test('openTasksForServer: queued and leased ones, oldest first', async () => {
    const db = s.database.db;
    const server = uuid(5, 100);
    await tasks.insertTask(db, taskRow(uuid(5, 1), { server_id: server, created_at: T(3) }));
    await tasks.insertTask(db, taskRow(uuid(5, 2), { server_id: server, state: 'leased', created_at: T(1) }));
    await tasks.insertTask(db, taskRow(uuid(5, 3), { server_id: server, state: 'dead', created_at: T(0) }));
    await tasks.insertTask(db, taskRow(uuid(5, 4), { server_id: uuid(5, 101), created_at: T(0) }));
    assert.deepEqual(ids(await tasks.openTasksForServer(db, server)), [uuid(5, 2), uuid(5, 1)]);
  });

  test('finishTask: done removes the row (kept on request), dead keeps it; only by the lease owner', async () => {
    const db = s.database.db;
    const leased = (n: number) => taskRow(uuid(6, n), { state: 'leased', lease_owner: 'me', lease_expires_at: T(60) });
    for (const n of [1, 2, 3]) await tasks.insertTask(db, leased(n));
    await tasks.finishTask(db, uuid(6, 1), 'other', 'done', T(5), null);
    assert.equal((await tasks.getTask(db, uuid(6, 1)))?.state, 'leased', 'another owner cannot finish it');
    await tasks.finishTask(db, uuid(6, 1), 'me', 'done', T(5), null);
    assert.equal(await tasks.getTask(db, uuid(6, 1)), undefined);
    await tasks.finishTask(db, uuid(6, 2), 'me', 'done', T(6), null, true);
    const kept = await tasks.getTask(db, uuid(6, 2));
    assert.deepEqual([kept?.state, kept?.updated_at, kept?.lease_expires_at], ['done', T(6), null]);
    await tasks.finishTask(db, uuid(6, 3), 'other', 'dead', T(7), 'boom');
    assert.equal((await tasks.getTask(db, uuid(6, 3)))?.state, 'leased');
    await tasks.finishTask(db, uuid(6, 3), 'me', 'dead', T(7), 'boom');
    const dead = await tasks.getTask(db, uuid(6, 3));
    assert.deepEqual([dead?.state, dead?.last_error, dead?.lease_expires_at], ['dead', 'boom', null]);
  });

  test('retryTask: back to the queue later, only by the lease owner', async () => {
    const db = s.database.db;
    await tasks.insertTask(
      db,
      taskRow(uuid(7, 1), { state: 'leased', lease_owner: 'me', lease_expires_at: T(60), attempts: 1 }),
    );
    await tasks.retryTask(db, uuid(7, 1), 'other', T(90), T(5), 'no');
    assert.equal((await tasks.getTask(db, uuid(7, 1)))?.state, 'leased');
    await tasks.retryTask(db, uuid(7, 1), 'me', T(90), T(5), 'transient');
    const t = await tasks.getTask(db, uuid(7, 1));
    assert.deepEqual(
      [t?.state, t?.run_after, t?.updated_at, t?.last_error, t?.lease_owner, t?.lease_expires_at, t?.attempts],
      ['queued', T(90), T(5), 'transient', null, null, 1],
    );
  });

  test('requeueTask: queued now, lease cleared, attempts reset', async () => {
    const db = s.database.db;
    await tasks.insertTask(
      db,
      taskRow(uuid(8, 1), {
        state: 'leased',
        lease_owner: 'gone',
        lease_expires_at: T(1),
        attempts: 3,
        run_after: T(0),
      }),
    );
    await tasks.requeueTask(db, uuid(8, 1), T(50));
    const t = await tasks.getTask(db, uuid(8, 1));
    assert.deepEqual(
      [t?.state, t?.run_after, t?.lease_owner, t?.lease_expires_at, t?.updated_at, t?.attempts],
      ['queued', T(50), null, null, T(50), 0],
    );
  });

  test('unleaseTask: queued again with the attempts given', async () => {
    const db = s.database.db;
    await tasks.insertTask(
      db,
      taskRow(uuid(9, 1), { state: 'leased', lease_owner: 'w', lease_expires_at: T(9), attempts: 4 }),
    );
    await tasks.unleaseTask(db, uuid(9, 1), 3);
    const t = await tasks.getTask(db, uuid(9, 1));
    assert.deepEqual([t?.state, t?.lease_owner, t?.lease_expires_at, t?.attempts], ['queued', null, null, 3]);
  });

  test('requeueLeasedOnHost: every task leased on that host goes back to the queue', async () => {
    const db = s.database.db;
    const leased = { state: 'leased', lease_owner: 'old', lease_expires_at: T(99) };
    await tasks.insertTask(db, taskRow(uuid(10, 1), { host: 'rq-h', ...leased }));
    await tasks.insertTask(db, taskRow(uuid(10, 2), { host: 'rq-h', ...leased }));
    await tasks.insertTask(db, taskRow(uuid(10, 3), { host: 'rq-h', state: 'dead' }));
    await tasks.insertTask(db, taskRow(uuid(10, 4), { host: 'rq-other', ...leased }));
    await tasks.requeueLeasedOnHost(db, 'rq-h', T(7));
    const states = async (n: number) => {
      const t = await tasks.getTask(db, uuid(10, n));
      return [t?.state, t?.lease_owner, t?.run_after];
    };
    assert.deepEqual(await states(1), ['queued', null, T(7)]);
    assert.deepEqual(await states(2), ['queued', null, T(7)]);
    assert.deepEqual(await states(3), ['dead', null, T(0)]);
    assert.deepEqual(await states(4), ['leased', 'old', T(0)]);
  });

  test('closeTasksForServer: deletes the queued tasks of those kinds; leased ones stay with their worker', async () => {
    const db = s.database.db;
    const server = uuid(11, 100);
    await tasks.insertTask(db, taskRow(uuid(11, 1), { server_id: server, kind: 'spawn' }));
    await tasks.insertTask(db, taskRow(uuid(11, 2), { server_id: server, kind: 'power_on' }));
    await tasks.insertTask(
      db,
      taskRow(uuid(11, 3), { server_id: server, kind: 'spawn', state: 'leased', lease_owner: 'w' }),
    );
    await tasks.insertTask(db, taskRow(uuid(11, 4), { server_id: server, kind: 'reboot' }));
    await tasks.insertTask(db, taskRow(uuid(11, 5), { server_id: uuid(11, 101), kind: 'spawn' }));
    await tasks.closeTasksForServer(db, server, ['spawn', 'power_on']);
    assert.deepEqual(ids(await tasks.openTasksForServer(db, server)).sort(), [uuid(11, 3), uuid(11, 4)]);
    assert.equal((await tasks.getTask(db, uuid(11, 5)))?.state, 'queued', "another server's task stays");
  });

  test('queueDepth: queued and leased tasks, as a number', async () => {
    const db = s.database.db;
    const before = await tasks.queueDepth(db);
    assert.equal(typeof before, 'number');
    await tasks.insertTask(db, taskRow(uuid(12, 1)));
    await tasks.insertTask(db, taskRow(uuid(12, 2), { state: 'leased' }));
    await tasks.insertTask(db, taskRow(uuid(12, 3), { state: 'dead' }));
    await tasks.insertTask(db, taskRow(uuid(12, 4), { state: 'done' }));
    assert.equal(await tasks.queueDepth(db), before + 2);
    await tasks.deleteTask(db, uuid(12, 1));
    assert.equal(await tasks.getTask(db, uuid(12, 1)), undefined, 'deleteTask removes the row');
    assert.equal(await tasks.queueDepth(db), before + 1);
  });

  test('setTaskResult: the answer of a question task', async () => {
    const db = s.database.db;
    await tasks.insertTask(db, taskRow(uuid(13, 1), { kind: 'console' }));
    await tasks.setTaskResult(db, uuid(13, 1), 'console output\nline 2');
    assert.equal((await tasks.getTask(db, uuid(13, 1)))?.result, 'console output\nline 2');
  });

  test('setTaskPayload rewrites one task payload; deleteQueuedTask deletes only a queued task', async () => {
    const db = s.database.db;
    await tasks.insertTask(db, taskRow(uuid(15, 1), { payload: '{"password":"p","a":1}' }));
    await tasks.insertTask(db, taskRow(uuid(15, 2), { payload: '{"b":2}' }));
    await tasks.setTaskPayload(db, uuid(15, 1), '{"a":1}');
    assert.equal((await tasks.getTask(db, uuid(15, 1)))?.payload, '{"a":1}');
    assert.equal((await tasks.getTask(db, uuid(15, 2)))?.payload, '{"b":2}');
    await tasks.insertTask(db, taskRow(uuid(15, 3), { state: 'leased', lease_owner: 'me', lease_expires_at: T(60) }));
    assert.equal(await tasks.deleteQueuedTask(db, uuid(15, 3)), false);
    assert.equal((await tasks.getTask(db, uuid(15, 3)))?.state, 'leased');
    assert.equal(await tasks.deleteQueuedTask(db, uuid(15, 1)), true);
    assert.equal(await tasks.getTask(db, uuid(15, 1)), undefined);
    assert.equal(await tasks.deleteQueuedTask(db, uuid(15, 1)), false);
  });

  test('openTasksByHost: queued and leased tasks counted per host', async () => {
    const db = s.database.db;
    const before = await tasks.openTasksByHost(db);
    const open = (n: number, host: string, state: 'queued' | 'leased' | 'dead') =>
      tasks.insertTask(db, taskRow(uuid(16, n), { host, state }));
    await open(1, 'ob-a', 'queued');
    await open(2, 'ob-a', 'leased');
    await open(3, 'ob-a', 'dead');
    await open(4, 'ob-b', 'queued');
    await open(5, 'ob-c', 'dead');
    const after = await tasks.openTasksByHost(db);
    assert.equal(after.get('ob-a'), 2);
    assert.equal(after.get('ob-b'), 1);
    assert.equal(after.has('ob-c'), false, 'dead tasks are not open');
    for (const [host, n] of before) assert.equal(after.get(host), n, host);
  });

  test('leaseTasks skips rows another transaction holds, without waiting (PostgreSQL SKIP LOCKED)', async (t) => {
    if (s.name !== 'postgres') {
      t.skip('SQLite has one writer: no row is ever held by another transaction');
      return;
    }
    const db = s.database.db;
    for (let i = 1; i <= 3; i++) await tasks.insertTask(db, taskRow(uuid(14, i), { host: 'sk-h', run_after: T(i) }));
    let leased: string[] = [];
    await db.transaction().execute(async (tx) => {
      // Another worker holds the oldest task's row.
      await tx.selectFrom('tasks').select('id').where('id', '=', uuid(14, 1)).forUpdate().execute();
      leased = ids(await tasks.leaseTasks(db, 'sk-h', 'w', T(10), T(20), 10, false));
    });
    assert.deepEqual(leased.sort(), [uuid(14, 2), uuid(14, 3)]);
    assert.deepEqual(ids(await tasks.leaseTasks(db, 'sk-h', 'w', T(10), T(20), 10, false)), [uuid(14, 1)]);
  });
});
