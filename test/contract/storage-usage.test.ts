// Storage contract: what the admin read APIs read of the servers (hypervisor usage, tenant usage), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as servers from '../../src/db/repositories/servers.repository.js';
import * as usage from '../../src/db/repositories/usage.repository.js';
import { T, serverRow, storageSuite, uuid } from '../../src/testing/storage.js';

storageSuite('usage storage', (s) => {
  test('liveServersOnHosts: live servers of those hosts only, oldest first; none asked, none given', async () => {
    const db = s.database.db;
    await servers.insertServer(db, serverRow(uuid(1, 2), { host: 'uh-1', created_at: T(2), task_state: 'rebooting' }));
    await servers.insertServer(db, serverRow(uuid(1, 1), { host: 'uh-1', created_at: T(1) }));
    await servers.insertServer(db, serverRow(uuid(1, 3), { host: 'uh-2', created_at: T(1) }));
    await servers.insertServer(db, serverRow(uuid(1, 4), { host: 'uh-1', deleted: 1, vm_state: 'deleted' }));
    await servers.insertServer(db, serverRow(uuid(1, 5), { host: 'uh-3' }));
    const rows = await usage.liveServersOnHosts(db, ['uh-1', 'uh-2']);
    assert.deepEqual(
      rows.map((r) => [r.id, r.host, r.task_state]),
      [
        [uuid(1, 1), 'uh-1', null],
        [uuid(1, 3), 'uh-2', null],
        [uuid(1, 2), 'uh-1', 'rebooting'],
      ],
    );
    assert.deepEqual(await usage.liveServersOnHosts(db, []), []);
  });

  test('serversActiveInWindow: overlap, deleted included, never-launched left out, project filter, keyset paging', async () => {
    const db = s.database.db;
    const w = { project_id: 'uw' };
    await servers.insertServer(db, serverRow(uuid(2, 1), { ...w, launched_at: T(10) }));
    await servers.insertServer(
      db,
      serverRow(uuid(2, 2), { ...w, launched_at: T(10), terminated_at: T(15), deleted: 1 }),
    );
    await servers.insertServer(db, serverRow(uuid(2, 3), { ...w, launched_at: T(10), terminated_at: T(19) }));
    await servers.insertServer(db, serverRow(uuid(2, 4), { ...w, launched_at: T(30) }));
    await servers.insertServer(db, serverRow(uuid(2, 5), { ...w, launched_at: null }));
    await servers.insertServer(db, serverRow(uuid(2, 6), { project_id: 'uw-other', launched_at: T(10) }));
    const win = { begin: T(20), end: T(30) };
    const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
    assert.deepEqual(ids(await usage.serversActiveInWindow(db, { ...win, projectId: 'uw' })), [uuid(2, 1)]);
    const wide = { begin: T(12), end: T(40), projectId: 'uw' };
    assert.deepEqual(ids(await usage.serversActiveInWindow(db, wide)), [
      uuid(2, 1),
      uuid(2, 2),
      uuid(2, 3),
      uuid(2, 4),
    ]);
    const page = await usage.serversActiveInWindow(db, { ...wide, limit: 2 });
    assert.deepEqual(ids(page), [uuid(2, 1), uuid(2, 2)]);
    const key = await usage.serverKey(db, uuid(2, 2));
    assert.deepEqual(key, { project_id: 'uw', id: uuid(2, 2) });
    assert.deepEqual(ids(await usage.serversActiveInWindow(db, { ...wide, after: key })), [uuid(2, 3), uuid(2, 4)]);
    const all = ids(
      await usage.serversActiveInWindow(db, { begin: T(12), end: T(40), after: { project_id: 'uw', id: uuid(2, 4) } }),
    );
    assert.ok(all.includes(uuid(2, 6)) && !all.includes(uuid(2, 1)), 'the next project follows');
    assert.equal(await usage.serverKey(db, uuid(2, 9)), undefined);
  });
});
