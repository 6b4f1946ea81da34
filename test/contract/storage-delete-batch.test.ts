// Storage contract: the batched delete's locking read and writes (issue 15), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as deleteBatch from '../../src/db/repositories/delete-batch.repository.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import * as services from '../../src/db/repositories/services.repository.js';
import * as migrations from '../../src/db/repositories/migrations.repository.js';
import * as tasks from '../../src/db/repositories/tasks.repository.js';
import * as actions from '../../src/db/repositories/actions.repository.js';
import { T, actionRow, serverRow, serviceRow, storageSuite, taskRow, uuid } from '../../src/testing/storage.js';

const IMAGE_KINDS = ['snapshot', 'backup'];

storageSuite('delete batch storage', (s) => {
  test('lockServersForDelete: live servers only, with their node, open moves and queued image tasks', async () => {
    const db = s.database.db;
    await services.upsertService(db, serviceRow(uuid(1, 50), { host: 'db-h1', forced_down: 1, last_seen_at: T(7) }));
    const [plain, moving, imaging, gone, nodeless] = [1, 2, 3, 4, 5].map((n) => uuid(1, n));
    await servers.insertServer(db, serverRow(plain, { host: 'db-h1' }));
    await servers.insertServer(db, serverRow(moving, { host: 'db-h1' }));
    await servers.insertServer(db, serverRow(imaging, { host: 'db-h1' }));
    await servers.insertServer(db, serverRow(gone, { host: 'db-h1', deleted: 1, vm_state: 'deleted' }));
    await servers.insertServer(db, serverRow(nodeless, { host: null }));
    await migrations.insertMigration(db, {
      uuid: uuid(1, 60),
      server_id: moving,
      project_id: 'p1',
      user_id: 'u1',
      migration_type: 'resize',
      status: 'migrating',
      source_compute: 'db-h1',
      source_node: 'db-h1',
      dest_compute: 'db-h2',
      dest_node: 'db-h2',
      dest_host: null,
      old_flavor_id: '1',
      new_flavor_id: '2',
      old_flavor: '{}',
      new_flavor: '{}',
      old_vm_state: 'active',
      created_at: T(1),
      updated_at: null,
    });
    await tasks.insertTask(db, taskRow(uuid(1, 70), { server_id: imaging, kind: 'snapshot' }));
    // A leased image task, and a queued task of another kind, do not count.
    await tasks.insertTask(db, taskRow(uuid(1, 71), { server_id: plain, kind: 'backup', state: 'leased' }));
    await tasks.insertTask(db, taskRow(uuid(1, 72), { server_id: plain, kind: 'reboot' }));
    const found = await s.database.dialect.transact((tx) =>
      deleteBatch.lockServersForDelete(tx, [plain, moving, imaging, gone, nodeless, uuid(1, 99)], IMAGE_KINDS),
    );
    assert.deepEqual([...found.keys()].sort(), [plain, moving, imaging, nodeless].sort());
    const p = found.get(plain)!;
    assert.deepEqual(p.server, { ...serverRow(plain, { host: 'db-h1' }) }, 'the whole row, nothing more');
    assert.deepEqual(p.node, { forced_down: 1, last_seen_at: T(7) });
    assert.deepEqual([p.hasMigration, p.hasImageTask], [false, false]);
    assert.deepEqual([found.get(moving)!.hasMigration, found.get(moving)!.hasImageTask], [true, false]);
    assert.deepEqual([found.get(imaging)!.hasMigration, found.get(imaging)!.hasImageTask], [false, true]);
    assert.equal(found.get(nodeless)!.node, undefined);
    assert.equal((await deleteBatch.lockServersForDelete(db, [], IMAGE_KINDS)).size, 0);
  });

  test('writeRemoteDeletes: compare-and-set each, close superseded queued tasks, insert action and task only where it matched', async () => {
    const db = s.database.db;
    const [a, b, stale, deleted] = [1, 2, 3, 4].map((n) => uuid(2, n));
    await servers.insertServer(db, serverRow(a));
    await servers.insertServer(db, serverRow(b, { task_state: 'powering-off' }));
    await servers.insertServer(db, serverRow(stale, { task_state: 'rebooting' }));
    await servers.insertServer(db, serverRow(deleted, { deleted: 1 }));
    await tasks.insertTask(db, taskRow(uuid(2, 10), { server_id: b, kind: 'power_off' }));
    await tasks.insertTask(db, taskRow(uuid(2, 11), { server_id: b, kind: 'power_off', state: 'leased' }));
    await tasks.insertTask(db, taskRow(uuid(2, 12), { server_id: stale, kind: 'power_off' }));
    const write = (id: string, expected: string | null, n: number): deleteBatch.RemoteDeleteWrite => ({
      serverId: id,
      expectedTaskState: expected,
      taskState: 'deleting',
      action: actionRow(uuid(2, 20 + n), id, { action: 'delete', start_time: T(5), updated_at: T(5) }),
      task: taskRow(uuid(2, 30 + n), { server_id: id, kind: 'terminate', payload: `{"n":${n}}` }),
    });
    const { matched, blocked } = await s.database.dialect.transact((tx) =>
      deleteBatch.writeRemoteDeletes(
        tx,
        T(5),
        [write(a, null, 1), write(b, 'powering-off', 2), write(stale, null, 3), write(deleted, null, 4)],
        ['power_off'],
        IMAGE_KINDS,
      ),
    );
    assert.deepEqual([...matched].sort(), [a, b].sort());
    assert.deepEqual([...blocked], []);
    for (const id of [a, b]) {
      const r = await servers.getServer(db, id);
      assert.deepEqual([r?.task_state, r?.updated_at], ['deleting', T(5)]);
    }
    assert.equal((await servers.getServer(db, stale))?.task_state, 'rebooting', 'a stale expectation changes nothing');
    assert.deepEqual(
      (await tasks.openTasksForServer(db, b)).map((t) => t.id).sort(),
      [uuid(2, 11), uuid(2, 32)],
      'the queued power_off is closed, the leased one stays, the terminate is added',
    );
    assert.deepEqual(await tasks.openTasksForServer(db, a), [
      taskRow(uuid(2, 31), { server_id: a, kind: 'terminate', payload: '{"n":1}' }),
    ]);
    assert.deepEqual(
      (await tasks.openTasksForServer(db, stale)).map((t) => t.id),
      [uuid(2, 12)],
    );
    assert.deepEqual(await actions.listActions(db, a), [
      actionRow(uuid(2, 21), a, { action: 'delete', start_time: T(5), updated_at: T(5) }),
    ]);
    assert.deepEqual(await actions.listActions(db, stale), []);
    assert.deepEqual(await actions.listActions(db, deleted), []);
    assert.equal((await deleteBatch.writeRemoteDeletes(db, T(6), [], ['power_off'], IMAGE_KINDS)).matched.size, 0);
  });
});
