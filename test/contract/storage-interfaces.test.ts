// Storage contract: os-interface's port binding, release and device tags, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as interfaces from '../../src/db/repositories/interfaces.repository.js';
import * as network from '../../src/db/repositories/network.repository.js';
import { T, portRow, storageSuite } from '../../src/testing/storage.js';

storageSuite('interfaces storage', (s) => {
  test('bindPort binds only a port of that server', async () => {
    const db = s.database.db;
    await network.insertPort(db, portRow('if-bind', { device_id: 'srv-1' }));
    assert.equal(await interfaces.bindPort(db, 'if-bind', 'srv-2', 'node-1', T(1)), false);
    assert.equal(await interfaces.bindPort(db, 'if-bind', 'srv-1', 'node-1', T(1)), true);
    const p = await network.getPort(db, 'if-bind');
    assert.deepEqual([p?.binding_host_id, p?.status], ['node-1', 'ACTIVE']);
  });

  test('releasePort deletes a created port with its address, unbinds a user port, ignores another server', async () => {
    const db = s.database.db;
    await network.insertPort(db, portRow('if-made', { device_id: 'srv-r', created_for_server: 1, network_id: 'n-r' }));
    assert.equal(await network.claimAddress(db, 'n-r', '10.0.0.5', 'if-made'), true);
    await network.insertPort(
      db,
      portRow('if-user', { device_id: 'srv-r', device_owner: 'compute:nova', binding_host_id: 'h', status: 'ACTIVE' }),
    );
    await interfaces.setInterfaceTag(db, { port_id: 'if-made', server_id: 'srv-r', tag: 't', created_at: T(0) });
    assert.equal(await interfaces.releasePort(db, 'if-made', 'srv-other', T(2)), 'none');
    assert.equal(await interfaces.releasePort(db, 'if-made', 'srv-r', T(2)), 'deleted');
    assert.equal(await network.getPort(db, 'if-made'), undefined);
    assert.deepEqual(await network.usedAddresses(db, 'n-r'), []);
    assert.equal((await interfaces.interfaceTags(db, 'srv-r')).size, 0);
    assert.equal(await interfaces.releasePort(db, 'if-user', 'srv-r', T(2)), 'unbound');
    const u = await network.getPort(db, 'if-user');
    assert.deepEqual(
      [u?.device_id, u?.device_owner, u?.binding_host_id, u?.status, u?.updated_at],
      ['', '', '', 'DOWN', T(2)],
    );
  });

  test('setInterfaceTag records and replaces; interfaceTags answers by server', async () => {
    const db = s.database.db;
    await interfaces.setInterfaceTag(db, { port_id: 'if-t1', server_id: 'srv-t', tag: 'a', created_at: T(0) });
    await interfaces.setInterfaceTag(db, { port_id: 'if-t2', server_id: 'srv-t', tag: null, created_at: T(0) });
    await interfaces.setInterfaceTag(db, { port_id: 'if-t1', server_id: 'srv-t', tag: 'b', created_at: T(1) });
    await interfaces.setInterfaceTag(db, { port_id: 'if-t3', server_id: 'srv-u', tag: 'c', created_at: T(1) });
    const tags = await interfaces.interfaceTags(db, 'srv-t');
    assert.deepEqual([...tags.entries()].sort(), [
      ['if-t1', 'b'],
      ['if-t2', null],
    ]);
  });
});
