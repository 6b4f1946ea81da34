// Storage contract: routers and their ports, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as routers from '../../src/db/repositories/routers.repository.js';
import * as network from '../../src/db/repositories/network.repository.js';
import { T, assertUniqueViolation, portRow, storageSuite, uuid } from '../../src/testing/storage.js';

const router = (id: string, name: string, project_id: string, gw: string | null = null) => ({
  id,
  project_id,
  name,
  description: '',
  admin_state_up: 1,
  status: 'ACTIVE',
  gw_network_id: gw,
  enable_snat: 1,
  revision_number: 1,
  created_at: T(0),
  updated_at: T(0),
});
const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

storageSuite('routers storage', (s) => {
  test('insertRouter / getRouter / listRouters / updateRouter / deleteRouter', async () => {
    const db = s.database.db;
    await routers.insertRouter(db, router('rt-2', 'b', 'rp-a'));
    await routers.insertRouter(db, router('rt-1', 'a', 'rp-a'));
    await routers.insertRouter(db, router('rt-3', 'a', 'rp-b', 'ext'));
    await assertUniqueViolation(routers.insertRouter(db, router('rt-1', 'a', 'rp-a')));
    assert.deepEqual(await routers.getRouter(db, 'rt-3'), router('rt-3', 'a', 'rp-b', 'ext'));
    assert.equal(await routers.getRouter(db, 'rt-9'), undefined);
    assert.deepEqual(ids(await routers.listRouters(db, 'rp-a')), ['rt-1', 'rt-2']);
    const all = ids(await routers.listRouters(db));
    assert.deepEqual(
      all.filter((i) => i.startsWith('rt-')),
      ['rt-1', 'rt-3', 'rt-2'],
    );
    await routers.updateRouter(db, 'rt-1', { name: 'z', gw_network_id: 'ext', enable_snat: 0 });
    assert.deepEqual(await routers.getRouter(db, 'rt-1'), {
      ...router('rt-1', 'z', 'rp-a', 'ext'),
      enable_snat: 0,
    });
    assert.deepEqual(ids(await routers.routersWithGateway(db, 'ext')), ['rt-1', 'rt-3']);
    assert.deepEqual(await routers.routersWithGateway(db, 'none'), []);
    await routers.deleteRouter(db, 'rt-2');
    assert.equal(await routers.getRouter(db, 'rt-2'), undefined);
  });

  test('routerPorts: the interfaces and gateways of routers, by owner when given, oldest first', async () => {
    const db = s.database.db;
    await network.insertPort(
      db,
      portRow(uuid(8, 1), { device_id: 'rt-x', device_owner: 'network:router_gateway', created_at: T(2) }),
    );
    await network.insertPort(
      db,
      portRow(uuid(8, 2), { device_id: 'rt-x', device_owner: 'network:router_interface', created_at: T(1) }),
    );
    await network.insertPort(db, portRow(uuid(8, 3), { device_id: 'rt-x', device_owner: 'compute:nova' }));
    assert.deepEqual(ids(await routers.routerPorts(db, ['rt-x'])), [uuid(8, 2), uuid(8, 1)]);
    assert.deepEqual(ids(await routers.routerPorts(db, ['rt-x'], 'network:router_gateway')), [uuid(8, 1)]);
    assert.deepEqual(await routers.routerPorts(db, []), []);
  });
});
