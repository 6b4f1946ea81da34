// SQLite's query plans for the statements that pick servers by a list of ids: the primary key,
// never an index walk over every live server (issue 15: with no statistics, SQLite answered
// `deleted = 0` from servers_live, so each batched delete, agent read and terminate completion
// read every live server; the bench's c64 run with 41 200 servers showed it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { attachDialect, sqliteDialect } from '../../src/db/dialects/dialect.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import { lockServersForDelete } from '../../src/db/repositories/delete-batch.repository.js';
import { completeTerminates } from '../../src/db/repositories/terminate-batch.repository.js';

test('SQLite: statements choosing servers by id lists use the primary key, not servers_live', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-plans-'));
  const sqlite = new SQLite(join(dir, 'plans.sqlite'));
  const statements: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (e) => {
      if (e.level === 'query') statements.push({ sql: e.query.sql, parameters: e.query.parameters });
    },
  });
  attachDialect(db, sqliteDialect(db));
  try {
    await migrateToLatest(db);
    statements.length = 0;
    // A batch's worth: SQLite weighs an IN list by its length.
    const ids = Array.from({ length: 64 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    await servers.getServers(db, ids);
    await lockServersForDelete(db, ids, ['snapshot']);
    await completeTerminates(
      db,
      '2026-01-01T00:00:00.000Z',
      'deleted',
      ids.map((serverId, i) => ({ serverId, taskId: `t${i}`, owner: 'o', actionId: null, event: null })),
    );
    const byIds = statements.filter((s) => /from "servers"|update "servers"/.test(s.sql) && /"id" in \(/.test(s.sql));
    assert.equal(byIds.length, 3, byIds.map((s) => s.sql).join('\n'));
    for (const s of byIds) {
      const plan = sqlite
        .prepare(`EXPLAIN QUERY PLAN ${s.sql}`)
        .all(...(s.parameters as unknown[]))
        .map((r) => (r as { detail: string }).detail)
        .join(' | ');
      assert.doesNotMatch(plan, /servers_live/, `${s.sql.slice(0, 120)}\n  plan: ${plan}`);
      assert.match(plan, /SEARCH servers USING INDEX sqlite_autoindex_servers_1 \(id=\?\)/, plan);
    }
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
