// Storage contract: server passwords (os-server-password), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as serverPasswords from '../../src/db/repositories/server-passwords.repository.js';
import { T, storageSuite } from '../../src/testing/storage.js';

storageSuite('server passwords storage', (s) => {
  test('setServerPassword / getServerPassword: one per server, a second set replaces it', async () => {
    const db = s.database.db;
    assert.equal(await serverPasswords.getServerPassword(db, 'sp-1'), undefined);
    await serverPasswords.setServerPassword(db, 'sp-1', 'first', T(1));
    await serverPasswords.setServerPassword(db, 'sp-2', 'other', T(1));
    assert.equal(await serverPasswords.getServerPassword(db, 'sp-1'), 'first');
    await serverPasswords.setServerPassword(db, 'sp-1', 'x'.repeat(4096), T(2));
    assert.equal(await serverPasswords.getServerPassword(db, 'sp-1'), 'x'.repeat(4096), 'long (encrypted) values fit');
    assert.equal(await serverPasswords.getServerPassword(db, 'sp-2'), 'other');
  });

  test('clearServerPassword: true when there was one, then gone; other servers keep theirs', async () => {
    const db = s.database.db;
    await serverPasswords.setServerPassword(db, 'sc-1', 'p', T(1));
    await serverPasswords.setServerPassword(db, 'sc-2', 'q', T(1));
    assert.equal(await serverPasswords.clearServerPassword(db, 'sc-1'), true);
    assert.equal(await serverPasswords.clearServerPassword(db, 'sc-1'), false);
    assert.equal(await serverPasswords.getServerPassword(db, 'sc-1'), undefined);
    assert.equal(await serverPasswords.getServerPassword(db, 'sc-2'), 'q');
  });
});
