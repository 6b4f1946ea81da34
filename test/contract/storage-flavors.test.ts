// Storage contract: flavors and their access lists (os-flavor-access), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as flavors from '../../src/db/repositories/flavors.repository.js';
import { assertUniqueViolation, storageSuite } from '../../src/testing/storage.js';

const row = (id: string, over: Partial<flavors.FlavorRow> = {}): flavors.FlavorRow => ({
  id,
  name: `sf-${id}`,
  vcpus: 1,
  ram: 512,
  disk: 1,
  ephemeral: 0,
  swap: 0,
  rxtx_factor: 1.25,
  is_public: 1,
  description: null,
  extra_specs: '{}',
  ...over,
});
const ids = (rows: flavors.FlavorRow[]) => rows.map((r) => r.id).filter((i) => i.startsWith('sf-p'));

storageSuite('flavors storage', (s) => {
  test('insertFlavor / getFlavor / getFlavorByName: every column round-trips; id and name are unique', async () => {
    const db = s.database.db;
    const a = row('sf-a', { description: 'd', extra_specs: '{"hw:cpu_policy":"dedicated"}', is_public: 0 });
    await flavors.insertFlavor(db, a);
    assert.deepEqual(await flavors.getFlavor(db, 'sf-a'), a);
    assert.deepEqual(await flavors.getFlavorByName(db, 'sf-sf-a'), a);
    assert.equal(await flavors.getFlavor(db, 'sf-none'), undefined);
    assert.equal(await flavors.getFlavorByName(db, 'sf-none'), undefined);
    await assertUniqueViolation(flavors.insertFlavor(db, row('sf-a', { name: 'other' })));
    await assertUniqueViolation(flavors.insertFlavor(db, row('sf-b', { name: 'sf-sf-a' })));
  });

  test('addFlavorAccess / listFlavorAccess / removeFlavorAccess, and scoped getFlavor and listFlavors', async () => {
    const db = s.database.db;
    await flavors.insertFlavor(db, row('sf-pub', { ram: 2048, disk: 20 }));
    await flavors.insertFlavor(db, row('sf-priv', { is_public: 0, ram: 4096, disk: 40 }));
    await flavors.addFlavorAccess(db, 'sf-priv', 'p2');
    await flavors.addFlavorAccess(db, 'sf-priv', 'p1');
    await assertUniqueViolation(flavors.addFlavorAccess(db, 'sf-priv', 'p1'));
    assert.deepEqual(await flavors.listFlavorAccess(db, 'sf-priv'), ['p1', 'p2']);
    assert.deepEqual(await flavors.listFlavorAccess(db, 'sf-pub'), []);
    assert.equal((await flavors.getFlavor(db, 'sf-priv', 'p1'))?.id, 'sf-priv');
    assert.equal(await flavors.getFlavor(db, 'sf-priv', 'p3'), undefined);
    assert.equal((await flavors.getFlavor(db, 'sf-pub', 'p3'))?.id, 'sf-pub');
    const list = async (scope: flavors.FlavorScope) => ids(await flavors.listFlavors(db, scope));
    assert.deepEqual(await list({}), ['sf-priv', 'sf-pub']);
    assert.deepEqual(await list({ projectId: 'p1' }), ['sf-priv', 'sf-pub']);
    assert.deepEqual(await list({ projectId: 'p3' }), ['sf-pub']);
    assert.deepEqual(await list({ isPublic: true }), ['sf-pub']);
    assert.deepEqual(await list({ isPublic: true, accessOf: 'p2' }), ['sf-priv', 'sf-pub']);
    assert.deepEqual(await list({ isPublic: false }), ['sf-priv']);
    assert.deepEqual(await list({ minRam: 4096 }), ['sf-priv']);
    assert.deepEqual(await list({ minDisk: 21 }), ['sf-priv']);
    assert.deepEqual(await list({ minDisk: 20, minRam: 2048, projectId: 'p3' }), ['sf-pub']);
    assert.equal(await flavors.removeFlavorAccess(db, 'sf-priv', 'p2'), true);
    assert.equal(await flavors.removeFlavorAccess(db, 'sf-priv', 'p2'), false);
    assert.deepEqual(await flavors.listFlavorAccess(db, 'sf-priv'), ['p1']);
  });

  test('updateFlavor / deleteFlavor: the access list goes with the flavor', async () => {
    const db = s.database.db;
    await flavors.insertFlavor(db, row('sf-u', { is_public: 0 }));
    await flavors.addFlavorAccess(db, 'sf-u', 'p1');
    assert.equal(await flavors.updateFlavor(db, 'sf-u', { description: 'new', extra_specs: '{"a":"b"}' }), true);
    assert.deepEqual(
      await flavors.getFlavor(db, 'sf-u'),
      row('sf-u', { is_public: 0, description: 'new', extra_specs: '{"a":"b"}' }),
    );
    assert.equal(await flavors.updateFlavor(db, 'sf-none', { description: 'x' }), false);
    assert.equal(await flavors.deleteFlavor(db, 'sf-u'), true);
    assert.equal(await flavors.getFlavor(db, 'sf-u'), undefined);
    assert.deepEqual(await flavors.listFlavorAccess(db, 'sf-u'), []);
    assert.equal(await flavors.deleteFlavor(db, 'sf-u'), false);
    // The id and name are free again, and a new flavor of that id has no old grants.
    await flavors.insertFlavor(db, row('sf-u', { is_public: 0 }));
    assert.equal(await flavors.getFlavor(db, 'sf-u', 'p1'), undefined);
  });
});
