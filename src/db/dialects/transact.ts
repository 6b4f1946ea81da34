import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { setTimeout as sleep } from 'node:timers/promises';
/** The two SQL dialects Stratus runs on (the dialect object, dialect.ts, is built on this). */
export type DialectName = 'sqlite' | 'postgres';

/** Runs `fn` atomically: everything it writes commits together or not at all. */
export type Transact = <T>(fn: (tx: Transaction<Database>) => Promise<T>) => Promise<T>;

const SAVEPOINT = CompiledQuery.raw('savepoint unit');
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
export function makeTransact(
  db: Kysely<Database>,
  dialect: DialectName,
  isRetryable: (err: unknown) => boolean = () => false,
): Transact {
  if (dialect === 'postgres') {
    // A deadlock or serialization failure aborts only the victim: run it again (bounded).
    return async (fn) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute(fn);
        } catch (e) {
          if (attempt >= 3 || !isRetryable(e)) throw e;
          await sleep(5 * attempt + Math.random() * 10);
        }
      }
    };
  }
  let queue: Unit[] = [];
  let flushing = false;
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
                outcomes.push({ ok: true, v: await unit.fn(tx) });
                continue;
              }
              await tx.executeQuery(SAVEPOINT);
              try {
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
