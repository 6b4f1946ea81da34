// Storage contract: flavors and images, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as catalog from '../../src/db/repositories/catalog.repository.js';
import { T, assertUniqueViolation, imageRow, storageSuite, uuid } from '../../src/testing/storage.js';

storageSuite('catalog storage', (s) => {
  test('listFlavors / getFlavor: public flavors listed, private ones only by id', async () => {
    const db = s.database.db;
    const flavor = (id: string, is_public: number) => ({
      id,
      name: `contract-${id}`,
      vcpus: 2,
      ram: 2048,
      disk: 20,
      ephemeral: 0,
      swap: 0,
      rxtx_factor: 1.5,
      is_public,
      description: null,
      extra_specs: '{"hw:cpu_policy":"dedicated"}',
    });
    await db
      .insertInto('flavors')
      .values([flavor('cf-pub', 1), flavor('cf-priv', 0)])
      .execute();
    const listed = (await catalog.listFlavors(db)).map((f) => f.id);
    assert.ok(listed.includes('cf-pub'));
    assert.ok(!listed.includes('cf-priv'));
    assert.deepEqual(await catalog.getFlavor(db, 'cf-priv'), flavor('cf-priv', 0), 'every column round-trips (a real)');
    assert.equal(await catalog.getFlavor(db, 'cf-none'), undefined);
  });

  test('insertImage / getImage / deleteImage, and a duplicate id is the dialect unique violation', async () => {
    const db = s.database.db;
    const row = imageRow(uuid(1, 1), { size: 10 * 1024 ** 3, properties: '{"os_distro":"cirros"}' });
    await catalog.insertImage(db, row);
    assert.deepEqual(await catalog.getImage(db, uuid(1, 1)), row, 'a size above 2^31 comes back as a number');
    await assertUniqueViolation(catalog.insertImage(db, imageRow(uuid(1, 1))));
    await catalog.deleteImage(db, uuid(1, 1));
    assert.equal(await catalog.getImage(db, uuid(1, 1)), undefined);
    await catalog.deleteImage(db, uuid(1, 1)); // deleting a missing image is not an error
  });

  test('updateImageIfStatus: compare-and-set on the status; size and hashes round-trip', async () => {
    const db = s.database.db;
    await catalog.insertImage(db, imageRow(uuid(9, 1), { status: 'queued', size: null }));
    assert.equal(
      await catalog.updateImageIfStatus(db, uuid(9, 1), 'active', { status: 'saving', updated_at: T(1) }),
      false,
    );
    assert.equal(
      await catalog.updateImageIfStatus(db, uuid(9, 1), 'queued', { status: 'saving', updated_at: T(1) }),
      true,
    );
    assert.equal(
      await catalog.updateImageIfStatus(db, uuid(9, 1), 'queued', { status: 'saving', updated_at: T(2) }),
      false,
      'a second upload loses',
    );
    const hashes = { checksum: 'c'.repeat(32), os_hash_algo: 'sha512', os_hash_value: 'f'.repeat(128) };
    assert.equal(
      await catalog.updateImageIfStatus(db, uuid(9, 1), 'saving', {
        status: 'active',
        size: 5 * 1024 ** 3,
        ...hashes,
        updated_at: T(3),
      }),
      true,
    );
    assert.deepEqual(
      await catalog.getImage(db, uuid(9, 1)),
      imageRow(uuid(9, 1), { status: 'active', size: 5 * 1024 ** 3, ...hashes, updated_at: T(3) }),
    );
    assert.equal(
      await catalog.updateImageIfStatus(db, uuid(9, 2), 'queued', { status: 'saving', updated_at: T(1) }),
      false,
      'no such image',
    );
  });

  test('listImages: visibility for a project (public, community, its own), everything without one; newest first', async () => {
    const db = s.database.db;
    const ns = 2;
    await catalog.insertImage(db, imageRow(uuid(ns, 1), { visibility: 'public', created_at: T(1) }));
    await catalog.insertImage(db, imageRow(uuid(ns, 2), { visibility: 'community', created_at: T(2) }));
    await catalog.insertImage(db, imageRow(uuid(ns, 3), { visibility: 'private', owner: 'pA', created_at: T(3) }));
    await catalog.insertImage(db, imageRow(uuid(ns, 4), { visibility: 'shared', owner: 'pB', created_at: T(4) }));
    await catalog.insertImage(db, imageRow(uuid(ns, 5), { visibility: 'private', owner: 'pB', created_at: T(3) }));
    const mine = (rows: Array<{ id: string }>) =>
      rows.map((r) => r.id).filter((id) => id.startsWith(uuid(ns).slice(0, 8)));
    assert.deepEqual(mine(await catalog.listImages(db, 'pA')), [uuid(ns, 3), uuid(ns, 2), uuid(ns, 1)]);
    assert.deepEqual(mine(await catalog.listImages(db, 'pB')), [uuid(ns, 4), uuid(ns, 5), uuid(ns, 2), uuid(ns, 1)]);
    assert.deepEqual(mine(await catalog.listImages(db, 'pC')), [uuid(ns, 2), uuid(ns, 1)]);
    assert.deepEqual(
      mine(await catalog.listImages(db)),
      [uuid(ns, 4), uuid(ns, 5), uuid(ns, 3), uuid(ns, 2), uuid(ns, 1)],
      'no project: every image; equal times ordered by id descending',
    );
  });

  test('imageProperties: every image id with its properties text', async () => {
    const db = s.database.db;
    await catalog.insertImage(db, imageRow(uuid(3, 1), { properties: '{"a":"1"}' }));
    await catalog.insertImage(db, imageRow(uuid(3, 2)));
    const props = await catalog.imageProperties(db);
    assert.equal(props.get(uuid(3, 1)), '{"a":"1"}');
    assert.equal(props.get(uuid(3, 2)), '{}');
    assert.equal(props.has(uuid(3, 3)), false);
  });

  test('setImageProperties: replaces the properties and updated_at; false for a missing image', async () => {
    const db = s.database.db;
    await catalog.insertImage(db, imageRow(uuid(4, 1), { properties: '{"a":"1","b":"2"}' }));
    assert.equal(await catalog.setImageProperties(db, uuid(4, 1), '{"c":"3"}', T(9)), true);
    const row = await catalog.getImage(db, uuid(4, 1));
    assert.equal(row?.properties, '{"c":"3"}');
    assert.equal(row?.updated_at, T(9));
    assert.equal(await catalog.setImageProperties(db, uuid(4, 2), '{}', T(9)), false);
  });
});
