// transact on every dialect: SQLite's group commit with one savepoint per unit, PostgreSQL's one
// transaction per unit retried after a deadlock or serialization failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase, type OpenedDb } from './index.js';
import { migrateToLatest } from '../migrate.js';
import { makeTransact } from './transact.js';
import { databaseTargets } from '../../testing/databases.js';
import { serverRow, uuid } from '../../testing/storage.js';
import * as servers from '../repositories/servers.repository.js';

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((r) => {
    fire = r;
  });
  return { promise, fire };
}

for (const target of databaseTargets()) {
  describe(`transact on ${target.name}`, () => {
    let d: OpenedDb;
    let drop: () => Promise<void>;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'transact-'));
      const db = await target.url();
      drop = db.drop;
      d = openDatabase(db.url, dir);
      await migrateToLatest(d.db);
    });
    after(async () => {
      await d.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });
    const domainIds = async (prefix: string) =>
      (await d.db.selectFrom('domains').select('id').where('id', 'like', `${prefix}%`).execute())
        .map((r) => r.id)
        .sort();

    test('concurrent units: a failing unit rolls back alone, the others commit and get their own results', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          d.dialect.transact(async (tx) => {
            await tx
              .insertInto('domains')
              .values({ id: `c${i}`, name: `c${i}` })
              .execute();
            if (i % 7 === 0) throw new Error(`unit ${i} fails`);
            return i;
          }),
        ),
      );
      const expected = Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 7 !== 0);
      assert.deepEqual(await domainIds('c'), expected.map((i) => `c${i}`).sort());
      results.forEach((r, i) => {
        if (i % 7 === 0) assert.deepEqual(r, { status: 'rejected', reason: new Error(`unit ${i} fails`) });
        else assert.deepEqual(r, { status: 'fulfilled', value: i });
      });
    });

    test('a lone unit that fails rolls back', async () => {
      await assert.rejects(
        d.dialect.transact(async (tx) => {
          await tx.insertInto('domains').values({ id: 'lone', name: 'lone' }).execute();
          throw new Error('no');
        }),
        /no/,
      );
      assert.deepEqual(await domainIds('lone'), []);
    });

    test('a unit failing on a constraint rolls back alone; the unique violation reaches its caller', async () => {
      await d.dialect.transact((tx) => tx.insertInto('domains').values({ id: 'uv0', name: 'uv-taken' }).execute());
      const [a, b, c] = await Promise.allSettled([
        d.dialect.transact((tx) => tx.insertInto('domains').values({ id: 'uv1', name: 'uv1' }).execute()),
        d.dialect.transact(async (tx) => {
          await tx.insertInto('domains').values({ id: 'uv2', name: 'uv2' }).execute();
          await tx.insertInto('domains').values({ id: 'uv3', name: 'uv-taken' }).execute();
        }),
        d.dialect.transact((tx) => tx.insertInto('domains').values({ id: 'uv4', name: 'uv4' }).execute()),
      ]);
      assert.equal(a.status, 'fulfilled');
      assert.equal(c.status, 'fulfilled');
      assert.ok(b.status === 'rejected' && d.dialect.isUniqueViolation(b.reason), 'the unique violation');
      assert.deepEqual(await domainIds('uv'), ['uv0', 'uv1', 'uv4']);
    });

    test('a unit that awaits between statements keeps its writes together', async () => {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          d.dialect.transact(async (tx) => {
            await tx
              .insertInto('domains')
              .values({ id: `aw${i}a`, name: `aw${i}a` })
              .execute();
            await new Promise((r) => setTimeout(r, 1));
            await tx
              .insertInto('domains')
              .values({ id: `aw${i}b`, name: `aw${i}b` })
              .execute();
          }),
        ),
      );
      assert.equal((await domainIds('aw')).length, 20);
    });

    test('transactions per event-loop turn: SQLite shares one, PostgreSQL runs one per unit', async () => {
      let transactions = 0;
      const counted = new Proxy(d.db, {
        get(t, prop, receiver) {
          if (prop === 'transaction') transactions++;
          const v = Reflect.get(t, prop, receiver);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
      const transact = makeTransact(counted, d.dialect.name);
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
      assert.equal(transactions, d.dialect.name === 'sqlite' ? 1 : 20);
      assert.equal((await domainIds('t')).length, 20);
    });

    test('SQLite: the units of a group run in the order they were submitted, each seeing those before it', async (t) => {
      if (d.dialect.name !== 'sqlite') {
        t.skip('PostgreSQL runs units in parallel transactions: no order between them');
        return;
      }
      const seen = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          d.dialect.transact(async (tx) => {
            const before = await tx.selectFrom('domains').select('id').where('id', 'like', 'ord%').execute();
            await tx
              .insertInto('domains')
              .values({ id: `ord${i}`, name: `ord${i}` })
              .execute();
            return before.length;
          }),
        ),
      );
      assert.deepEqual(
        seen,
        Array.from({ length: 10 }, (_, i) => i),
      );
    });

    test('retries: a retryable error runs the unit again after rolling back (PostgreSQL only, at most 3 attempts)', async () => {
      const pg = d.dialect.name === 'postgres';
      let attempts = 0;
      const value = await d.dialect
        .transact(async (tx) => {
          attempts++;
          await tx
            .insertInto('domains')
            .values({ id: `r${attempts}`, name: 'r-once' })
            .execute();
          if (attempts === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
          return 'second';
        })
        .catch((e: Error) => e.message);
      if (pg) {
        assert.deepEqual([value, attempts], ['second', 2]);
        assert.deepEqual(await domainIds('r'), ['r2'], "the first attempt's write is rolled back");
      } else {
        assert.deepEqual([value, attempts], ['deadlock detected', 1], 'SQLite never retries');
        assert.deepEqual(await domainIds('r'), []);
      }

      let always = 0;
      await assert.rejects(
        d.dialect.transact(async () => {
          always++;
          throw Object.assign(new Error('could not serialize access'), { code: '40001' });
        }),
        /could not serialize/,
      );
      assert.equal(always, pg ? 3 : 1, 'bounded');

      let plain = 0;
      await assert.rejects(
        d.dialect.transact(async () => {
          plain++;
          throw Object.assign(new Error('duplicate key'), { code: '23505' });
        }),
      );
      assert.equal(plain, 1, 'a non-retryable error is not retried');
    });

    test('PostgreSQL: a real deadlock between two transactions is retried, and neither update is lost', async (t) => {
      if (d.dialect.name !== 'postgres') {
        t.skip('SQLite has one writer: two transactions never wait for each other');
        return;
      }
      const [a, b] = [uuid(0xd1, 1), uuid(0xd1, 2)];
      await servers.insertServer(d.db, serverRow(a));
      await servers.insertServer(d.db, serverRow(b));
      const bothLocked = { x: signal(), y: signal() };
      const attempts = { x: 0, y: 0 };
      // Each unit takes its first row, waits until the other holds its own, then takes the other's:
      // opposite lock orders, a deadlock PostgreSQL detects and breaks by aborting one of them.
      const unit = (me: 'x' | 'y', first: string, second: string) =>
        d.dialect.transact(async (tx) => {
          attempts[me]++;
          const bump = async (id: string) => {
            const row = (
              await tx.selectFrom('servers').select('launch_index').where('id', '=', id).forUpdate().execute()
            )[0];
            await servers.casUpdateServer(tx, id, undefined, { launch_index: row.launch_index + 1 });
          };
          await bump(first);
          if (attempts[me] === 1) {
            bothLocked[me].fire();
            await bothLocked[me === 'x' ? 'y' : 'x'].promise;
          }
          await bump(second);
          return attempts[me];
        });
      const [x, y] = await Promise.all([unit('x', a, b), unit('y', b, a)]);
      assert.deepEqual([x, y].sort(), [1, 2], 'exactly one of them ran again');
      for (const id of [a, b]) assert.equal((await servers.getServer(d.db, id))?.launch_index, 2);
    });

    test('PostgreSQL: a real serialization failure (repeatable read, concurrent update) is retried', async (t) => {
      if (d.dialect.name !== 'postgres') {
        t.skip('SQLite transactions are serial: no serialization failure');
        return;
      }
      const id = uuid(0xd2, 1);
      await servers.insertServer(d.db, serverRow(id));
      const snapshotTaken = signal();
      let attempts = 0;
      const reader = d.dialect.transact(async (tx) => {
        attempts++;
        await sql`set transaction isolation level repeatable read`.execute(tx);
        const row = await servers.getServer(tx, id); // the snapshot is taken here
        if (attempts === 1) {
          snapshotTaken.fire();
          // Wait until the concurrent writer has committed its update of the row.
          while (
            (await d.db.selectFrom('servers').select('launch_index').where('id', '=', id).executeTakeFirst())
              ?.launch_index !== 1
          )
            await new Promise((r) => setTimeout(r, 5));
        }
        await servers.casUpdateServer(tx, id, undefined, { launch_index: row!.launch_index + 10 });
        return attempts;
      });
      await snapshotTaken.promise;
      await d.dialect.transact((tx) => servers.casUpdateServer(tx, id, undefined, { launch_index: 1 }));
      assert.equal(await reader, 2, 'the first attempt failed with 40001 and ran again');
      assert.equal((await servers.getServer(d.db, id))?.launch_index, 11, 'the retry read the committed value');
    });
  });
}
