// Storage contract: the servers repository, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as servers from '../../src/db/repositories/servers.repository.js';
import * as actions from '../../src/db/repositories/actions.repository.js';
import * as services from '../../src/db/repositories/services.repository.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import {
  T,
  actionRow,
  assertUniqueViolation,
  eventRow,
  serverRow,
  serviceRow,
  storageSuite,
  uuid,
} from '../../src/testing/storage.js';
import type { ServerListFilter } from '../../src/db/repositories/servers.repository.js';

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

storageSuite('servers storage', (s) => {
  /** Every page of a listing, following markers (keyset paging) until an empty page. */
  async function allPages(f: Omit<ServerListFilter, 'marker'>): Promise<string[]> {
    const seen: string[] = [];
    let marker: servers.ServerRow | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const page = await servers.listServers(s.database.db, { ...f, marker });
      if (page.length === 0) return seen;
      seen.push(...ids(page));
      marker = page[page.length - 1];
    }
    throw new Error('paging does not end');
  }

  test('migrations are idempotent', async () => {
    assert.deepEqual(await migrateToLatest(s.database.db), []);
  });

  test('insertServer / getServer: every column round-trips; a duplicate id is the dialect unique violation', async () => {
    const db = s.database.db;
    const row = serverRow(uuid(1, 1), {
      description: 'd',
      key_name: 'k',
      user_data: 'dXNlcg==',
      locked_by: 'owner',
      locked_reason: 'why',
      task_state: 'rebooting',
      personality: '[{"path":"/etc/motd","contents":"aGk="}]',
      config_drive: 'True',
      trusted_image_certificates: '["cert-1"]',
      shelved_image_id: uuid(1, 9),
      shelved_at: T(5),
      pinned_availability_zone: 'az1',
    });
    await servers.insertServer(db, row);
    assert.deepEqual({ ...(await servers.getServer(db, uuid(1, 1))) }, row);
    await assertUniqueViolation(servers.insertServer(db, serverRow(uuid(1, 1))));
    assert.equal((await servers.getServer(db, uuid(1, 1), { projectId: 'p1' }))?.id, uuid(1, 1));
    assert.equal(await servers.getServer(db, uuid(1, 1), { projectId: 'p2' }), undefined, 'another project: none');
    assert.equal(await servers.getServer(db, uuid(1, 2)), undefined);
  });

  test('getServers: the live servers among the ids, full rows; deleted and unknown ids left out', async () => {
    const db = s.database.db;
    const live = serverRow(uuid(1, 21));
    await servers.insertServer(db, live);
    await servers.insertServer(db, serverRow(uuid(1, 22), { deleted: 1, deleted_at: T(3) }));
    await servers.insertServer(db, serverRow(uuid(1, 23)));
    const got = await servers.getServers(db, [uuid(1, 21), uuid(1, 22), uuid(1, 24), uuid(1, 21)]);
    assert.deepEqual(
      got.map((r) => ({ ...r })),
      [live],
    );
    assert.deepEqual(await servers.getServers(db, []), []);
  });

  test('insertServer without the create options (migration 0011) stores their defaults', async () => {
    const db = s.database.db;
    const { personality: _p, config_drive: _c, trusted_image_certificates: _t, ...row } = serverRow(uuid(1, 9));
    await servers.insertServer(db, row);
    const got = await servers.getServer(db, uuid(1, 9));
    assert.deepEqual([got?.personality, got?.config_drive, got?.trusted_image_certificates], ['[]', '', null]);
  });

  test('compare-and-set: exactly one of many concurrent writers wins', async () => {
    const db = s.database.db;
    await servers.insertServer(db, serverRow(uuid(2, 1)));
    const results = await Promise.all(
      Array.from({ length: 20 }, () => servers.casUpdateServer(db, uuid(2, 1), null, { task_state: 'deleting' })),
    );
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal((await servers.getServer(db, uuid(2, 1)))?.task_state, 'deleting');
  });

  test('casUpdateServer: expected task state (null, a state, any), expectUnlocked, deleted rows', async () => {
    const db = s.database.db;
    const id = uuid(3, 1);
    await servers.insertServer(db, serverRow(id, { task_state: 'rebooting' }));
    assert.equal(await servers.casUpdateServer(db, id, null, { name: 'x' }), false, 'expects no task');
    assert.equal(await servers.casUpdateServer(db, id, 'deleting', { name: 'x' }), false, 'expects another task');
    assert.equal(await servers.casUpdateServer(db, id, 'rebooting', { task_state: null, name: 'a' }), true);
    assert.equal(await servers.casUpdateServer(db, id, undefined, { name: 'b' }), true, 'undefined: any task state');
    await servers.casUpdateServer(db, id, undefined, { locked_by: 'admin' });
    assert.equal(await servers.casUpdateServer(db, id, null, { name: 'c' }, { expectUnlocked: true }), false, 'locked');
    assert.equal(
      await servers.casUpdateServer(db, id, null, { name: 'c' }),
      true,
      'without expectUnlocked the lock is ignored',
    );
    assert.equal((await servers.getServer(db, id))?.name, 'c');
    await servers.markServerDeleted(db, id, T(1));
    assert.equal(await servers.casUpdateServer(db, id, undefined, { name: 'd' }), false, 'a deleted row never changes');
    assert.equal(await servers.casUpdateServer(db, uuid(3, 9), undefined, { name: 'd' }), false, 'no such row');
  });

  test('markServerDeleted: once; with an expected task state only in that state; readDeleted sees the row', async () => {
    const db = s.database.db;
    await servers.insertServer(db, serverRow(uuid(4, 1)));
    assert.equal(await servers.markServerDeleted(db, uuid(4, 1), T(5)), true);
    assert.equal(await servers.markServerDeleted(db, uuid(4, 1), T(6)), false);
    assert.equal(await servers.getServer(db, uuid(4, 1)), undefined);
    const gone = await servers.getServer(db, uuid(4, 1), { readDeleted: true });
    assert.deepEqual(
      [gone?.vm_state, gone?.task_state, gone?.power_state, gone?.deleted, gone?.deleted_at, gone?.terminated_at],
      ['deleted', null, 0, 1, T(5), T(5)],
    );
    await servers.insertServer(db, serverRow(uuid(4, 2), { task_state: 'deleting' }));
    assert.equal(await servers.markServerDeleted(db, uuid(4, 2), T(7), 'soft-delete', 'rebooting'), false);
    assert.equal(await servers.markServerDeleted(db, uuid(4, 2), T(7), 'soft-delete', 'deleting'), true);
    assert.equal((await servers.getServer(db, uuid(4, 2), { readDeleted: true }))?.vm_state, 'soft-delete');
  });

  test('getServerAndNodeForUpdate: the live row with its compute service (or none)', async () => {
    const db = s.database.db;
    await services.upsertService(db, serviceRow(uuid(5, 10), { host: 'gn-up', forced_down: 1, last_seen_at: T(42) }));
    await services.upsertService(
      db,
      serviceRow(uuid(5, 11), { host: 'gn-up', binary: 'nova-conductor', last_seen_at: T(99) }),
    );
    await servers.insertServer(db, serverRow(uuid(5, 1), { host: 'gn-up' }));
    await servers.insertServer(db, serverRow(uuid(5, 2), { host: null }));
    await servers.insertServer(db, serverRow(uuid(5, 3), { host: 'gn-up' }));
    await servers.markServerDeleted(db, uuid(5, 3), T(1));
    const found = await s.database.dialect.transact((tx) => servers.getServerAndNodeForUpdate(tx, uuid(5, 1)));
    assert.equal(found?.server.id, uuid(5, 1));
    assert.equal(found?.server.host, 'gn-up');
    assert.deepEqual(found?.node, { forced_down: 1, last_seen_at: T(42) }, 'the nova-compute service only');
    const none = await s.database.dialect.transact((tx) => servers.getServerAndNodeForUpdate(tx, uuid(5, 2)));
    assert.deepEqual([none?.server.id, none?.node], [uuid(5, 2), undefined]);
    assert.equal(
      await s.database.dialect.transact((tx) => servers.getServerAndNodeForUpdate(tx, uuid(5, 3))),
      undefined,
    );
  });

  test('getServerAndNodeForUpdate locks the row: concurrent read-modify-write transactions lose no update', async () => {
    const id = uuid(6, 1);
    await servers.insertServer(s.database.db, serverRow(id, { launch_index: 0 }));
    await Promise.all(
      Array.from({ length: 12 }, () =>
        s.database.dialect.transact(async (tx) => {
          const found = await servers.getServerAndNodeForUpdate(tx, id);
          // A yield between the read and the write: without the lock, others would read the same value.
          await new Promise((r) => setTimeout(r, 2));
          await servers.casUpdateServer(tx, id, undefined, { launch_index: found!.server.launch_index + 1 });
        }),
      ),
    );
    assert.equal((await servers.getServer(s.database.db, id))?.launch_index, 12);
  });

  test('listing: keyset paging is stable and complete', async () => {
    const db = s.database.db;
    for (let i = 10; i < 25; i++)
      await servers.insertServer(db, serverRow(uuid(7, i), { project_id: 'page', created_at: T(i % 4) }));
    const seen = await allPages({ projectId: 'page', deleted: 'no', sortKey: 'created_at', sortDir: 'desc', limit: 4 });
    assert.equal(seen.length, 15);
    assert.equal(new Set(seen).size, 15);
    const first = await servers.listServers(db, {
      projectId: 'page',
      deleted: 'no',
      sortKey: 'created_at',
      sortDir: 'asc',
      limit: 5,
    });
    assert.deepEqual(
      first.map((r) => [r.created_at, r.id]),
      [...first.map((r) => [r.created_at, r.id])].sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1)),
      'ascending by the key, then by id',
    );
  });

  for (const sortKey of ['key_name', 'host', 'launched_at', 'task_state', 'locked_by'] as const) {
    for (const sortDir of ['asc', 'desc'] as const) {
      test(`listing: paging by a nullable key (${sortKey} ${sortDir}) returns every row, nulls in one place on both dialects`, async () => {
        const db = s.database.db;
        const project = `null-${sortKey}-${sortDir}`;
        const value = (i: number) =>
          sortKey === 'launched_at'
            ? T(i)
            : sortKey === 'task_state'
              ? (['rebooting', 'pausing'] as const)[i % 2]
              : `v${i}`;
        for (let i = 0; i < 9; i++)
          await servers.insertServer(
            db,
            serverRow(uuid(8, i + sortKey.length * 100 + (sortDir === 'asc' ? 0 : 50)), {
              project_id: project,
              [sortKey]: i % 3 === 0 ? null : value(i),
            }),
          );
        const seen = await allPages({ projectId: project, deleted: 'no', sortKey, sortDir, limit: 2 });
        assert.equal(new Set(seen).size, 9, `every row once: ${seen.length} seen`);
        const rows = await servers.listServers(db, { projectId: project, deleted: 'no', sortKey, sortDir, limit: 100 });
        const nullsFirst = rows[0][sortKey] === null;
        // MySQL (Nova's reference database) and SQLite put NULL below every value: first ascending, last descending.
        assert.equal(nullsFirst, sortDir === 'asc', 'NULL sorts below every value');
      });
    }
  }

  test('listing by name: a regular expression searched anywhere (Nova: REGEXP / ~), LIKE wildcards literal', async () => {
    const db = s.database.db;
    const names = ['web_1', 'webX1', 'web%1', 'web\\1', 'db-1', 'a_web_1_b'];
    for (const [i, name] of names.entries())
      await servers.insertServer(db, serverRow(uuid(9, i), { project_id: 'like', name, created_at: T(i) }));
    const byName = async (name: string) =>
      (
        await servers.listServers(db, {
          projectId: 'like',
          deleted: 'no',
          name,
          sortKey: 'created_at',
          sortDir: 'asc',
          limit: 50,
        })
      ).map((r) => r.name);
    assert.deepEqual(await byName('web_1'), ['web_1', 'a_web_1_b'], '_ is not a wildcard');
    assert.deepEqual(await byName('web%1'), ['web%1'], '% is not a wildcard');
    assert.deepEqual(await byName('web\\\\1'), ['web\\1'], 'an escaped backslash is a backslash');
    assert.deepEqual(await byName('b'), ['web_1', 'webX1', 'web%1', 'web\\1', 'db-1', 'a_web_1_b']);
    assert.deepEqual(await byName('^web.1$'), ['web_1', 'webX1', 'web%1', 'web\\1'], 'anchors and . work');
    assert.deepEqual(await byName('^(db|a)'), ['db-1', 'a_web_1_b'], 'alternation');
    assert.deepEqual(await byName('X[0-9]'), ['webX1'], 'classes');
    assert.deepEqual(await byName('nothing'), []);
  });

  test('listing by name: the match is case-sensitive on both dialects (PostgreSQL ~, Python re.search)', async () => {
    const db = s.database.db;
    await servers.insertServer(db, serverRow(uuid(10, 1), { project_id: 'case', name: 'WebServer' }));
    const find = (name: string) =>
      servers.listServers(db, {
        projectId: 'case',
        deleted: 'no',
        name,
        sortKey: 'created_at',
        sortDir: 'asc',
        limit: 5,
      });
    assert.deepEqual(ids(await find('webserver')), []);
    assert.deepEqual(ids(await find('WebS')), [uuid(10, 1)]);
    assert.deepEqual(ids(await find('[Ww]ebserver|Server$')), [uuid(10, 1)]);
  });

  test('listing: the deleted modes, and every filter', async () => {
    const db = s.database.db;
    const p = 'filters';
    const add = (n: number, over: Parameters<typeof serverRow>[1]) =>
      servers.insertServer(db, serverRow(uuid(11, n), { project_id: p, created_at: T(n), updated_at: T(n), ...over }));
    await add(1, {
      vm_state: 'active',
      image_id: 'i1',
      flavor_id: 'f1',
      host: 'ha',
      reservation_id: 'r1',
      user_id: 'ua',
    });
    await add(2, {
      vm_state: 'stopped',
      task_state: 'powering-on',
      image_id: 'i2',
      flavor_id: 'f2',
      host: 'hb',
      locked_by: 'owner',
    });
    await add(3, { vm_state: 'soft-delete', user_id: 'ub' });
    await add(4, { vm_state: 'deleted', deleted: 1, deleted_at: T(4) });
    const list = async (f: Partial<ServerListFilter>) =>
      ids(
        await servers.listServers(db, {
          projectId: p,
          deleted: 'no',
          sortKey: 'created_at',
          sortDir: 'asc',
          limit: 50,
          ...f,
        }),
      );
    const u = (...n: number[]) => n.map((i) => uuid(11, i));
    assert.deepEqual(await list({}), u(1, 2), "'no': live rows, soft-deleted ones excluded");
    assert.deepEqual(await list({ deleted: 'only' }), u(3, 4));
    assert.deepEqual(await list({ deleted: 'any' }), u(1, 2, 3, 4));
    assert.deepEqual(await list({ deleted: 'any', vmStates: ['stopped', 'soft-delete'] }), u(2, 3));
    assert.deepEqual(await list({ vmStates: [] }), [], 'an empty state list matches nothing');
    assert.deepEqual(await list({ taskStates: [null] }), u(1));
    assert.deepEqual(await list({ taskStates: ['powering-on'] }), u(2));
    assert.deepEqual(await list({ taskStates: ['powering-on', null] }), u(1, 2));
    assert.deepEqual(await list({ deleted: 'any', changesSince: T(2) }), u(2, 3, 4));
    assert.deepEqual(await list({ deleted: 'any', changesBefore: T(2) }), u(1, 2));
    assert.deepEqual(await list({ imageId: 'i2' }), u(2));
    assert.deepEqual(await list({ flavorId: 'f1' }), u(1));
    assert.deepEqual(await list({ host: 'hb' }), u(2));
    assert.deepEqual(await list({ reservationId: 'r1' }), u(1));
    assert.deepEqual(await list({ deleted: 'any', userId: 'ub' }), u(3));
    assert.deepEqual(await list({ locked: true }), u(2));
    assert.deepEqual(await list({ locked: false }), u(1));
    assert.deepEqual(await list({ limit: 1 }), u(1));
    assert.deepEqual(await list({ deleted: 'any', sortDir: 'desc' }), u(4, 3, 2, 1));
    const everywhere = ids(
      await servers.listServers(db, { deleted: 'any', host: 'hb', sortKey: 'created_at', sortDir: 'asc', limit: 50 }),
    );
    assert.ok(everywhere.includes(uuid(11, 2)), 'no project: every project');
  });

  test('deletedServerIdsOnHost: the ids the database has no live server for on that host (any number of them)', async () => {
    const db = s.database.db;
    const host = 'orph-h';
    await servers.insertServer(db, serverRow(uuid(12, 1), { host }));
    await servers.insertServer(db, serverRow(uuid(12, 2), { host }));
    await servers.markServerDeleted(db, uuid(12, 2), T(1));
    await servers.insertServer(db, serverRow(uuid(12, 3), { host: 'orph-other' }));
    const asked = [uuid(12, 1), uuid(12, 2), uuid(12, 3), uuid(12, 4)];
    assert.deepEqual(await servers.deletedServerIdsOnHost(db, host, asked), asked.slice(1));
    assert.deepEqual(await servers.deletedServerIdsOnHost(db, host, []), []);
    // More ids than one statement takes (chunks of 500): the live one is found in any chunk.
    const many = Array.from({ length: 1203 }, (_, i) => uuid(12, 1000 + i));
    many.splice(1100, 0, uuid(12, 1));
    const orphans = await servers.deletedServerIdsOnHost(db, host, many);
    assert.equal(orphans.length, 1203);
    assert.ok(!orphans.includes(uuid(12, 1)));
  });

  test('reclaimableServers / markReclaimed: soft-deleted idle servers past the time; reclaim is compare-and-set', async () => {
    const db = s.database.db;
    const host = 'recl-h';
    const add = (n: number, over: Parameters<typeof serverRow>[1]) =>
      servers.insertServer(db, serverRow(uuid(13, n), { host, vm_state: 'soft-delete', deleted_at: T(10), ...over }));
    await add(1, {});
    await add(2, { deleted_at: T(30) });
    await add(3, { task_state: 'restoring' });
    await add(4, { vm_state: 'active', deleted_at: null });
    await add(5, { host: 'recl-other' });
    assert.deepEqual(ids(await servers.reclaimableServers(db, host, T(20))), [uuid(13, 1)]);
    assert.equal(await servers.markReclaimed(db, uuid(13, 1), T(21)), false, 'not yet being deleted');
    assert.equal(await servers.casUpdateServer(db, uuid(13, 1), null, { task_state: 'deleting' }), true);
    assert.equal(await servers.markReclaimed(db, uuid(13, 1), T(21)), true);
    assert.equal(await servers.markReclaimed(db, uuid(13, 1), T(22)), false, 'once');
    const r = await servers.getServer(db, uuid(13, 1), { readDeleted: true });
    assert.deepEqual(
      [r?.deleted, r?.vm_state, r?.task_state, r?.power_state, r?.terminated_at, r?.deleted_at],
      [1, 'deleted', null, 0, T(21), T(10)],
    );
    assert.deepEqual(await servers.reclaimableServers(db, host, T(20)), []);
  });

  test('purge removes deleted rows older than the date, and their actions and events', async () => {
    const db = s.database.db;
    await servers.insertServer(db, serverRow(uuid(14, 1)));
    await servers.markServerDeleted(db, uuid(14, 1), T(10));
    await servers.insertServer(db, serverRow(uuid(14, 2)));
    await servers.markServerDeleted(db, uuid(14, 2), T(20));
    await servers.insertServer(db, serverRow(uuid(14, 3)));
    await actions.insertAction(db, actionRow(uuid(14, 11), uuid(14, 1)));
    await actions.insertEvent(db, eventRow(uuid(14, 21), uuid(14, 11)));
    await actions.insertAction(db, actionRow(uuid(14, 12), uuid(14, 2)));
    await actions.insertAction(db, actionRow(uuid(14, 13), uuid(14, 3)));
    const n = await servers.purgeDeletedServers(db, T(11));
    assert.ok(n >= 1);
    assert.equal(await servers.getServer(db, uuid(14, 1), { readDeleted: true }), undefined);
    assert.deepEqual(await actions.listActions(db, uuid(14, 1)), []);
    assert.deepEqual(await actions.listEvents(db, uuid(14, 11)), []);
    assert.equal((await servers.getServer(db, uuid(14, 2), { readDeleted: true }))?.id, uuid(14, 2), 'newer: kept');
    assert.deepEqual(ids(await actions.listActions(db, uuid(14, 2))), [uuid(14, 12)]);
    assert.deepEqual(ids(await actions.listActions(db, uuid(14, 3))), [uuid(14, 13)]);
    assert.equal(await servers.purgeDeletedServers(db, T(11)), 0);
  });

  test('liveServersOnHost / activeIdleServerIdsOnHost / markStoppedIfIdle', async () => {
    const db = s.database.db;
    const host = 'idle-h';
    await servers.insertServer(db, serverRow(uuid(15, 1), { host }));
    await servers.insertServer(db, serverRow(uuid(15, 2), { host, task_state: 'rebooting' }));
    await servers.insertServer(db, serverRow(uuid(15, 3), { host, vm_state: 'stopped', power_state: 4 }));
    await servers.insertServer(db, serverRow(uuid(15, 4), { host }));
    await servers.markServerDeleted(db, uuid(15, 4), T(1));
    await servers.insertServer(db, serverRow(uuid(15, 5), { host: 'idle-other' }));
    assert.deepEqual(ids(await servers.liveServersOnHost(db, host)).sort(), [uuid(15, 1), uuid(15, 2), uuid(15, 3)]);
    assert.deepEqual(await servers.activeIdleServerIdsOnHost(db, host), [uuid(15, 1)]);
    assert.equal(await servers.markStoppedIfIdle(db, uuid(15, 2), T(5)), false, 'busy');
    assert.equal(await servers.markStoppedIfIdle(db, uuid(15, 3), T(5)), false, 'not active');
    assert.equal(await servers.markStoppedIfIdle(db, uuid(15, 4), T(5)), false, 'deleted');
    assert.equal(await servers.markStoppedIfIdle(db, uuid(15, 1), T(5)), true);
    assert.equal(await servers.markStoppedIfIdle(db, uuid(15, 1), T(6)), false);
    const r = await servers.getServer(db, uuid(15, 1));
    assert.deepEqual([r?.vm_state, r?.power_state, r?.updated_at], ['stopped', 4, T(5)]);
    assert.deepEqual(await servers.activeIdleServerIdsOnHost(db, host), []);
  });

  test('liveServerCounts: live servers per host, numbers on both dialects', async () => {
    const db = s.database.db;
    for (let i = 0; i < 3; i++) await servers.insertServer(db, serverRow(uuid(16, i), { host: 'cnt-a' }));
    await servers.insertServer(db, serverRow(uuid(16, 5), { host: 'cnt-b' }));
    await servers.insertServer(db, serverRow(uuid(16, 6), { host: 'cnt-b' }));
    await servers.markServerDeleted(db, uuid(16, 6), T(1));
    await servers.insertServer(db, serverRow(uuid(16, 7), { host: 'cnt-c' }));
    const counts = await servers.liveServerCounts(db, ['cnt-a', 'cnt-b', 'cnt-none']);
    assert.deepEqual([...counts.entries()].sort(), [
      ['cnt-a', 3],
      ['cnt-b', 1],
    ]);
    assert.deepEqual(await servers.liveServerCounts(db, []), new Map());
  });

  test('unlockIfLockedBy: only while the lock is the one seen (compare-and-set)', async () => {
    const db = s.database.db;
    const id = uuid(17, 1);
    await servers.insertServer(db, serverRow(id, { locked_by: 'owner', locked_reason: 'r' }));
    assert.equal(await servers.unlockIfLockedBy(db, id, 'admin', T(1)), false);
    assert.equal(await servers.unlockIfLockedBy(db, id, null, T(1)), false);
    assert.equal(await servers.unlockIfLockedBy(db, id, 'owner', T(2)), true);
    const r = await servers.getServer(db, id);
    assert.deepEqual([r?.locked_by, r?.locked_reason, r?.updated_at], [null, null, T(2)]);
    assert.equal(await servers.unlockIfLockedBy(db, id, 'owner', T(3)), false);
    assert.equal(await servers.unlockIfLockedBy(db, id, null, T(3)), true, 'null: expects no lock');
    await servers.markServerDeleted(db, id, T(4));
    assert.equal(await servers.unlockIfLockedBy(db, id, null, T(5)), false, 'deleted');
  });
});
