// Storage contract: the watch API's change log (server_changes, written by triggers on servers), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import * as serverChanges from '../../src/db/repositories/server-changes.repository.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import * as actions from '../../src/db/repositories/actions.repository.js';
import type { Database } from '../../src/db/schema.js';
import { advanceFeed, hasGap } from '../../src/domain/change-feed.js';
import { T, actionRow, serverRow, storageSuite, uuid } from '../../src/testing/storage.js';

storageSuite('server changes storage', (s) => {
  const ofServer = async (id: string) =>
    (await serverChanges.changesAfter(s.database.db, 0, 1000)).filter((r) => r.server_id === id);

  test('insert, watched updates and the delete write one change each; unwatched columns write none', async () => {
    const db = s.database.db;
    const id = uuid(1);
    await servers.insertServer(
      db,
      serverRow(id, { vm_state: 'building', task_state: 'scheduling', host: null, power_state: 0 }),
    );
    await servers.casUpdateServer(db, id, 'scheduling', {
      task_state: null,
      vm_state: 'active',
      power_state: 1,
      host: 'h1',
      updated_at: T(5),
    });
    await servers.casUpdateServer(db, id, undefined, { metadata: '{"a":"b"}', updated_at: T(6) });
    await servers.casUpdateServer(db, id, undefined, { locked_by: 'owner', updated_at: T(7) });
    await servers.casUpdateServer(db, id, undefined, {
      fault: '{"code":500,"message":"boom","created":"x"}',
      name: 'n2',
      updated_at: T(8),
    });
    await servers.markServerDeleted(db, id, T(9));
    // After the delete, nothing more is written (purge and late writes of a deleted row).
    await db.updateTable('servers').set({ name: 'late' }).where('id', '=', id).execute();
    const rows = await ofServer(id);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.changed, r.changed_at]),
      [
        ['created', '', T(0)],
        ['updated', 'vm_state,task_state,power_state,host', T(5)],
        ['updated', 'locked', T(7)],
        ['updated', 'name,fault', T(8)],
        ['deleted', 'vm_state,power_state', T(9)],
      ],
    );
    const [created, active, locked, faulted, deleted] = rows;
    assert.equal(created.vm_state, 'building');
    assert.equal(created.task_state, 'scheduling');
    assert.equal(created.prev_vm_state, null);
    assert.equal(active.prev_vm_state, 'building');
    assert.equal(active.prev_task_state, 'scheduling');
    assert.equal(active.host, 'h1');
    assert.equal(active.power_state, 1);
    assert.equal(active.locked, false);
    assert.equal(locked.locked, true);
    assert.equal(faulted.name, 'n2');
    assert.equal(faulted.fault, '{"code":500,"message":"boom","created":"x"}');
    assert.equal(deleted.vm_state, 'deleted');
    assert.equal(created.project_id, 'p1');
    assert.ok(rows.every((r, i) => i === 0 || r.seq > rows[i - 1].seq));
  });

  test('request id: the latest instance action, or the one the same transaction records after the server write', async () => {
    const { dialect } = s.database;
    const id = uuid(2);
    // Through transact, as the use cases write (on SQLite, the unit number is transact's).
    await dialect.transact((tx) => servers.insertServer(tx, serverRow(id)));
    await dialect.transact((tx) => actions.insertAction(tx, actionRow(uuid(2, 1), id, { request_id: 'req-create' })));
    await dialect.transact((tx) =>
      servers.casUpdateServer(tx, id, null, { task_state: 'rebooting', updated_at: T(1) }),
    );
    // As delete-server.ts does: the CAS first, the action after, in one transaction.
    await dialect.transact(async (tx) => {
      await servers.casUpdateServer(tx, id, 'rebooting', { task_state: 'deleting', updated_at: T(2) });
      await actions.insertAction(tx, actionRow(uuid(2, 2), id, { request_id: 'req-delete' }));
    });
    // Another transaction's action does not rewrite earlier changes.
    await dialect.transact(async (tx) => {
      await actions.insertAction(tx, actionRow(uuid(2, 3), id, { request_id: 'req-other' }));
    });
    await dialect.transact((tx) => servers.markServerDeleted(tx, id, T(3)));
    const rows = await ofServer(id);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.task_state, r.request_id]),
      [
        ['created', null, null],
        ['updated', 'rebooting', 'req-create'],
        ['updated', 'deleting', 'req-delete'],
        ['deleted', null, 'req-other'],
      ],
    );
  });

  test('one statement writing many servers: one change each, with its own previous state and request id', async () => {
    const { dialect, db } = s.database;
    const ids = [uuid(17, 1), uuid(17, 2), uuid(17, 3)];
    // One multi-row insert, then one UPDATE for all (as the batched delete and its agent write).
    await dialect.transact((tx) =>
      tx
        .insertInto('servers')
        .values([
          serverRow(ids[0], { task_state: null }),
          serverRow(ids[1], { task_state: 'rebooting' }),
          serverRow(ids[2], { task_state: null }),
        ])
        .execute(),
    );
    await dialect.transact(async (tx) => {
      await tx
        .updateTable('servers')
        .set({ task_state: 'deleting', updated_at: T(4) })
        .where('id', 'in', ids)
        .execute();
      // One multi-row insert of actions: each server's change gets its own request id (the newest for ids[2]).
      await tx
        .insertInto('instance_actions')
        .values([
          actionRow(uuid(17, 11), ids[0], { request_id: 'req-a' }),
          actionRow(uuid(17, 12), ids[1], { request_id: 'req-b' }),
          actionRow(uuid(17, 13), ids[2], { request_id: 'req-c-old', start_time: T(1) }),
          actionRow(uuid(17, 14), ids[2], { request_id: 'req-c', start_time: T(2) }),
        ])
        .execute();
    });
    // A statement that changes no watched column writes nothing.
    await db.updateTable('servers').set({ metadata: '{"k":"v"}' }).where('id', 'in', ids).execute();
    const all = (await serverChanges.changesAfter(db, 0, 1000)).filter((r) => ids.includes(r.server_id));
    const of = (id: string) =>
      all.filter((r) => r.server_id === id).map((r) => [r.kind, r.prev_task_state, r.task_state, r.request_id]);
    assert.deepEqual(of(ids[0]), [
      ['created', null, null, null],
      ['updated', null, 'deleting', 'req-a'],
    ]);
    assert.deepEqual(of(ids[1]), [
      ['created', null, 'rebooting', null],
      ['updated', 'rebooting', 'deleting', 'req-b'],
    ]);
    assert.deepEqual(of(ids[2]), [
      ['created', null, null, null],
      ['updated', null, 'deleting', 'req-c'],
    ]);
  });

  test('request id: the newest action by start time, not by id (action ids are random uuids)', async () => {
    const { dialect } = s.database;
    const id = uuid(5);
    await dialect.transact((tx) => servers.insertServer(tx, serverRow(id)));
    // The newer action has the smaller id.
    await dialect.transact((tx) =>
      actions.insertAction(tx, actionRow(uuid(5, 9), id, { request_id: 'req-older', start_time: T(1) })),
    );
    await dialect.transact((tx) =>
      actions.insertAction(tx, actionRow(uuid(5, 1), id, { request_id: 'req-newer', start_time: T(2) })),
    );
    await dialect.transact((tx) =>
      servers.casUpdateServer(tx, id, null, { task_state: 'rebooting', updated_at: T(3) }),
    );
    const rows = await ofServer(id);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.request_id]),
      [
        ['created', null],
        ['updated', 'req-newer'],
      ],
    );
  });

  test('change notifications: the trigger sends none; a commit through transact notifies stratus_changes', {
    skip: s.name !== 'postgres' ? 'PostgreSQL only (SQLite has no NOTIFY)' : false,
  }, async () => {
    const db = s.database.db;
    const src = await sql<{
      src: string;
    }>`select prosrc as src from pg_proc where proname in ('stratus_servers_inserted', 'stratus_servers_updated', 'stratus_instance_actions_inserted')`.execute(
      db,
    );
    assert.equal(src.rows.length, 3);
    // A NOTIFY inside the writing transaction takes the notify lock at commit: it would serialise them.
    for (const r of src.rows) assert.doesNotMatch(r.src, /pg_notify|NOTIFY/i);
    const listener = new pg.Client({ connectionString: s.url });
    await listener.connect();
    try {
      let heard = 0;
      listener.on('notification', (n) => {
        if (n.channel === 'stratus_changes') heard++;
      });
      await listener.query('listen stratus_changes');
      const id = uuid(6);
      await s.database.dialect.transact((tx) => servers.insertServer(tx, serverRow(id)));
      for (let i = 0; i < 500 && heard === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(heard >= 1, 'a notification after the commit');
    } finally {
      await listener.end();
    }
  });

  test('changesAfter / changesFrom / seqsAfter / seqBounds / changeExists: pages in seq order', async () => {
    const db = s.database.db;
    const ids = [uuid(3, 1), uuid(3, 2), uuid(3, 3)];
    for (const id of ids) await servers.insertServer(db, serverRow(id));
    const all = await serverChanges.changesAfter(db, 0, 10000);
    const mine = all.filter((r) => ids.includes(r.server_id));
    const [a, b, c] = mine.map((r) => r.seq);
    assert.deepEqual(
      (await serverChanges.changesAfter(db, a, 2)).map((r) => r.seq),
      [b, c],
    );
    assert.deepEqual(
      (await serverChanges.changesAfter(db, a, 10, b)).map((r) => r.seq),
      [b],
    );
    assert.deepEqual(
      (await serverChanges.changesFrom(db, b, 10, c)).map((r) => r.seq),
      [b, c],
    );
    assert.deepEqual(await serverChanges.seqsAfter(db, a, 2), [b, c]);
    const bounds = await serverChanges.seqBounds(db);
    assert.equal(bounds.max, c);
    assert.equal(bounds.min, all[0].seq);
    assert.equal(await serverChanges.changeExists(db, b), true);
    assert.equal(await serverChanges.changeExists(db, c + 1000), false);
    assert.equal(typeof mine[0].seq, 'number');
    assert.equal(typeof mine[0].tx, 'number');
  });

  test('pruneChanges removes the changes older than the cut, and only those', async () => {
    const db = s.database.db;
    await servers.insertServer(db, serverRow(uuid(4, 1), { created_at: T(-100000) }));
    await servers.insertServer(db, serverRow(uuid(4, 2), { created_at: T(100000) }));
    const removed = await serverChanges.pruneChanges(db, T(-50000));
    assert.ok(removed >= 1);
    assert.equal((await ofServer(uuid(4, 1))).length, 0);
    assert.equal((await ofServer(uuid(4, 2))).length, 1);
    assert.equal(await serverChanges.pruneChanges(db, T(-50000)), 0);
  });

  test('pruneChanges cuts by seq: a newer-looking row below an old one goes too, no hole opens', async () => {
    const db = s.database.db;
    // Written in this order, but the middle writer's clock is ahead: by time alone it would stay
    // while the row after it went, a hole in the middle of the log.
    await servers.insertServer(db, serverRow(uuid(7, 1), { created_at: T(-300000) }));
    await servers.insertServer(db, serverRow(uuid(7, 2), { created_at: T(300000) }));
    await servers.insertServer(db, serverRow(uuid(7, 3), { created_at: T(-300000) }));
    await servers.insertServer(db, serverRow(uuid(7, 4), { created_at: T(300000) }));
    await serverChanges.pruneChanges(db, T(-200000));
    assert.equal((await ofServer(uuid(7, 1))).length, 0);
    assert.equal((await ofServer(uuid(7, 2))).length, 0, 'below the cut: removed with the older ones');
    assert.equal((await ofServer(uuid(7, 3))).length, 0);
    assert.equal((await ofServer(uuid(7, 4))).length, 1);
    // What is kept has no hole: every seq from the oldest kept to the newest.
    const kept = (await serverChanges.changesAfter(db, 0, 100000)).map((r) => r.seq);
    const { min, max } = await serverChanges.seqBounds(db);
    assert.equal(kept[0], min);
    assert.equal(kept.at(-1), max);
  });

  test('readOnSnapshot: the reads and the snapshot bounds come from one snapshot (PostgreSQL); SQLite none', async () => {
    const db = s.database.db;
    await servers.insertServer(db, serverRow(uuid(8, 1)));
    const { snap, value } = await serverChanges.readOnSnapshot(db, (ex) => serverChanges.changesAfter(ex, 0, 1000));
    assert.ok(value.some((r) => r.server_id === uuid(8, 1)));
    if (s.name === 'sqlite') assert.equal(snap, null);
    else {
      assert.ok(snap);
      assert.ok(snap.xmin <= snap.xmax);
    }
  });

  test('runningTransactions: PostgreSQL snapshot bounds; SQLite none (one writer)', async () => {
    const snap = await serverChanges.runningTransactions(s.database.db);
    if (s.name === 'sqlite') assert.equal(snap, null);
    else {
      assert.ok(snap);
      assert.ok(snap.xmin <= snap.xmax);
    }
  });

  test('a change committed late behind a newer one: the reader holds at the gap, then delivers both in seq order', {
    skip: s.name !== 'postgres' ? 'PostgreSQL only: SQLite commits in seq order' : false,
  }, async () => {
    const db = s.database.db;
    const other = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: s.url, max: 2 }) }),
    });
    try {
      const { max: start } = await serverChanges.seqBounds(db);
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      let inserted: () => void = () => {};
      const firstInserted = new Promise<void>((r) => {
        inserted = r;
      });
      // T1 takes the lower seq and stays open; T2 takes the next one and commits.
      const t1 = other.transaction().execute(async (tx) => {
        await servers.insertServer(tx, serverRow(uuid(5, 1)));
        inserted();
        await held;
      });
      await firstInserted;
      await servers.insertServer(db, serverRow(uuid(5, 2)));
      const rows = await serverChanges.changesAfter(db, start, 100);
      assert.equal(rows.length, 1, 'only the committed one is visible');
      const seqs = rows.map((r) => r.seq);
      assert.equal(hasGap(start, seqs), true);
      const snap = await serverChanges.runningTransactions(db);
      const step = advanceFeed(start, seqs, null, snap);
      assert.equal(step.take, 0, 'held at the gap');
      assert.equal(step.watermark, start);
      assert.ok(step.hold);
      // Still held while T1 runs.
      const again = advanceFeed(start, seqs, step.hold, await serverChanges.runningTransactions(db));
      assert.equal(again.take, 0);
      release();
      await t1;
      const after = await serverChanges.changesAfter(db, start, 100);
      const done = advanceFeed(
        start,
        after.map((r) => r.seq),
        step.hold,
        await serverChanges.runningTransactions(db),
      );
      assert.equal(done.take, 2);
      assert.deepEqual(
        after.map((r) => r.server_id),
        [uuid(5, 1), uuid(5, 2)],
      );
      // A rolled-back transaction leaves a gap that is skipped once it ended.
      const { max: before } = await serverChanges.seqBounds(db);
      await assert.rejects(
        other.transaction().execute(async (tx) => {
          await servers.insertServer(tx, serverRow(uuid(5, 3)));
          throw new Error('roll back');
        }),
      );
      await servers.insertServer(db, serverRow(uuid(5, 4)));
      const gap = await serverChanges.changesAfter(db, before, 100);
      const gapSeqs = gap.map((r) => r.seq);
      // Transaction ids are cluster-wide: other databases' transactions (parallel test files) may
      // hold the gap a while; it must end by proof or by the hold's time bound, as the hub polls.
      let skip = advanceFeed(before, gapSeqs, null, await serverChanges.runningTransactions(db), performance.now());
      const deadline = Date.now() + 15_000;
      while (skip.take === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        skip = advanceFeed(before, gapSeqs, skip.hold, await serverChanges.runningTransactions(db), performance.now());
      }
      assert.equal(skip.take, 1);
      assert.equal(skip.watermark, gap[0].seq);
    } finally {
      await other.destroy();
    }
  });
});
