// Storage contract: the same repository behaviour on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseTargets } from '../../src/testing/databases.js';
import { openDatabase, type OpenedDb } from '../../src/db/dialects/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import * as tasks from '../../src/db/repositories/tasks.repository.js';

const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

function serverRow(id: string, over: Partial<servers.NewServer> = {}): servers.NewServer {
  return {
    id,
    project_id: 'p1',
    user_id: 'u1',
    name: `s-${id.slice(0, 4)}`,
    description: null,
    image_id: 'img',
    flavor_id: '1',
    flavor: '{}',
    vm_state: 'active',
    task_state: null,
    power_state: 1,
    host: 'h1',
    launched_at: T(0),
    terminated_at: null,
    locked_by: null,
    locked_reason: null,
    metadata: '{}',
    key_name: null,
    reservation_id: 'r-1',
    launch_index: 0,
    hostname: 'h',
    access_ipv4: '',
    access_ipv6: '',
    availability_zone: 'nova',
    user_data: null,
    requested_networks: '[]',
    fault: null,
    created_at: T(0),
    updated_at: T(0),
    deleted_at: null,
    deleted: 0,
    ...over,
  };
}
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

for (const target of databaseTargets()) {
  describe(`storage on ${target.name}`, () => {
    let database: OpenedDb;
    let drop: () => Promise<void>;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-contract-'));
      const db = await target.url();
      drop = db.drop;
      database = openDatabase(db.url, dir);
      await migrateToLatest(database.db);
    });
    after(async () => {
      await database.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('migrations are idempotent', async () => {
      assert.deepEqual(await migrateToLatest(database.db), []);
    });

    test('compare-and-set: exactly one of many concurrent writers wins', async () => {
      await servers.insertServer(database.db, serverRow(uuid(1)));
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          servers.casUpdateServer(database.db, uuid(1), null, { task_state: 'deleting' }),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await servers.getServer(database.db, uuid(1)))!.task_state, 'deleting');
    });

    test('deleted rows are invisible to plain reads, visible with readDeleted', async () => {
      await servers.insertServer(database.db, serverRow(uuid(2)));
      assert.equal(await servers.markServerDeleted(database.db, uuid(2), T(5)), true);
      assert.equal(await servers.markServerDeleted(database.db, uuid(2), T(6)), false);
      assert.equal(await servers.getServer(database.db, uuid(2)), undefined);
      assert.equal((await servers.getServer(database.db, uuid(2), { readDeleted: true }))!.vm_state, 'deleted');
    });

    test('listing: keyset paging is stable and complete', async () => {
      for (let i = 10; i < 25; i++)
        await servers.insertServer(database.db, serverRow(uuid(i), { project_id: 'page', created_at: T(i % 4) }));
      const seen: string[] = [];
      let marker: servers.ServerRow | undefined;
      for (;;) {
        const page = await servers.listServers(database.db, {
          projectId: 'page',
          deleted: 'no',
          sortKey: 'created_at',
          sortDir: 'desc',
          limit: 4,
          marker,
        });
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.id));
        marker = page[page.length - 1];
      }
      assert.equal(seen.length, 15);
      assert.equal(new Set(seen).size, 15);
    });

    test('tasks: concurrent leasers never take the same task', async () => {
      const now = T(100);
      for (let i = 0; i < 30; i++) {
        await tasks.insertTask(database.db, {
          id: uuid(100 + i),
          kind: 'terminate',
          server_id: uuid(100 + i),
          host: 'hx',
          payload: '{}',
          state: 'queued',
          attempts: 0,
          max_attempts: 3,
          lease_owner: null,
          lease_expires_at: null,
          run_after: now,
          last_error: null,
          created_at: now,
          updated_at: now,
          result: null,
        });
      }
      const lease = async (owner: string) =>
        (await tasks.leaseTasks(database.db, 'hx', owner, T(101), T(200), 10, true)).map((t) => t.id);
      const all = (await Promise.all(['a', 'b', 'c', 'd', 'e'].map(lease))).flat();
      assert.equal(all.length, 30, 'every task leased');
      assert.equal(new Set(all).size, all.length, 'no task leased twice');
      assert.deepEqual(
        await tasks.leaseTasks(database.db, 'hx', 'f', T(150), T(250), 10, true),
        [],
        'live leases are not taken over',
      );
      // Expired leases can be taken over, but only when asked to look for them.
      assert.deepEqual(await tasks.leaseTasks(database.db, 'hx', 'g', T(300), T(400), 100, false), []);
      const taken = await tasks.leaseTasks(database.db, 'hx', 'g', T(300), T(400), 100, true);
      assert.equal(taken.length, 30);
      assert.ok(taken.every((t) => t.lease_owner === 'g' && t.attempts === 2));
    });

    test('purge removes deleted rows older than the date, and their actions', async () => {
      await servers.insertServer(database.db, serverRow(uuid(50)));
      await servers.markServerDeleted(database.db, uuid(50), T(10));
      await database.db
        .insertInto('instance_actions')
        .values({
          id: uuid(51),
          server_id: uuid(50),
          action: 'delete',
          request_id: 'req-x',
          user_id: 'u',
          project_id: 'p1',
          start_time: T(10),
          finish_time: null,
          message: null,
          updated_at: T(10),
        })
        .execute();
      const n = await servers.purgeDeletedServers(database.db, T(11));
      assert.ok(n >= 1);
      assert.equal(await servers.getServer(database.db, uuid(50), { readDeleted: true }), undefined);
      assert.equal(
        (await database.db.selectFrom('instance_actions').select('id').where('server_id', '=', uuid(50)).execute())
          .length,
        0,
      );
    });
  });
}
