import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from '../schema.js';
import { attachDialect, postgresDialect, sqliteDialect, type Dialect } from './dialect.js';
import { setTimeout as sleep } from 'node:timers/promises';

export { isInvalidValue, isUnavailableError, isUniqueViolation, type Dialect } from './dialect.js';

export interface OpenedDb {
  db: Kysely<Database>;
  /** What differs between SQLite and PostgreSQL (locks, NOTIFY, group commit, error codes). */
  dialect: Dialect;
  /** Human-readable location, for logs. */
  where: string;
  close(): Promise<void>;
}

/**
 * Opens the database named by `url`: `sqlite:` (file under dataDir), `sqlite:/path`,
 * `sqlite::memory:`, or `postgres://…`.
 */
export function openDatabase(url: string, dataDir: string): OpenedDb {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // Bounded waits: an unreachable database must become a 503, never a hung request.
      connectionTimeoutMillis: 3000,
      query_timeout: 10000,
      idleTimeoutMillis: 30000,
    });
    pool.on('error', () => {
      /* a dropped idle client; the next query reconnects */
    });
    // A client checked out between two queries of a transaction has no error listener of the
    // pool's: without this one, a database restart would crash the process instead of failing
    // the request (which the fault mapper turns into a 503).
    pool.on('connect', (client) => {
      client.on('error', () => {
        /* surfaced by the pending or next query */
      });
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const dialect = postgresDialect(db, url);
    attachDialect(db, dialect);
    return {
      db,
      dialect,
      where: url.replace(/\/\/[^@]*@/, '//***@'),
      close: async () => {
        await dialect.close();
        await db.destroy();
      },
    };
  }
  if (!url.startsWith('sqlite:')) throw new Error(`unsupported database URL: ${url}`);
  let file = url.slice('sqlite:'.length);
  if (file === '') {
    mkdirSync(dataDir, { recursive: true });
    file = join(dataDir, 'stratus.sqlite');
  }
  if (file !== ':memory:') file = resolve(file);
  const sqlite = new SQLite(file, { timeout: 5000 });
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Savepoints (one per unit of a group commit) journal the pages they change: in memory, not in a temp file.
  sqlite.pragma('temp_store = MEMORY');
  registerRegexp(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const checkpointer = file === ':memory:' ? null : startCheckpointer(file);
  const dialect = sqliteDialect(db);
  attachDialect(db, dialect);
  return {
    db,
    dialect,
    where: file,
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * SQLite parses `x REGEXP y` but has no such function: this one is `regexp(pattern, value)`, a
 * search anywhere in the value as Python's re.search (what oslo.db registers for Nova on SQLite).
 * A pattern JavaScript refuses matches nothing (the use cases refuse it before it gets here).
 */
function registerRegexp(sqlite: SQLite.Database): void {
  const compiled = new Map<string, RegExp | null>();
  sqlite.function('regexp', { deterministic: true }, (pattern: unknown, value: unknown) => {
    if (typeof pattern !== 'string' || value === null || value === undefined) return 0;
    let re = compiled.get(pattern);
    if (re === undefined) {
      try {
        re = new RegExp(pattern);
      } catch {
        re = null;
      }
      if (compiled.size >= 100) compiled.clear();
      compiled.set(pattern, re);
    }
    return re?.test(String(value)) ? 1 : 0;
  });
}

/**
 * Checkpoints the WAL from a worker thread (see checkpoint-worker.ts). The main connection keeps
 * SQLite's automatic checkpoint as a fallback; with the worker ahead of it, the WAL restarts from
 * its beginning before reaching that size, so the main thread seldom checkpoints itself.
 */
function startCheckpointer(file: string): { stop(): Promise<void> } {
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
    workerData: { file, intervalMs: 20 },
  });
  worker.unref();
  worker.on('error', () => {
    /* the main connection's own checkpoint takes over */
  });
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  return {
    async stop() {
      // Held (ref) while it closes its connection, so the process waits for that and no longer.
      worker.ref();
      worker.postMessage('stop');
      // An unref'd timer: once the worker is gone it keeps nothing alive.
      await Promise.race([exited, sleep(2000, undefined, { ref: false })]);
      await worker.terminate();
    },
  };
}

/**
 * Kysely prepares every statement anew; preparing costs more than running our small indexed
 * queries. Reuse prepared statements by SQL text (bounded; better-sqlite3 statements are reusable).
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  // An own property shadows the prototype's method: no proxy between Kysely and every call.
  sqlite.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = prepare(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(source, stmt);
    }
    return stmt;
  }) as SQLite.Database['prepare'];
  return sqlite;
}
