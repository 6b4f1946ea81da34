// Storage contract: console auth tokens, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as consoles from '../../src/db/repositories/consoles.repository.js';
import { T, assertUniqueViolation, storageSuite } from '../../src/testing/storage.js';

const row = (token_hash: string, expires: number, over: Partial<consoles.ConsoleTokenRow> = {}) => ({
  token_hash,
  server_id: 'srv-1',
  console_type: 'novnc',
  host: 'compute-1',
  port: 8774,
  created_at: T(0),
  expires_at: T(expires),
  ...over,
});

storageSuite('consoles storage', (s) => {
  test('insertConsoleToken / getConsoleToken: by hash, expired or not; a hash is unique', async () => {
    const db = s.database.db;
    await consoles.insertConsoleToken(db, row('h-live', 600));
    await consoles.insertConsoleToken(db, row('h-old', 1, { console_type: 'serial', server_id: 'srv-2' }));
    assert.deepEqual(await consoles.getConsoleToken(db, 'h-live'), row('h-live', 600));
    assert.deepEqual(
      await consoles.getConsoleToken(db, 'h-old'),
      row('h-old', 1, { console_type: 'serial', server_id: 'srv-2' }),
    );
    assert.equal(await consoles.getConsoleToken(db, 'h-none'), undefined);
    await assertUniqueViolation(consoles.insertConsoleToken(db, row('h-live', 700)));
  });

  test('deleteConsoleTokensExpiredBefore: only those expired before the instant', async () => {
    const db = s.database.db;
    await consoles.insertConsoleToken(db, row('e-1', 10));
    await consoles.insertConsoleToken(db, row('e-2', 20));
    await consoles.insertConsoleToken(db, row('e-3', 30));
    const n = await consoles.deleteConsoleTokensExpiredBefore(db, T(20));
    assert.ok(n >= 1);
    assert.equal(await consoles.getConsoleToken(db, 'e-1'), undefined);
    assert.ok(await consoles.getConsoleToken(db, 'e-2'), 'expiring at the instant is kept');
    assert.ok(await consoles.getConsoleToken(db, 'e-3'));
    assert.equal(await consoles.deleteConsoleTokensExpiredBefore(db, T(20)), 0);
  });
});
