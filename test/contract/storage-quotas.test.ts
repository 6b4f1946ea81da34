// Storage contract: quota limits, quota classes, the per-project quota lock and the usage
// counts, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as quotas from '../../src/db/repositories/quotas.repository.js';
import { T, portRow, serverRow, storageSuite, uuid } from '../../src/testing/storage.js';

const flavor = (vcpus: number, ram: number) => JSON.stringify({ id: 'f', vcpus, ram });

storageSuite('quota storage', (s) => {
  test('setProjectLimit inserts then updates; projectLimits reads one project; deleteProjectLimits clears it', async () => {
    const db = s.database.db;
    await quotas.setProjectLimit(db, 'qp-a', 'instances', 10, T(0));
    await quotas.setProjectLimit(db, 'qp-a', 'instances', 12, T(1));
    await quotas.setProjectLimit(db, 'qp-a', 'cores', -1, T(1));
    await quotas.setProjectLimit(db, 'qp-b', 'ram', 512, T(1));
    assert.deepEqual(
      await quotas.projectLimits(db, 'qp-a'),
      new Map([
        ['cores', -1],
        ['instances', 12],
      ]),
    );
    await quotas.deleteProjectLimits(db, 'qp-a');
    assert.deepEqual(await quotas.projectLimits(db, 'qp-a'), new Map());
    assert.deepEqual(await quotas.projectLimits(db, 'qp-b'), new Map([['ram', 512]]));
  });

  test('setUserLimit inserts then updates; userLimits reads one user; userLimitSums adds the users up; deleteUserLimits clears one user', async () => {
    const db = s.database.db;
    await quotas.setProjectLimit(db, 'qu-p', 'instances', 10, T(0));
    await quotas.setUserLimit(db, 'qu-p', 'u1', 'instances', 3, T(0));
    await quotas.setUserLimit(db, 'qu-p', 'u1', 'instances', 4, T(1));
    await quotas.setUserLimit(db, 'qu-p', 'u1', 'ram', 1024, T(1));
    await quotas.setUserLimit(db, 'qu-p', 'u2', 'instances', 2, T(1));
    await quotas.setUserLimit(db, 'qu-q', 'u1', 'instances', 7, T(1));
    assert.deepEqual(
      await quotas.userLimits(db, 'qu-p', 'u1'),
      new Map([
        ['instances', 4],
        ['ram', 1024],
      ]),
    );
    assert.deepEqual(await quotas.userLimits(db, 'qu-p', ''), new Map());
    assert.deepEqual(await quotas.projectLimits(db, 'qu-p'), new Map([['instances', 10]]));
    assert.deepEqual(
      await quotas.userLimitSums(db, 'qu-p'),
      new Map([
        ['instances', 6],
        ['ram', 1024],
      ]),
    );
    await quotas.deleteUserLimits(db, 'qu-p', 'u1');
    assert.deepEqual(await quotas.userLimits(db, 'qu-p', 'u1'), new Map());
    assert.deepEqual(await quotas.userLimits(db, 'qu-p', 'u2'), new Map([['instances', 2]]));
    assert.deepEqual(await quotas.userLimits(db, 'qu-q', 'u1'), new Map([['instances', 7]]));
    assert.deepEqual(await quotas.projectLimits(db, 'qu-p'), new Map([['instances', 10]]));
    await quotas.deleteProjectLimits(db, 'qu-p');
    assert.deepEqual(await quotas.userLimits(db, 'qu-p', 'u2'), new Map());
  });

  test('setClassLimit inserts then updates; classLimits reads one class', async () => {
    const db = s.database.db;
    await quotas.setClassLimit(db, 'default', 'instances', 5, T(0));
    await quotas.setClassLimit(db, 'default', 'instances', 6, T(1));
    await quotas.setClassLimit(db, 'gold', 'instances', 50, T(1));
    assert.deepEqual(await quotas.classLimits(db, 'default'), new Map([['instances', 6]]));
    assert.deepEqual(await quotas.classLimits(db, 'none'), new Map());
  });

  test('serverUsage: live servers of the project, vCPUs and RAM from their flavors; soft-deleted ones only while restoring', async () => {
    const db = s.database.db;
    const row = (n: number, over: Parameters<typeof serverRow>[1]) =>
      s.database.db
        .insertInto('servers')
        .values(serverRow(uuid(0x51, n), { project_id: 'qu', ...over }))
        .execute();
    assert.deepEqual(await quotas.serverUsage(db, 'qu'), { instances: 0, cores: 0, ram: 0 });
    await row(1, { flavor: flavor(2, 4096) });
    await row(2, { flavor: flavor(1, 512), task_state: 'deleting' });
    await row(3, { flavor: flavor(8, 16384), deleted: 1, deleted_at: T(1) });
    await row(4, { flavor: flavor(4, 8192), vm_state: 'soft-delete' });
    await row(5, { flavor: flavor(1, 1024), vm_state: 'soft-delete', task_state: 'restoring' });
    await row(6, { flavor: flavor(16, 1), project_id: 'qu-other' });
    assert.deepEqual(await quotas.serverUsage(db, 'qu'), { instances: 3, cores: 4, ram: 5632 });
    await row(7, { flavor: flavor(2, 256), user_id: 'qu-user' });
    await row(8, { flavor: flavor(4, 256), user_id: 'qu-user', vm_state: 'soft-delete' });
    assert.deepEqual(await quotas.serverUsage(db, 'qu', 'qu-user'), { instances: 1, cores: 2, ram: 256 });
  });

  test('networkUsage counts the networks, subnets and ports a project owns', async () => {
    const db = s.database.db;
    await db
      .insertInto('networks')
      .values({
        id: 'qn-1',
        name: 'qn',
        project_id: 'qnp',
        shared: 0,
        external: 0,
        status: 'ACTIVE',
        mtu: 1450,
        created_at: T(0),
        updated_at: T(0),
      })
      .execute();
    await db
      .insertInto('ports')
      .values(portRow(uuid(0x52, 1), { network_id: 'qn-1', project_id: 'qnp' }))
      .execute();
    await db
      .insertInto('ports')
      .values(portRow(uuid(0x52, 2), { network_id: 'qn-1', project_id: 'qnp' }))
      .execute();
    assert.deepEqual(await quotas.networkUsage(db, 'qnp'), { network: 1, subnet: 0, port: 2 });
  });

  test('lockProject serialises check-then-insert transactions of one project: no count is stale', async () => {
    const limit = 3;
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        s.database.dialect
          .transact(async (tx) => {
            await quotas.lockProject(tx, 'ql');
            const used = (await quotas.serverUsage(tx, 'ql')).instances;
            // A yield between the count and the insert: without the lock, others would count the same.
            await sleep(2);
            if (used >= limit) throw new Error('over');
            await tx
              .insertInto('servers')
              .values(serverRow(uuid(0x53, i), { project_id: 'ql', flavor: flavor(1, 1) }))
              .execute();
          })
          .then(
            () => 'ok',
            () => 'over',
          ),
      ),
    );
    assert.equal(outcomes.filter((o) => o === 'ok').length, limit);
    assert.equal((await quotas.serverUsage(s.database.db, 'ql')).instances, limit);
  });
});
