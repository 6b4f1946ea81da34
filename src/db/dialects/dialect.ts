import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../schema.js';
import type { Executor } from '../executor.js';
import { CommitSignal, makeTransact, type DialectName, type Transact } from './transact.js';

import {
  ChannelListener,
  TaskListener,
  changesChannel,
  notifyChannel,
  type TaskEvents,
  type TaskSignal,
} from './notify.js';

/**
 * Everything that differs between SQLite and PostgreSQL, in one object built when the database
 * is opened (openDatabase) and handed to the parts that need it. Repositories reach it through
 * their executor (dialectOf): they take no dialect flag, and no code above db/ asks which
 * dialect it runs on.
 */
export interface Dialect {
  readonly name: DialectName;
  /** Write transactions (PostgreSQL: one per unit, retried after a deadlock; SQLite: group commit). */
  readonly transact: Transact;
  /**
   * Runs one short write that should commit at once, such as a lease. PostgreSQL: a single
   * autocommit statement on the pool. SQLite: it joins the group commit, because the one
   * writer's commit costs far more than the statement.
   */
  commitSoon<T>(fn: (ex: Executor) => Promise<T>): Promise<T>;
  /** `SELECT … FOR UPDATE OF table`. SQLite: unchanged, its single writer serialises transactions. */
  lockRows<Q extends AnySelect>(q: Q, table: string): Q;
  /** `FOR UPDATE SKIP LOCKED`: several workers lease side by side, never the same row. SQLite: unchanged. */
  lockRowsSkipLocked<Q extends AnySelect>(q: Q): Q;
  /** Tells other processes something at commit (PostgreSQL NOTIFY). SQLite: nothing; they poll. */
  notify(ex: Executor, signal: TaskSignal): Promise<void>;
  /** Listens for `notify` from other processes; null where there is no such channel (SQLite). */
  listen(events: TaskEvents, log: (msg: string) => void): Promise<{ stop(): Promise<void> } | null>;
  /** Fired after each commit of `transact` in this process. */
  readonly committed: CommitSignal;
  /**
   * Listens for commits of server changes by any process (PostgreSQL NOTIFY on stratus_changes,
   * sent by each process after its commits; `onChange` also runs after each (re)connect). Null on SQLite.
   */
  listenChanges(onChange: () => void, log: (msg: string) => void): Promise<{ stop(): Promise<void> } | null>;
  /** Stops what the dialect runs beside the database (PostgreSQL: the change notifications). */
  close(): Promise<void>;
  /**
   * The transactions running now, as txid_current_snapshot() tells them: every transaction
   * below `xmin` has ended; none at or above `xmax` had started. Null on SQLite (one writer).
   */
  snapshot(ex: Executor): Promise<{ xmin: bigint; xmax: bigint } | null>;
  /**
   * Runs the reads of `fn` and takes `snapshot` on ONE MVCC snapshot (PostgreSQL: a read-only
   * repeatable read transaction, the snapshot taken first), so that a row missing from the reads
   * belongs to a transaction the snapshot shows running. SQLite: `fn` on the database, snapshot null.
   */
  consistentRead<T>(
    fn: (ex: Executor) => Promise<T>,
  ): Promise<{ snap: { xmin: bigint; xmax: bigint } | null; value: T }>;
  /** The database cannot be reached (or the transaction lost a deadlock): try again later. */
  isUnavailable(err: unknown): boolean;
  /** The transaction may be run again as a whole (PostgreSQL deadlock or serialization failure). */
  isRetryable(err: unknown): boolean;
  isUniqueViolation(err: unknown): boolean;
  /** The number at `key` of a JSON text column (`table.column`), for sums in SQL (quota usage). */
  jsonNumber(column: string, key: string): RawBuilder<number>;
  /**
   * `column` matches the regular expression `pattern` anywhere (Nova's regex filters: PostgreSQL
   * `~`, SQLite `REGEXP` through the function openDatabase registers).
   */
  regexpMatch(column: string, pattern: string): RawBuilder<boolean>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySelect = SelectQueryBuilder<any, any, any>;

const errorCode = (err: unknown): string => ((err as { code?: unknown } | null)?.code as string) ?? '';
const errorMessage = (err: unknown): string => ((err as { message?: unknown } | null)?.message as string) ?? '';

const PG_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);
const PG_UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED/i;
const SQLITE_UNAVAILABLE = new Set(['SQLITE_BUSY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR']);

const postgresErrors = {
  isRetryable: (err: unknown) => {
    const c = errorCode(err);
    return c === '40P01' || c === '40001';
  },
  isUnavailable(err: unknown): boolean {
    if (!err) return false;
    // A deadlock victim counts as unavailable: what failed may simply be run again.
    return (
      postgresErrors.isRetryable(err) ||
      PG_UNAVAILABLE.has(errorCode(err)) ||
      PG_UNAVAILABLE_MESSAGE.test(errorMessage(err))
    );
  },
  isUniqueViolation: (err: unknown) => errorCode(err) === '23505',
};

const sqliteErrors = {
  isRetryable: (_err: unknown) => false,
  isUnavailable: (err: unknown) =>
    !!err && (SQLITE_UNAVAILABLE.has(errorCode(err)) || /database is locked/i.test(errorMessage(err))),
  isUniqueViolation: (err: unknown) => {
    const c = errorCode(err);
    return c === 'SQLITE_CONSTRAINT_UNIQUE' || c === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
};

/**
 * A value the database refuses to hold: PostgreSQL's NUL in text (22021, 22P05), a number out of
 * its column's range (22003) or text it cannot read as the column's type (22P02). The input is at
 * fault, not the service: SQLite stores such values, so the same request must not become a 500
 * on PostgreSQL.
 */
// 2201B: a regular expression PostgreSQL's engine refuses (a name filter).
const PG_INVALID_VALUE = new Set(['22021', '22P05', '22003', '22P02', '2201B']);
export const isInvalidValue = (err: unknown): boolean => PG_INVALID_VALUE.has(errorCode(err));

/** Either dialect's "cannot reach the database" (for the HTTP fault mapper, which serves both). */
export const isUnavailableError = (err: unknown): boolean =>
  postgresErrors.isUnavailable(err) || sqliteErrors.isUnavailable(err);
/** Either dialect's unique-constraint violation. */
export const isUniqueViolation = (err: unknown): boolean =>
  postgresErrors.isUniqueViolation(err) || sqliteErrors.isUniqueViolation(err);

/**
 * NOTIFY stratus_changes after this process's commits, outside any transaction and coalesced
 * (at most one in flight and one pending): wakes the watch hubs of other processes. Not from
 * the server_changes trigger: a NOTIFY in a transaction takes a cluster-wide lock at its commit,
 * which would serialise every server-writing commit. A lost notification costs the hubs' 1 s poll.
 */
function changeNotifier(db: Kysely<Database>) {
  let inFlight: Promise<void> | null = null;
  let pending = false;
  let closed = false;
  const send = (): void => {
    if (closed) return;
    if (inFlight) {
      pending = true;
      return;
    }
    inFlight = sql`select pg_notify(${changesChannel}, '')`
      .execute(db)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        inFlight = null;
        if (pending) {
          pending = false;
          send();
        }
      });
  };
  return {
    send,
    async close() {
      closed = true;
      pending = false;
      await inFlight;
    },
  };
}

export function postgresDialect(db: Kysely<Database>, url: string): Dialect {
  const committed = new CommitSignal();
  const transact = makeTransact(db, 'postgres', postgresErrors.isRetryable, committed);
  const notifier = changeNotifier(db);
  committed.add(notifier.send);
  const snapshot = async (ex: Executor) => {
    const r = await sql<{
      xmin: string;
      xmax: string;
    }>`select txid_snapshot_xmin(txid_current_snapshot())::text as xmin, txid_snapshot_xmax(txid_current_snapshot())::text as xmax`.execute(
      ex,
    );
    const row = r.rows[0];
    return { xmin: BigInt(row.xmin), xmax: BigInt(row.xmax) };
  };
  return {
    name: 'postgres',
    transact,
    committed,
    async listenChanges(onChange, log) {
      const l = new ChannelListener(url, changesChannel, onChange, (m) => log(`changes listener: ${m}`));
      await l.start();
      return l;
    },
    close: () => notifier.close(),
    snapshot,
    consistentRead: (fn) =>
      db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute(async (tx) => {
          // The first statement fixes the transaction's snapshot: the bounds, then reads on it.
          const snap = await snapshot(tx);
          return { snap, value: await fn(tx) };
        }),
    ...postgresErrors,
    commitSoon: (fn) => fn(db),
    lockRows: (q, table) => q.forUpdate(table) as typeof q,
    lockRowsSkipLocked: (q) => q.forUpdate().skipLocked() as typeof q,
    jsonNumber: (column, key) => sql<number>`((${sql.ref(column)})::json->>${sql.lit(key)})::bigint`,
    regexpMatch: (column, pattern) => sql<boolean>`${sql.ref(column)} ~ ${pattern}`,
    async notify(ex, signal) {
      await sql`select pg_notify(${notifyChannel}, ${signal})`.execute(ex);
    },
    async listen(events, log) {
      const l = new TaskListener(url, events, log);
      await l.start();
      return l;
    },
  };
}

export function sqliteDialect(db: Kysely<Database>): Dialect {
  const committed = new CommitSignal();
  const transact = makeTransact(db, 'sqlite', sqliteErrors.isRetryable, committed);
  return {
    name: 'sqlite',
    transact,
    committed,
    listenChanges: async () => null,
    close: async () => {},
    snapshot: async () => null,
    consistentRead: async (fn) => ({ snap: null, value: await fn(db) }),
    ...sqliteErrors,
    commitSoon: (fn) => transact(fn),
    lockRows: (q) => q,
    lockRowsSkipLocked: (q) => q,
    jsonNumber: (column, key) => sql<number>`json_extract(${sql.ref(column)}, ${sql.lit(`$.${key}`)})`,
    regexpMatch: (column, pattern) => sql<boolean>`${sql.ref(column)} regexp ${pattern}`,
    notify: async () => {},
    listen: async () => null,
  };
}

/** Dialects by the Kysely adapter of their database (every executor of a database shares its adapter). */
const byAdapter = new WeakMap<object, Dialect>();

export function attachDialect(db: Kysely<Database>, dialect: Dialect): void {
  byAdapter.set(db.getExecutor().adapter, dialect);
}

/** The dialect of the database `ex` runs on (attached by openDatabase). */
export function dialectOf(ex: Executor): Dialect {
  const d = byAdapter.get(ex.getExecutor().adapter);
  if (!d) throw new Error('no dialect attached to this database (open it with openDatabase)');
  return d;
}
