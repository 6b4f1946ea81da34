// Storage contract: the shelve queries (shelved_offload_time), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as shelve from '../../src/db/repositories/shelve.repository.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import { T, serverRow, storageSuite, uuid } from '../../src/testing/storage.js';

storageSuite('shelve storage', (s) => {
  test('shelvedServersToOffload: SHELVED, idle, on the host, shelved before the cut-off, oldest first', async () => {
    const db = s.database.db;
    const id = (n: number) => uuid(2100, n);
    const shelved = { vm_state: 'shelved' as const, task_state: null, host: 'h1' };
    await servers.insertServer(db, serverRow(id(1), { ...shelved, shelved_at: T(20) }));
    await servers.insertServer(db, serverRow(id(2), { ...shelved, shelved_at: T(10) }));
    await servers.insertServer(db, serverRow(id(3), { ...shelved, shelved_at: T(100) })); // too recent
    await servers.insertServer(db, serverRow(id(4), { ...shelved, host: 'h2', shelved_at: T(10) })); // other host
    await servers.insertServer(db, serverRow(id(5), { ...shelved, task_state: 'unshelving', shelved_at: T(10) }));
    await servers.insertServer(db, serverRow(id(6), { ...shelved, vm_state: 'shelved_offloaded', shelved_at: T(10) }));
    await servers.insertServer(db, serverRow(id(7), { ...shelved, shelved_at: null })); // never stamped
    await servers.insertServer(db, serverRow(id(8), { ...shelved, shelved_at: T(10), deleted: 1 }));
    const rows = await shelve.shelvedServersToOffload(db, 'h1', T(50));
    assert.deepEqual(
      rows.map((r) => r.id),
      [id(2), id(1)],
    );
    assert.equal(rows[0].shelved_at, T(10));
    assert.deepEqual(await shelve.shelvedServersToOffload(db, 'h3', T(50)), []);
  });
});
