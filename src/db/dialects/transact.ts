import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { setTimeout as sleep } from 'node:timers/promises';
/** The two SQL dialects Stratus runs on (the dialect object, dialect.ts, is built on this). */
export type DialectName = 'sqlite' | 'postgres';

/** Runs `fn` atomically: everything it writes commits together or not at all. */
export type Transact = <T>(fn: (tx: Transaction<Database>) => Promise<T>) => Promise<T>;

const SAVEPOINT = CompiledQuery.raw('savepoint unit');
// Numbers the unit for the server_changes triggers (migration 0027): SQLite has no transaction id.
const NEXT_UNIT = CompiledQuery.raw('update server_change_tx set n = n + 1 where id = 1');
const HAS_UNIT_COUNTER = CompiledQuery.raw(
  "select 1 as x from sqlite_master where type = 'table' and name = 'server_change_tx'",
);
const RELEASE = CompiledQuery.raw('release unit');
const ROLLBACK_TO = CompiledQuery.raw('rollback to unit');

interface Unit {
  fn: (tx: Transaction<Database>) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * PostgreSQL: one transaction per unit (the pool runs them in parallel).
 * SQLite: group commit. SQLite has one writer and a commit costs far more than our small
 * statements, so units that arrive while a commit is under way share the next transaction,
 * each inside its own savepoint: a unit that fails rolls back alone, the others commit.
 */
/** Called after each commit of this process's transactions (cheap: listeners only schedule work). */
export class CommitSignal {
  private listeners = new Set<() => void>();
  /** Returns the function that removes the listener. */
  add(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  fire(): void {
    for (const fn of this.listeners) fn();
  }
}

export function makeTransact(
  db: Kysely<Database>,
  dialect: DialectName,
  isRetryable: (err: unknown) => boolean = () => false,
  committed: CommitSignal = new CommitSignal(),
): Transact {
  if (dialect === 'postgres') {
    // A deadlock or serialization failure aborts only the victim: run it again (bounded).
    return async (fn) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const v = await db.transaction().execute(fn);
          committed.fire();
          return v;
        } catch (e) {
          if (attempt >= 3 || !isRetryable(e)) throw e;
          await sleep(5 * attempt + Math.random() * 10);
        }
      }
    };
  }
  let queue: Unit[] = [];
  let flushing = false;
  // Known once found (the table appears with migration 0027; a database before it has none).
  let unitCounter = false;
  const nextUnit = async (tx: Transaction<Database>) => {
    if (!unitCounter) unitCounter = (await tx.executeQuery(HAS_UNIT_COUNTER)).rows.length > 0;
    if (unitCounter) await tx.executeQuery(NEXT_UNIT);
  };
  const flush = async () => {
    flushing = true;
    try {
      while (queue.length) {
        const batch = queue;
        queue = [];
        const outcomes: Array<{ ok: true; v: unknown } | { ok: false; e: unknown }> = [];
        try {
          await db.transaction().execute(async (tx) => {
            for (const unit of batch) {
              if (batch.length === 1) {
                await nextUnit(tx);
                outcomes.push({ ok: true, v: await unit.fn(tx) });
                continue;
              }
              await tx.executeQuery(SAVEPOINT);
              try {
                await nextUnit(tx);
                const v = await unit.fn(tx);
                await tx.executeQuery(RELEASE);
                outcomes.push({ ok: true, v });
              } catch (e) {
                await tx.executeQuery(ROLLBACK_TO);
                await tx.executeQuery(RELEASE);
                outcomes.push({ ok: false, e });
              }
            }
          });
        } catch (e) {
          // The transaction itself failed (a lone unit's error, or the commit): nobody committed.
          for (const unit of batch) unit.reject(e);
          continue;
        }
        if (outcomes.some((o) => o.ok)) committed.fire();
        batch.forEach((unit, i) => {
          const o = outcomes[i];
          if (o.ok) unit.resolve(o.v);
          else unit.reject(o.e);
        });
      }
    } finally {
      flushing = false;
    }
  };
  // The flush waits for the end of this event-loop turn: a transaction on SQLite runs on
  // microtasks only, so requests arriving in the same I/O poll could never join one already
  // running; deferred, every unit queued during the turn shares one commit.
  let scheduled = false;
  const start = () => {
    scheduled = false;
    void flush();
  };
  return <T>(fn: (tx: Transaction<Database>) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!flushing && !scheduled) {
        scheduled = true;
        setImmediate(start);
      }
    });
}
