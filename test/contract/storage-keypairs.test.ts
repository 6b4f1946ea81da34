// Storage contract: keypairs, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as keypairs from '../../src/db/repositories/keypairs.repository.js';
import { T, assertUniqueViolation, storageSuite } from '../../src/testing/storage.js';

const row = (user_id: string, name: string, over: Partial<keypairs.NewKeypair> = {}): keypairs.NewKeypair => ({
  user_id,
  name,
  type: 'ssh',
  fingerprint: 'aa:bb',
  public_key: `ssh-ed25519 AAAA ${name}`,
  created_at: T(1),
  ...over,
});

storageSuite('keypairs storage', (s) => {
  test('insertKeypair / getKeypair: integer ids that grow and are not reused; unique per (user, name)', async () => {
    const db = s.database.db;
    const a = await keypairs.insertKeypair(db, row('ku-1', 'a'));
    const b = await keypairs.insertKeypair(db, row('ku-1', 'b', { type: 'x509' }));
    assert.equal(typeof a.id, 'number');
    assert.ok(b.id > a.id);
    assert.deepEqual(a, { id: a.id, ...row('ku-1', 'a') });
    assert.deepEqual(await keypairs.getKeypair(db, 'ku-1', 'b'), { id: b.id, ...row('ku-1', 'b', { type: 'x509' }) });
    assert.equal(await keypairs.getKeypair(db, 'ku-2', 'a'), undefined, 'another user has no such key');
    assert.equal(await keypairs.getKeypair(db, 'ku-1', 'A'), undefined, 'names are case-sensitive');
    await assertUniqueViolation(keypairs.insertKeypair(db, row('ku-1', 'a')));
    // The same name for another user is another keypair.
    const other = await keypairs.insertKeypair(db, row('ku-2', 'a'));
    assert.ok(other.id > b.id);
    assert.equal(await keypairs.deleteKeypair(db, 'ku-2', 'a'), true);
    const again = await keypairs.insertKeypair(db, row('ku-2', 'a'));
    assert.ok(again.id > other.id, 'a deleted id is not reused');
  });

  test('listKeypairs: one user’s, by name; limit and afterName page without gaps or repeats', async () => {
    const db = s.database.db;
    const names = ['m b', 'm-a', 'm_c', 'mZ', 'ma', 'm0', 'm9 x'];
    for (const n of names) await keypairs.insertKeypair(db, row('kl-1', n));
    await keypairs.insertKeypair(db, row('kl-2', 'mine-not'));
    const all = (await keypairs.listKeypairs(db, 'kl-1')).map((k) => k.name);
    assert.deepEqual([...all].sort(), [...names].sort());
    const walked: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await keypairs.listKeypairs(db, 'kl-1', { limit: 2, afterName: after });
      if (page.length === 0) break;
      walked.push(...page.map((k) => k.name));
      after = page[page.length - 1].name;
    }
    assert.deepEqual(walked, all, 'pages walk the same order as the full list');
    assert.deepEqual(await keypairs.listKeypairs(db, 'kl-1', { limit: 0 }), []);
    assert.deepEqual(await keypairs.listKeypairs(db, 'kl-nobody'), []);
  });

  test('deleteKeypair / countKeypairs: per user', async () => {
    const db = s.database.db;
    assert.equal(await keypairs.countKeypairs(db, 'kd-1'), 0);
    await keypairs.insertKeypair(db, row('kd-1', 'x'));
    await keypairs.insertKeypair(db, row('kd-1', 'y'));
    await keypairs.insertKeypair(db, row('kd-2', 'x'));
    assert.equal(await keypairs.countKeypairs(db, 'kd-1'), 2);
    assert.equal(await keypairs.deleteKeypair(db, 'kd-1', 'x'), true);
    assert.equal(await keypairs.deleteKeypair(db, 'kd-1', 'x'), false);
    assert.equal(await keypairs.deleteKeypair(db, 'kd-1', 'nope'), false);
    assert.equal(await keypairs.countKeypairs(db, 'kd-1'), 1);
    assert.equal(await keypairs.countKeypairs(db, 'kd-2'), 1, "another user's key is untouched");
  });
});
