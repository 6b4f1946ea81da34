// Storage contract: compute services (registration, heartbeats, fencing), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as services from '../../src/db/repositories/services.repository.js';
import { T, assertUniqueViolation, serviceRow, storageSuite, uuid } from '../../src/testing/storage.js';

storageSuite('services storage', (s) => {
  test('upsertService: registers a node; a later incarnation takes the host over (owner, capacity, times)', async () => {
    const db = s.database.db;
    await services.upsertService(db, serviceRow(uuid(1, 1), { host: 'us-h1', owner: 'first', created_at: T(1) }));
    assert.deepEqual(
      await services.getServiceById(db, uuid(1, 1)),
      serviceRow(uuid(1, 1), { host: 'us-h1', owner: 'first', created_at: T(1) }),
    );
    await services.upsertService(
      db,
      serviceRow(uuid(1, 2), {
        host: 'us-h1',
        owner: 'second',
        vcpus: 16,
        memory_mb: 1,
        disk_gb: 2,
        last_seen_at: T(5),
        updated_at: T(5),
        created_at: T(5),
        disabled: 1,
      }),
    );
    const rows = await services.listServices(db, { host: 'us-h1' });
    assert.equal(rows.length, 1, 'one row per (host, binary)');
    assert.deepEqual(
      rows[0],
      serviceRow(uuid(1, 1), {
        host: 'us-h1',
        owner: 'second',
        vcpus: 16,
        memory_mb: 1,
        disk_gb: 2,
        last_seen_at: T(5),
        updated_at: T(5),
        created_at: T(1),
      }),
      'the row keeps its id, creation time and operator settings',
    );
  });

  test('upsertService: concurrent registrations of one host leave one row and raise nothing', async () => {
    const db = s.database.db;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        services.upsertService(db, serviceRow(uuid(2, i), { host: 'us-race', owner: `o${i}` })),
      ),
    );
    assert.equal((await services.listServices(db, { host: 'us-race' })).length, 1);
  });

  test('upsertService in a transaction: a lost race leaves the transaction usable', async () => {
    // The insert that loses to a concurrent registration is swallowed as a unique violation;
    // the rest of the caller's transaction must still run and commit on every dialect.
    const db = s.database.db;
    await services.upsertService(db, serviceRow(uuid(3, 1), { host: 'us-tx', owner: 'a' }));
    await s.database.dialect.transact(async (tx) => {
      // The select misses an existing row only in a race; a new (host, binary) whose id is
      // taken takes the same path deterministically: the insert's unique violation is swallowed.
      await services.upsertService(tx, serviceRow(uuid(3, 1), { host: 'us-tx', binary: 'nova-other' }));
      await services.updateService(tx, uuid(3, 1), { disabled: 1 });
    });
    assert.equal((await services.getServiceById(db, uuid(3, 1)))?.disabled, 1);
    assert.deepEqual(await services.listServices(db, { host: 'us-tx', binary: 'nova-other' }), []);
  });

  test('the (host, binary) key: a second row is the dialect unique violation', async () => {
    const db = s.database.db;
    await services.upsertService(db, serviceRow(uuid(4, 1), { host: 'us-key' }));
    await assertUniqueViolation(
      db
        .insertInto('services')
        .values(serviceRow(uuid(4, 2), { host: 'us-key' }))
        .execute(),
    );
  });

  test('heartbeat: only the owner of the host records one (the others are fenced)', async () => {
    const db = s.database.db;
    await services.upsertService(db, serviceRow(uuid(5, 1), { host: 'hb-h', owner: 'me' }));
    assert.equal(await services.heartbeat(db, 'hb-h', 'nova-compute', 'me', T(30)), true);
    assert.equal(await services.heartbeat(db, 'hb-h', 'nova-compute', 'impostor', T(40)), false);
    assert.equal(await services.heartbeat(db, 'hb-h', 'nova-scheduler', 'me', T(40)), false);
    assert.equal(await services.heartbeat(db, 'hb-none', 'nova-compute', 'me', T(40)), false);
    assert.equal((await services.getComputeService(db, 'hb-h'))?.last_seen_at, T(30));
    // With the host's uptime line, both are recorded; without, the last line stays.
    assert.equal(await services.heartbeat(db, 'hb-h', 'nova-compute', 'me', T(50), ' up 1 min'), true);
    assert.equal(await services.heartbeat(db, 'hb-h', 'nova-compute', 'me', T(60)), true);
    const row = await services.getComputeService(db, 'hb-h');
    assert.deepEqual([row?.last_seen_at, row?.uptime], [T(60), ' up 1 min']);
  });

  test('getComputeService / listServices / getServiceById: by host and binary, oldest first', async () => {
    const db = s.database.db;
    await services.upsertService(db, serviceRow(uuid(6, 1), { host: 'ls-a', created_at: T(3) }));
    await services.upsertService(
      db,
      serviceRow(uuid(6, 2), { host: 'ls-a', binary: 'nova-conductor', created_at: T(1) }),
    );
    await services.upsertService(db, serviceRow(uuid(6, 3), { host: 'ls-b', created_at: T(2) }));
    assert.equal((await services.getComputeService(db, 'ls-a'))?.id, uuid(6, 1));
    assert.equal(await services.getComputeService(db, 'ls-none'), undefined);
    assert.deepEqual(
      (await services.listServices(db, { host: 'ls-a' })).map((r) => r.id),
      [uuid(6, 2), uuid(6, 1)],
    );
    assert.deepEqual(
      (await services.listServices(db, { host: 'ls-a', binary: 'nova-compute' })).map((r) => r.id),
      [uuid(6, 1)],
    );
    const computes = (await services.listServices(db, { binary: 'nova-compute' })).map((r) => r.id);
    assert.ok(computes.indexOf(uuid(6, 3)) < computes.indexOf(uuid(6, 1)), 'oldest first');
    assert.ok(!computes.includes(uuid(6, 2)));
    const all = (await services.listServices(db, {})).map((r) => r.id);
    assert.ok([1, 2, 3].every((n) => all.includes(uuid(6, n))));
    assert.equal(await services.getServiceById(db, uuid(6, 9)), undefined);
  });

  test('updateService: disabled, reason and forced_down of that service only', async () => {
    const db = s.database.db;
    await services.upsertService(db, serviceRow(uuid(7, 1), { host: 'up-a' }));
    await services.upsertService(db, serviceRow(uuid(7, 2), { host: 'up-b' }));
    await services.updateService(db, uuid(7, 1), {
      disabled: 1,
      disabled_reason: 'maintenance',
      forced_down: 1,
      updated_at: T(9),
    });
    const a = await services.getServiceById(db, uuid(7, 1));
    assert.deepEqual([a?.disabled, a?.disabled_reason, a?.forced_down, a?.updated_at], [1, 'maintenance', 1, T(9)]);
    const b = await services.getServiceById(db, uuid(7, 2));
    assert.deepEqual([b?.disabled, b?.disabled_reason, b?.forced_down], [0, null, 0]);
  });
});
