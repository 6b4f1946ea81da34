// Storage contract: Cinder's volumes, types, snapshots, attachments and quotas, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as volumes from '../../src/db/repositories/volumes.repository.js';
import { T, assertUniqueViolation, storageSuite } from '../../src/testing/storage.js';

const TYPE = '00000000-0000-4000-8000-0000000000a1';
const type = (id = TYPE, name = 't1') => ({
  id,
  name,
  description: null,
  is_public: 1,
  extra_specs: '{}',
  created_at: T(1),
});
const vol = (id: string, over: Partial<volumes.VolumeRow> = {}) => ({
  id,
  project_id: 'p1',
  user_id: 'u1',
  name: `n-${id.slice(-2)}`,
  description: null,
  size: 1,
  status: 'available',
  attach_status: 'detached',
  volume_type_id: TYPE,
  availability_zone: 'nova',
  bootable: 0,
  readonly: 0,
  snapshot_id: null,
  source_volid: null,
  image_id: null,
  metadata: '{}',
  image_metadata: null,
  created_at: T(1),
  updated_at: null,
  ...over,
});
const V = (n: number) => `00000000-0000-4000-8000-0000000001${String(n).padStart(2, '0')}`;

storageSuite('volumes storage', (s) => {
  test('volume types: insert, ensure (idempotent), get by id and name, list, delete, in use', async () => {
    const db = s.database.db;
    assert.deepEqual(await volumes.insertVolumeType(db, type()), type());
    await assertUniqueViolation(volumes.insertVolumeType(db, type('00000000-0000-4000-8000-0000000000a2', 't1')));
    await volumes.ensureVolumeType(db, type());
    await volumes.ensureVolumeType(db, type('00000000-0000-4000-8000-0000000000a3', 't3'));
    assert.equal((await volumes.getVolumeType(db, TYPE))?.name, 't1');
    assert.equal((await volumes.getVolumeTypeByName(db, 't3'))?.id, '00000000-0000-4000-8000-0000000000a3');
    assert.equal(await volumes.getVolumeType(db, 'nope'), undefined);
    assert.deepEqual(
      (await volumes.listVolumeTypes(db)).map((t) => t.name),
      ['t1', 't3'],
    );
    assert.equal(await volumes.countVolumesOfType(db, TYPE), 0);
    assert.equal(await volumes.deleteVolumeType(db, '00000000-0000-4000-8000-0000000000a3'), true);
    assert.equal(await volumes.deleteVolumeType(db, '00000000-0000-4000-8000-0000000000a3'), false);
  });

  test('volumes: insert, get (locked too), list by project, status, update, compare-and-set, delete, usage', async () => {
    const db = s.database.db;
    await volumes.ensureVolumeType(db, type());
    assert.deepEqual(await volumes.insertVolume(db, vol(V(1), { size: 2 })), vol(V(1), { size: 2 }));
    await volumes.insertVolume(db, vol(V(2), { created_at: T(2), status: 'creating' }));
    await volumes.insertVolume(db, vol(V(3), { project_id: 'p2' }));
    await assertUniqueViolation(volumes.insertVolume(db, vol(V(1))));
    assert.equal((await volumes.getVolume(db, V(1)))?.size, 2);
    await s.database.dialect.transact(async (tx) =>
      assert.equal((await volumes.getVolume(tx, V(1), { lock: true }))?.id, V(1)),
    );
    assert.deepEqual(
      (await volumes.listVolumes(db, 'p1')).map((v) => v.id),
      [V(1), V(2)],
    );
    assert.equal((await volumes.listVolumes(db)).length, 3);
    assert.deepEqual(
      (await volumes.listVolumesInStatus(db, ['creating'])).map((v) => v.id),
      [V(2)],
    );
    assert.equal(await volumes.countVolumesOfType(db, TYPE), 3);
    assert.deepEqual(await volumes.volumeUsage(db, 'p1'), { volumes: 2, gigabytes: 3 });
    assert.deepEqual(await volumes.volumeUsage(db, 'nobody'), { volumes: 0, gigabytes: 0 });
    assert.equal(await volumes.updateVolume(db, V(1), { name: 'renamed' }), true);
    assert.equal(await volumes.updateVolume(db, 'nope', { name: 'x' }), false);
    // compare-and-set: only from an expected status; `detached` and `noSnapshots` conditions
    assert.equal(await volumes.updateVolumeIfStatus(db, V(1), ['creating'], { status: 'error' }), false);
    assert.equal(await volumes.updateVolumeIfStatus(db, V(1), ['available'], { status: 'reserved' }), true);
    assert.equal(
      await volumes.updateVolumeIfStatus(db, V(1), ['available'], { status: 'reserved' }),
      false,
      'the second loses',
    );
    await volumes.updateVolume(db, V(1), { status: 'available', attach_status: 'attached' });
    assert.equal(
      await volumes.updateVolumeIfStatus(db, V(1), ['available'], { status: 'deleting' }, { detached: true }),
      false,
    );
    await volumes.updateVolume(db, V(1), { attach_status: 'detached' });
    await volumes.insertSnapshot(db, {
      id: V(50),
      volume_id: V(1),
      project_id: 'p1',
      user_id: 'u1',
      name: null,
      description: null,
      size: 2,
      status: 'available',
      metadata: '{}',
      created_at: T(3),
      updated_at: null,
    });
    assert.equal(
      await volumes.updateVolumeIfStatus(db, V(1), ['available'], { status: 'deleting' }, { noSnapshots: true }),
      false,
    );
    assert.equal(await volumes.deleteSnapshot(db, V(50)), true);
    assert.equal(
      await volumes.updateVolumeIfStatus(
        db,
        V(1),
        ['available'],
        { status: 'deleting' },
        { noSnapshots: true, detached: true },
      ),
      true,
    );
    assert.equal(await volumes.deleteVolume(db, V(1)), true);
    assert.equal(await volumes.deleteVolume(db, V(1)), false);
    assert.equal(await volumes.getVolume(db, V(1)), undefined);
  });

  test('snapshots: insert, get, list by project and volume, status, update with and without expectation, usage', async () => {
    const db = s.database.db;
    const snap = (id: string, over: Partial<volumes.SnapshotRow> = {}) => ({
      id,
      volume_id: V(10),
      project_id: 'p1',
      user_id: 'u1',
      name: 's',
      description: null,
      size: 3,
      status: 'creating',
      metadata: '{}',
      created_at: T(1),
      updated_at: null,
      ...over,
    });
    assert.deepEqual(await volumes.insertSnapshot(db, snap(V(60))), snap(V(60)));
    await volumes.insertSnapshot(db, snap(V(61), { volume_id: V(11), created_at: T(2), status: 'available' }));
    await volumes.insertSnapshot(db, snap(V(62), { project_id: 'p2' }));
    assert.equal((await volumes.getSnapshot(db, V(60)))?.size, 3);
    assert.equal(await volumes.getSnapshot(db, 'nope'), undefined);
    assert.deepEqual(
      (await volumes.listSnapshots(db, { projectId: 'p1' })).map((x) => x.id),
      [V(60), V(61)],
    );
    assert.deepEqual(
      (await volumes.listSnapshots(db, { volumeId: V(11) })).map((x) => x.id),
      [V(61)],
    );
    assert.equal((await volumes.listSnapshots(db)).length, 3);
    assert.equal((await volumes.listSnapshotsInStatus(db, ['creating'])).length, 2);
    assert.deepEqual(await volumes.snapshotUsage(db, 'p1'), { snapshots: 2, gigabytes: 6 });
    assert.equal(await volumes.updateSnapshot(db, V(60), { status: 'available' }, ['deleting']), false);
    assert.equal(await volumes.updateSnapshot(db, V(60), { status: 'available' }, ['creating']), true);
    assert.equal(await volumes.updateSnapshot(db, V(60), { name: 'x' }), true);
    assert.equal((await volumes.getSnapshot(db, V(60)))?.name, 'x');
    assert.equal(await volumes.deleteSnapshot(db, V(60)), true);
    assert.equal(await volumes.deleteSnapshot(db, V(60)), false);
  });

  test('attachments: insert, get, list by project, volume and volumes, update, delete', async () => {
    const db = s.database.db;
    const att = (id: string, over: Partial<volumes.AttachmentRow> = {}) => ({
      id,
      volume_id: V(20),
      project_id: 'p1',
      instance_uuid: 'i1',
      attach_status: 'reserved',
      attach_mode: 'rw',
      connector: null,
      connection_info: null,
      mountpoint: null,
      attached_host: null,
      attach_time: null,
      created_at: T(1),
      ...over,
    });
    assert.deepEqual(await volumes.insertAttachment(db, att(V(70))), att(V(70)));
    await volumes.insertAttachment(db, att(V(71), { volume_id: V(21), project_id: 'p2', created_at: T(2) }));
    assert.equal((await volumes.getAttachment(db, V(70)))?.instance_uuid, 'i1');
    assert.equal(await volumes.getAttachment(db, 'nope'), undefined);
    assert.deepEqual(
      (await volumes.listAttachments(db, { projectId: 'p1' })).map((a) => a.id),
      [V(70)],
    );
    assert.deepEqual(
      (await volumes.listAttachments(db, { volumeId: V(21) })).map((a) => a.id),
      [V(71)],
    );
    assert.deepEqual(
      (await volumes.listAttachments(db, { volumeIds: [V(20), V(21)] })).map((a) => a.id),
      [V(70), V(71)],
    );
    assert.deepEqual(await volumes.listAttachments(db, { volumeIds: [] }), []);
    assert.equal(
      await volumes.updateAttachment(db, V(70), { attach_status: 'attached', connector: '{"host":"h"}' }),
      true,
    );
    assert.equal((await volumes.getAttachment(db, V(70)))?.attach_status, 'attached');
    assert.equal(await volumes.updateAttachment(db, 'nope', { attach_status: 'attached' }), false);
    assert.equal(await volumes.deleteAttachment(db, V(70)), true);
    assert.equal(await volumes.deleteAttachment(db, V(70)), false);
  });

  test('quotas: set (upsert), get, delete; the lock row can be taken twice', async () => {
    const db = s.database.db;
    assert.deepEqual(await volumes.getVolumeQuotas(db, 'q1'), {});
    await volumes.setVolumeQuota(db, 'q1', 'volumes', 3);
    await volumes.setVolumeQuota(db, 'q1', 'volumes', 4);
    await volumes.setVolumeQuota(db, 'q1', 'gigabytes', -1);
    await volumes.setVolumeQuota(db, 'q2', 'volumes', 1);
    assert.deepEqual(await volumes.getVolumeQuotas(db, 'q1'), { volumes: 4, gigabytes: -1 });
    await volumes.deleteVolumeQuotas(db, 'q1');
    assert.deepEqual(await volumes.getVolumeQuotas(db, 'q1'), {});
    assert.deepEqual(await volumes.getVolumeQuotas(db, 'q2'), { volumes: 1 });
    await s.database.dialect.transact((tx) => volumes.lockVolumeQuota(tx, 'q1'));
    await s.database.dialect.transact((tx) => volumes.lockVolumeQuota(tx, 'q1'));
  });
});
