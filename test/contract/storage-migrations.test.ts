// Storage contract: migrations (Nova's Migration records), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as migrations from '../../src/db/repositories/migrations.repository.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import { T, assertUniqueViolation, serverRow, storageSuite, uuid } from '../../src/testing/storage.js';

const row = (ns: number, n: number, over: Partial<migrations.NewMigration> = {}): migrations.NewMigration => ({
  uuid: uuid(ns, n),
  server_id: uuid(ns, 1000),
  project_id: 'mp-1',
  user_id: 'mu-1',
  migration_type: 'resize',
  status: 'pre-migrating',
  source_compute: 'h1',
  source_node: 'h1',
  dest_compute: 'h2',
  dest_node: 'h2',
  dest_host: null,
  old_flavor_id: '1',
  new_flavor_id: '2',
  old_flavor: '{"id":"1"}',
  new_flavor: '{"id":"2"}',
  old_vm_state: 'active',
  created_at: T(n),
  updated_at: null,
  ...over,
});

storageSuite('migrations storage', (s) => {
  test('insertMigration / getMigration: integer ids that grow, every column back as written; uuid unique', async () => {
    const db = s.database.db;
    const a = await migrations.insertMigration(db, row(0x71, 1));
    const b = await migrations.insertMigration(db, row(0x71, 2, { migration_type: 'migration' }));
    assert.equal(typeof a.id, 'number');
    assert.ok(b.id > a.id);
    assert.deepEqual(a, { id: a.id, ...row(0x71, 1) });
    assert.deepEqual(await migrations.getMigration(db, b.id), {
      id: b.id,
      ...row(0x71, 2, { migration_type: 'migration' }),
    });
    assert.equal(await migrations.getMigration(db, 999999), undefined);
    assert.equal((await migrations.getMigrationByUuid(db, uuid(0x71, 2)))?.id, b.id);
    assert.equal(await migrations.getMigrationByUuid(db, uuid(0x71, 99)), undefined);
    await assertUniqueViolation(migrations.insertMigration(db, row(0x71, 1)));
  });

  test('serverMigrationIn: the newest of the server in one of the statuses', async () => {
    const db = s.database.db;
    const a = await migrations.insertMigration(db, row(0x72, 1, { status: 'finished' }));
    const b = await migrations.insertMigration(db, row(0x72, 2, { status: 'finished' }));
    await migrations.insertMigration(db, row(0x72, 3, { status: 'confirmed' }));
    assert.equal((await migrations.serverMigrationIn(db, uuid(0x72, 1000), ['finished']))?.id, b.id);
    assert.equal(await migrations.serverMigrationIn(db, uuid(0x72, 1000), ['error']), undefined);
    assert.equal(await migrations.serverMigrationIn(db, uuid(0x72, 1000), []), undefined);
    assert.equal(await migrations.serverMigrationIn(db, uuid(0x72, 9), ['finished']), undefined);
    assert.ok(a.id < b.id);
  });

  test('casMigrationStatus: only from the expected statuses; sets updated_at', async () => {
    const db = s.database.db;
    const a = await migrations.insertMigration(db, row(0x73, 1));
    assert.equal(await migrations.casMigrationStatus(db, a.id, ['migrating'], 'finished', T(50)), false);
    assert.equal(await migrations.casMigrationStatus(db, a.id, [], 'finished', T(50)), false);
    assert.equal(
      await migrations.casMigrationStatus(db, a.id, ['pre-migrating', 'migrating'], 'migrating', T(51)),
      true,
    );
    const got = await migrations.getMigration(db, a.id);
    assert.equal(got?.status, 'migrating');
    assert.equal(got?.updated_at, T(51));
  });

  test('failOpenMigrations: every in-progress migration of the server becomes error, final ones stay', async () => {
    const db = s.database.db;
    const a = await migrations.insertMigration(db, row(0x74, 1, { status: 'finished' }));
    const b = await migrations.insertMigration(db, row(0x74, 2, { status: 'confirmed' }));
    const c = await migrations.insertMigration(db, row(0x74, 3, { status: 'migrating' }));
    const other = await migrations.insertMigration(db, row(0x74, 4, { status: 'migrating', server_id: uuid(0x74, 7) }));
    assert.equal(await migrations.failOpenMigrations(db, uuid(0x74, 1000), T(90)), 2);
    assert.equal((await migrations.getMigration(db, a.id))?.status, 'error');
    assert.equal((await migrations.getMigration(db, b.id))?.status, 'confirmed');
    assert.equal((await migrations.getMigration(db, c.id))?.status, 'error');
    assert.equal((await migrations.getMigration(db, other.id))?.status, 'migrating');
  });

  test('listMigrations: newest first; filters; changes-since/before on updated_at else created_at; paging', async () => {
    const db = s.database.db;
    const P = 'mp-list';
    const m1 = await migrations.insertMigration(
      db,
      row(0x75, 1, { project_id: P, source_compute: 'ha', dest_compute: 'hb' }),
    );
    const m2 = await migrations.insertMigration(
      db,
      row(0x75, 2, {
        project_id: P,
        status: 'finished',
        migration_type: 'migration',
        source_compute: 'hb',
        dest_compute: 'hc',
        updated_at: T(40),
      }),
    );
    const m3 = await migrations.insertMigration(
      db,
      row(0x75, 3, {
        project_id: P,
        user_id: 'mu-2',
        server_id: uuid(0x75, 5),
        source_compute: 'hc',
        dest_compute: 'ha',
      }),
    );
    const ids = async (f: migrations.MigrationFilter) =>
      (await migrations.listMigrations(db, { projectId: P, ...f })).map((m) => m.id);
    assert.deepEqual(await ids({}), [m3.id, m2.id, m1.id]);
    assert.deepEqual(await ids({ status: 'finished' }), [m2.id]);
    assert.deepEqual(await ids({ migrationType: 'resize' }), [m3.id, m1.id]);
    assert.deepEqual(await ids({ host: 'ha' }), [m3.id, m1.id]);
    assert.deepEqual(await ids({ sourceCompute: 'hb' }), [m2.id]);
    assert.deepEqual(await ids({ serverId: uuid(0x75, 5) }), [m3.id]);
    assert.deepEqual(await ids({ userId: 'mu-2' }), [m3.id]);
    assert.deepEqual(await ids({ changesSince: T(3) }), [m3.id, m2.id]);
    assert.deepEqual(await ids({ changesBefore: T(2) }), [m1.id]);
    assert.deepEqual(await ids({ limit: 2 }), [m3.id, m2.id]);
    assert.deepEqual(await ids({ before: { createdAt: m2.created_at, id: m2.id } }), [m1.id]);
    assert.ok((await migrations.listMigrations(db)).length >= 3);
  });

  test('unconfirmedResizes: finished on that destination, last changed at or before the time', async () => {
    const db = s.database.db;
    const old = await migrations.insertMigration(
      db,
      row(0x76, 1, { status: 'finished', dest_compute: 'hu', updated_at: T(10) }),
    );
    await migrations.insertMigration(db, row(0x76, 2, { status: 'finished', dest_compute: 'hu', updated_at: T(100) }));
    await migrations.insertMigration(db, row(0x76, 3, { status: 'confirmed', dest_compute: 'hu', updated_at: T(5) }));
    await migrations.insertMigration(db, row(0x76, 4, { status: 'finished', dest_compute: 'hv', updated_at: T(5) }));
    assert.deepEqual(
      (await migrations.unconfirmedResizes(db, 'hu', T(50))).map((m) => m.id),
      [old.id],
    );
    assert.deepEqual(await migrations.unconfirmedResizes(db, 'hz', T(50)), []);
  });

  test('movingServerIds: live servers of the list with a move under way through the host', async () => {
    const db = s.database.db;
    const [a, b, c, d] = [1, 2, 3, 4].map((n) => uuid(0x77, n));
    await servers.insertServer(db, serverRow(a, { host: 'hm-2' }));
    await servers.insertServer(db, serverRow(b, { host: 'hm-2' }));
    await servers.insertServer(db, serverRow(c, { host: 'hm-2', deleted: 1 }));
    await servers.insertServer(db, serverRow(d, { host: 'hm-2' }));
    await migrations.insertMigration(
      db,
      row(0x77, 11, { server_id: a, status: 'finished', source_compute: 'hm-1', dest_compute: 'hm-2' }),
    );
    await migrations.insertMigration(
      db,
      row(0x77, 12, { server_id: b, status: 'confirmed', source_compute: 'hm-1', dest_compute: 'hm-2' }),
    );
    await migrations.insertMigration(
      db,
      row(0x77, 13, { server_id: c, status: 'finished', source_compute: 'hm-1', dest_compute: 'hm-2' }),
    );
    await migrations.insertMigration(
      db,
      row(0x77, 14, { server_id: d, status: 'migrating', source_compute: 'hm-3', dest_compute: 'hm-2' }),
    );
    assert.deepEqual([...(await migrations.movingServerIds(db, 'hm-1', [a, b, c, d]))].sort(), [a]);
    assert.deepEqual([...(await migrations.movingServerIds(db, 'hm-2', [a, b, c, d]))].sort(), [a, d].sort());
    assert.deepEqual([...(await migrations.movingServerIds(db, 'hm-1', []))], []);
  });

  test('evacuationsFromHost: evacuations from that source in accepted, pre-migrating or done', async () => {
    const db = s.database.db;
    const ev = (n: number, over: Partial<migrations.NewMigration>) =>
      migrations.insertMigration(db, row(0x78, n, { migration_type: 'evacuation', source_compute: 'he-1', ...over }));
    const a = await ev(1, { status: 'accepted' });
    const b = await ev(2, { status: 'pre-migrating' });
    const c = await ev(3, { status: 'done' });
    await ev(4, { status: 'completed' });
    await ev(5, { status: 'failed' });
    await ev(6, { status: 'done', source_compute: 'he-2' });
    await migrations.insertMigration(db, row(0x78, 7, { status: 'finished', source_compute: 'he-1' }));
    assert.deepEqual(
      (await migrations.evacuationsFromHost(db, 'he-1')).map((m) => m.id),
      [a.id, b.id, c.id],
    );
    assert.deepEqual(await migrations.evacuationsFromHost(db, 'he-9'), []);
  });
});
