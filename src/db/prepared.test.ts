import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './dialects/index.js';
import { migrateToLatest } from './migrate.js';
import { prepared } from './prepared.js';
import type { Executor } from './executor.js';
import { databaseTargets } from '../testing/databases.js';

const insertProject = prepared(
  (ex: Executor, row: { id: string; name: string; domain_id: string; enabled: number; description: string }) =>
    ex.insertInto('projects').values(row),
);
const renameIf = prepared((ex: Executor, id: string, expected: string | null, name: string, enabled: number) => {
  const q = ex.updateTable('projects').set({ name, enabled }).where('id', '=', id);
  return expected === null ? q.where('description', '=', '') : q.where('name', '=', expected);
});
const byIds = prepared((ex: Executor, ids: string[], limit: number) =>
  ex.selectFrom('projects').select(['id', 'name', 'enabled']).where('id', 'in', ids).orderBy('id').limit(limit),
);

for (const target of databaseTargets()) {
  test(`prepared queries (${target.name}): values bind anew, null and lengths choose the SQL`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prepared-'));
    const { url, drop } = await target.url();
    const d = openDatabase(url, dir);
    try {
      await migrateToLatest(d.db);
      await d.db.insertInto('domains').values({ id: 'dom', name: 'Default' }).execute();
      // Object arguments: their string and number properties are bound anew each time.
      await insertProject(d.db, { id: 'a', name: 'alpha', domain_id: 'dom', enabled: 1, description: '' });
      await insertProject(d.db, { id: 'b', name: 'beta', domain_id: 'dom', enabled: 1, description: 'has one' });
      await insertProject(d.db, { id: 'c', name: 'gamma', domain_id: 'dom', enabled: 1, description: '' });
      // Same shape, new values (a number too); then null, which compiles to another WHERE.
      assert.equal(Number((await renameIf(d.db, 'a', 'alpha', 'alpha2', 0)).numAffectedRows), 1);
      assert.equal(Number((await renameIf(d.db, 'c', 'wrong', 'x', 0)).numAffectedRows), 0);
      assert.equal(
        Number((await renameIf(d.db, 'b', null, 'x', 0)).numAffectedRows),
        0,
        "b's description is not empty",
      );
      assert.equal(Number((await renameIf(d.db, 'c', null, 'gamma2', 1)).numAffectedRows), 1);
      // Arrays of different lengths, inside a transaction too.
      assert.deepEqual((await byIds(d.db, ['a'], 10)).rows, [{ id: 'a', name: 'alpha2', enabled: 0 }]);
      const rows = await d.db.transaction().execute(async (tx) => (await byIds(tx, ['a', 'b', 'c'], 2)).rows);
      assert.deepEqual(
        rows.map((r) => r.id),
        ['a', 'b'],
      );
      assert.deepEqual(
        (await byIds(d.db, ['c', 'b'], 5)).rows.map((r) => [r.id, r.name]),
        [
          ['b', 'beta'],
          ['c', 'gamma2'],
        ],
      );
    } finally {
      await d.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('prepared queries refuse arguments they cannot take apart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prepared-'));
  const d = openDatabase('sqlite:', dir);
  try {
    const q = prepared((ex: Executor, when: unknown) =>
      ex.selectFrom('projects').selectAll().where('id', '=', String(when)),
    );
    await assert.rejects(q(d.db, new Date()), /unsupported argument/);
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
