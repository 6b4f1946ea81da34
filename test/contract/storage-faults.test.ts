// Storage contract: injected driver faults, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as faults from '../../src/db/repositories/faults.repository.js';
import { T, assertUniqueViolation, faultRow, storageSuite, uuid } from '../../src/testing/storage.js';

storageSuite('faults storage', (s) => {
  test('insertFault / listFaults / faultExists: per host or all, oldest first; duplicates are unique violations', async () => {
    const db = s.database.db;
    await faults.insertFault(db, faultRow(uuid(1, 2), { host: 'fh-a', created_at: T(2) }));
    await faults.insertFault(db, faultRow(uuid(1, 1), { host: 'fh-a', created_at: T(1), remaining: 2 }));
    await faults.insertFault(db, faultRow(uuid(1, 3), { host: 'fh-b', created_at: T(3) }));
    assert.deepEqual(
      (await faults.listFaults(db, 'fh-a')).map((f) => f.id),
      [uuid(1, 1), uuid(1, 2)],
    );
    assert.deepEqual(await faults.listFaults(db, 'fh-b'), [faultRow(uuid(1, 3), { host: 'fh-b', created_at: T(3) })]);
    const all = (await faults.listFaults(db)).map((f) => f.id);
    assert.ok([uuid(1, 1), uuid(1, 2), uuid(1, 3)].every((id) => all.includes(id)));
    assert.ok(all.indexOf(uuid(1, 1)) < all.indexOf(uuid(1, 2)) && all.indexOf(uuid(1, 2)) < all.indexOf(uuid(1, 3)));
    assert.equal(await faults.faultExists(db, uuid(1, 1)), true);
    assert.equal(await faults.faultExists(db, uuid(1, 9)), false);
    await assertUniqueViolation(faults.insertFault(db, faultRow(uuid(1, 1))));
  });

  test('deleteFaults: by id, by host, or both; returns the number removed', async () => {
    const db = s.database.db;
    for (const [n, host] of [
      [1, 'fd-a'],
      [2, 'fd-a'],
      [3, 'fd-a'],
      [4, 'fd-b'],
    ] as const)
      await faults.insertFault(db, faultRow(uuid(2, n), { host, created_at: T(n) }));
    assert.equal(await faults.deleteFaults(db, { id: uuid(2, 1), host: 'fd-b' }), 0, 'id and host must both match');
    assert.equal(await faults.deleteFaults(db, { id: uuid(2, 1) }), 1);
    assert.equal(await faults.deleteFaults(db, { id: uuid(2, 1) }), 0);
    assert.equal(await faults.deleteFaults(db, { host: 'fd-a' }), 2);
    assert.deepEqual(
      (await faults.listFaults(db, 'fd-b')).map((f) => f.id),
      [uuid(2, 4)],
    );
    assert.equal(await faults.deleteFaults(db, { id: uuid(2, 4), host: 'fd-b' }), 1);
  });

  test('takeFault: the oldest matching fault; counted ones are used up, uncounted ones stay', async () => {
    const db = s.database.db;
    const host = 'ft-a';
    const server = uuid(3, 100);
    await faults.insertFault(db, faultRow(uuid(3, 1), { host, operation: 'reboot', remaining: 2, created_at: T(1) }));
    await faults.insertFault(db, faultRow(uuid(3, 2), { host, operation: 'reboot', created_at: T(2) }));
    await faults.insertFault(
      db,
      faultRow(uuid(3, 3), { host, operation: 'stop', server_id: uuid(3, 200), created_at: T(0) }),
    );
    await faults.insertFault(
      db,
      faultRow(uuid(3, 4), { host, operation: 'stop', server_id: server, created_at: T(3) }),
    );

    assert.equal(await faults.takeFault(db, host, 'spawn', server), undefined, 'no fault for that operation');
    assert.equal(await faults.takeFault(db, 'ft-other', 'reboot', server), undefined, 'no fault on that host');
    const first = await faults.takeFault(db, host, 'reboot', server);
    assert.deepEqual({ id: first?.id, remaining: first?.remaining }, { id: uuid(3, 1), remaining: 2 });
    assert.equal((await faults.listFaults(db, host)).find((f) => f.id === uuid(3, 1))?.remaining, 1);
    assert.equal((await faults.takeFault(db, host, 'reboot', server))?.id, uuid(3, 1));
    assert.equal(await faults.faultExists(db, uuid(3, 1)), false, 'its last use removes a counted fault');
    for (let i = 0; i < 3; i++) assert.equal((await faults.takeFault(db, host, 'reboot', server))?.id, uuid(3, 2));
    assert.equal(await faults.faultExists(db, uuid(3, 2)), true, 'an uncounted fault stays');
    assert.equal(
      (await faults.takeFault(db, host, 'stop', server))?.id,
      uuid(3, 4),
      "another server's fault does not match",
    );
    assert.equal((await faults.takeFault(db, host, 'stop', uuid(3, 200)))?.id, uuid(3, 3));
  });
});
