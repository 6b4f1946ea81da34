// Storage contract: Neutron's per-project quota overrides, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as networkQuotas from '../../src/db/repositories/network-quotas.repository.js';
import { T, storageSuite } from '../../src/testing/storage.js';

storageSuite('network quotas storage', (s) => {
  test('setLimit / projectLimits / allLimits / deleteLimits: set, overwrite, list, reset', async () => {
    const db = s.database.db;
    await networkQuotas.setLimit(db, 'nq-a', 'network', 5, T(0));
    await networkQuotas.setLimit(db, 'nq-a', 'port', -1, T(0));
    await networkQuotas.setLimit(db, 'nq-a', 'network', 7, T(1));
    await networkQuotas.setLimit(db, 'nq-b', 'router', 2, T(0));
    assert.deepEqual(
      await networkQuotas.projectLimits(db, 'nq-a'),
      new Map([
        ['network', 7],
        ['port', -1],
      ]),
    );
    assert.deepEqual(await networkQuotas.projectLimits(db, 'nq-none'), new Map());
    assert.deepEqual(
      (await networkQuotas.allLimits(db)).filter((r) => r.project_id.startsWith('nq-')),
      [
        { project_id: 'nq-a', resource: 'network', hard_limit: 7 },
        { project_id: 'nq-a', resource: 'port', hard_limit: -1 },
        { project_id: 'nq-b', resource: 'router', hard_limit: 2 },
      ],
    );
    await networkQuotas.deleteLimits(db, 'nq-a');
    assert.deepEqual(await networkQuotas.projectLimits(db, 'nq-a'), new Map());
    assert.equal((await networkQuotas.projectLimits(db, 'nq-b')).get('router'), 2);
  });
});
