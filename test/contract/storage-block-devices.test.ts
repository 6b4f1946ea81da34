// Storage contract: the block device mappings (a server's volumes), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as blockDevices from '../../src/db/repositories/block-devices.repository.js';
import type { BlockDeviceMappingsTable } from '../../src/db/schema.js';
import { T, storageSuite } from '../../src/testing/storage.js';

function mapping(id: string, o: Partial<BlockDeviceMappingsTable> = {}): BlockDeviceMappingsTable {
  return {
    id,
    server_id: 'srv-1',
    volume_id: `vol-${id}`,
    attachment_id: null,
    source_type: 'volume',
    destination_type: 'volume',
    boot_index: null,
    device_name: null,
    delete_on_termination: 0,
    volume_size: null,
    volume_type: null,
    image_id: null,
    snapshot_id: null,
    disk_bus: null,
    device_type: null,
    guest_format: null,
    tag: null,
    created_at: T(0),
    updated_at: T(0),
    ...o,
  };
}

storageSuite('block device storage', (s) => {
  test('insertBlockDevice maps a volume once: a second mapping of it, on any server, is refused', async () => {
    const db = s.database.db;
    assert.equal(await blockDevices.insertBlockDevice(db, mapping('m1', { volume_id: 'vol-once' })), true);
    assert.equal(
      await blockDevices.insertBlockDevice(db, mapping('m2', { volume_id: 'vol-once', server_id: 'srv-2' })),
      false,
    );
    assert.equal((await blockDevices.blockDeviceHoldingVolume(db, 'vol-once'))?.server_id, 'srv-1');
    // mappings without a volume (not yet created from an image) never conflict
    assert.equal(await blockDevices.insertBlockDevice(db, mapping('m3', { volume_id: null })), true);
    assert.equal(await blockDevices.insertBlockDevice(db, mapping('m4', { volume_id: null })), true);
  });

  test('concurrent mappings of one volume: exactly one wins', async () => {
    const db = s.database.db;
    const wins = await Promise.all(
      ['c1', 'c2', 'c3', 'c4'].map((id, i) =>
        blockDevices.insertBlockDevice(db, mapping(id, { volume_id: 'vol-race', server_id: `srv-race-${i}` })),
      ),
    );
    assert.equal(wins.filter(Boolean).length, 1);
  });

  test('blockDevicesOfServer(s): the boot device first, then in creation order', async () => {
    const db = s.database.db;
    await blockDevices.insertBlockDevice(db, mapping('o1', { server_id: 'srv-o', created_at: T(1) }));
    await blockDevices.insertBlockDevice(db, mapping('o2', { server_id: 'srv-o', created_at: T(2), boot_index: 0 }));
    await blockDevices.insertBlockDevice(db, mapping('o3', { server_id: 'srv-o', created_at: T(3), boot_index: -1 }));
    await blockDevices.insertBlockDevice(db, mapping('o4', { server_id: 'srv-p', created_at: T(0) }));
    assert.deepEqual(
      (await blockDevices.blockDevicesOfServer(db, 'srv-o')).map((r) => r.id),
      ['o2', 'o1', 'o3'],
    );
    assert.deepEqual((await blockDevices.blockDevicesOfServers(db, ['srv-o', 'srv-p'])).map((r) => r.id).sort(), [
      'o1',
      'o2',
      'o3',
      'o4',
    ]);
    assert.deepEqual(await blockDevices.blockDevicesOfServers(db, []), []);
  });

  test('blockDeviceOfVolume answers only for the server holding it', async () => {
    const db = s.database.db;
    await blockDevices.insertBlockDevice(db, mapping('v1', { server_id: 'srv-v', volume_id: 'vol-v' }));
    assert.equal((await blockDevices.blockDeviceOfVolume(db, 'srv-v', 'vol-v'))?.id, 'v1');
    assert.equal(await blockDevices.blockDeviceOfVolume(db, 'srv-w', 'vol-v'), undefined);
    assert.equal(await blockDevices.blockDeviceHoldingVolume(db, 'vol-none'), undefined);
  });

  test('updateBlockDevice and deleteBlockDevice touch only a mapping of that server', async () => {
    const db = s.database.db;
    await blockDevices.insertBlockDevice(db, mapping('u1', { server_id: 'srv-u', volume_id: 'vol-u' }));
    assert.equal(await blockDevices.updateBlockDevice(db, 'u1', 'srv-x', { attachment_id: 'att-x' }), false);
    assert.equal(
      await blockDevices.updateBlockDevice(db, 'u1', 'srv-u', { attachment_id: 'att-1', updated_at: T(5) }),
      true,
    );
    const row = await blockDevices.blockDeviceOfVolume(db, 'srv-u', 'vol-u');
    assert.deepEqual([row?.attachment_id, row?.updated_at], ['att-1', T(5)]);
    assert.equal(await blockDevices.deleteBlockDevice(db, 'u1', 'srv-x'), false);
    assert.equal(await blockDevices.deleteBlockDevice(db, 'u1', 'srv-u'), true);
    assert.equal(await blockDevices.deleteBlockDevice(db, 'u1', 'srv-u'), false);
    // the volume is free to be mapped again
    assert.equal(
      await blockDevices.insertBlockDevice(db, mapping('u2', { server_id: 'srv-y', volume_id: 'vol-u' })),
      true,
    );
  });

  test('deleteBlockDevicesOfServer removes all of one server and says how many', async () => {
    const db = s.database.db;
    await blockDevices.insertBlockDevice(db, mapping('d1', { server_id: 'srv-d' }));
    await blockDevices.insertBlockDevice(db, mapping('d2', { server_id: 'srv-d' }));
    await blockDevices.insertBlockDevice(db, mapping('d3', { server_id: 'srv-e' }));
    assert.equal(await blockDevices.deleteBlockDevicesOfServer(db, 'srv-d'), 2);
    assert.deepEqual(await blockDevices.blockDevicesOfServer(db, 'srv-d'), []);
    assert.equal((await blockDevices.blockDevicesOfServer(db, 'srv-e')).length, 1);
  });
});
