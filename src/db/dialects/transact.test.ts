import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './index.js';
import { migrateToLatest } from '../migrate.js';
import { makeTransact } from './transact.js';

test('group commit on SQLite: concurrent units share transactions; a failing unit rolls back alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'transact-'));
  const d = openDatabase('sqlite:', dir);
  try {
    await migrateToLatest(d.db);
    const transact = d.dialect.transact;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        transact(async (tx) => {
          await tx
            .insertInto('domains')
            .values({ id: `d${i}`, name: `n${i}` })
            .execute();
          if (i % 7 === 0) throw new Error(`unit ${i} fails`);
          return i;
        }),
      ),
    );
    const rows = await d.db.selectFrom('domains').select('id').execute();
    const expected = Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 7 !== 0);
    assert.deepEqual(rows.map((r) => r.id).sort(), expected.map((i) => `d${i}`).sort());
    results.forEach((r, i) => {
      if (i % 7 === 0) assert.equal(r.status, 'rejected');
      else assert.deepEqual(r, { status: 'fulfilled', value: i });
    });
    // A lone unit that fails rolls back too.
    await assert.rejects(
      transact(async (tx) => {
        await tx.insertInto('domains').values({ id: 'lone', name: 'lone' }).execute();
        throw new Error('no');
      }),
    );
    assert.equal(await d.db.selectFrom('domains').select('id').where('id', '=', 'lone').executeTakeFirst(), undefined);
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('group commit on SQLite: the units of one event-loop turn share one transaction', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'transact-'));
  const d = openDatabase('sqlite:', dir);
  try {
    await migrateToLatest(d.db);
    let transactions = 0;
    const counted = new Proxy(d.db, {
      get(target, prop, receiver) {
        if (prop === 'transaction') transactions++;
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const transact = makeTransact(counted, 'sqlite');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        transact((tx) =>
          tx
            .insertInto('domains')
            .values({ id: `t${i}`, name: `t${i}` })
            .execute(),
        ),
      ),
    );
    assert.equal(transactions, 1);
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
