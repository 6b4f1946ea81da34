// Storage contract: networks, subnets, ports and fixed-IP allocations, the same on every dialect.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as network from '../../src/db/repositories/network.repository.js';
import { T, assertUniqueViolation, portRow, storageSuite, uuid } from '../../src/testing/storage.js';

const net = (id: string, name: string, project_id: string, shared = 0, external = 0) => ({
  id,
  name,
  project_id,
  shared,
  external,
  status: 'ACTIVE',
  mtu: 1450,
  created_at: T(0),
  updated_at: T(0),
  admin_state_up: 1,
  description: '',
  port_security_enabled: 1,
  revision_number: 1,
});
const subnet = (id: string, network_id: string, name: string) => ({
  id,
  network_id,
  project_id: 'np-a',
  name,
  cidr: '10.0.0.0/24',
  gateway_ip: '10.0.0.1',
  ip_version: 4,
  created_at: T(0),
  updated_at: T(0),
  allocation_pools: '[]',
  enable_dhcp: 1,
  dns_nameservers: '[]',
  host_routes: '[]',
  description: '',
  revision_number: 0,
});
const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

storageSuite('network storage', (s) => {
  before(async () => {
    const db = s.database.db;
    await db
      .insertInto('networks')
      .values([
        net('nn-own', 'n-c-own', 'np-a'),
        net('nn-other', 'n-d-other', 'np-b'),
        net('nn-shared', 'n-b-shared', 'np-b', 1),
        net('nn-ext', 'n-a-ext', 'np-b', 0, 1),
      ])
      .execute();
    await db
      .insertInto('subnets')
      .values([
        subnet('ns-2', 'nn-own', 'sub-b'),
        subnet('ns-1', 'nn-own', 'sub-a'),
        subnet('ns-3', 'nn-other', 'sub-c'),
      ])
      .execute();
  });

  test('listNetworks: own, shared and external ones for a project, all without one; by name', async () => {
    const db = s.database.db;
    const mine = (rows: Array<{ id: string }>) => ids(rows).filter((id) => id.startsWith('nn-'));
    assert.deepEqual(mine(await network.listNetworks(db, 'np-a')), ['nn-ext', 'nn-shared', 'nn-own']);
    assert.deepEqual(mine(await network.listNetworks(db, 'np-b')), ['nn-ext', 'nn-shared', 'nn-other']);
    assert.deepEqual(mine(await network.listNetworks(db)), ['nn-ext', 'nn-shared', 'nn-own', 'nn-other']);
    assert.deepEqual(await network.getNetwork(db, 'nn-shared'), net('nn-shared', 'n-b-shared', 'np-b', 1));
    assert.equal(await network.getNetwork(db, 'nn-none'), undefined);
  });

  test('lockNetwork: the row inside a transaction (undefined when gone); a second locker waits for the commit', async () => {
    const db = s.database.db;
    const transact = s.database.dialect.transact.bind(s.database.dialect);
    const order: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const first = transact(async (tx) => {
      assert.equal((await network.lockNetwork(tx, 'nn-own'))?.id, 'nn-own');
      order.push('first locked');
      await held;
      order.push('first commits');
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = transact(async (tx) => {
      await network.lockNetwork(tx, 'nn-own');
      order.push('second locked');
    });
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first locked', 'first commits', 'second locked']);
    assert.equal(await network.lockNetwork(db, 'nn-none'), undefined);
  });

  test('listSubnets / getSubnet: of some networks (none: nothing) or all; by name', async () => {
    const db = s.database.db;
    assert.deepEqual(ids(await network.listSubnets(db, ['nn-own'])), ['ns-1', 'ns-2']);
    assert.deepEqual(ids(await network.listSubnets(db, ['nn-own', 'nn-other'])), ['ns-1', 'ns-2', 'ns-3']);
    assert.deepEqual(await network.listSubnets(db, []), []);
    const all = ids(await network.listSubnets(db));
    assert.ok(['ns-1', 'ns-2', 'ns-3'].every((id) => all.includes(id)));
    assert.deepEqual(await network.getSubnet(db, 'ns-3'), subnet('ns-3', 'nn-other', 'sub-c'));
    assert.equal(await network.getSubnet(db, 'ns-9'), undefined);
  });

  test('insertPort / getPort / listPorts: filters accept any of their values; oldest first, then id', async () => {
    const db = s.database.db;
    const p = (n: number, over: Parameters<typeof portRow>[1]) => portRow(uuid(1, n), { project_id: 'lp', ...over });
    await network.insertPort(db, p(3, { created_at: T(1), device_id: 'dev-1', name: 'x', mac_address: 'm3' }));
    await network.insertPort(db, p(2, { created_at: T(1), device_id: 'dev-2', device_owner: 'network:dhcp' }));
    await network.insertPort(db, p(1, { created_at: T(2), network_id: 'nn-other', mac_address: 'm1' }));
    await network.insertPort(db, portRow(uuid(1, 4), { project_id: 'lp-other', device_id: 'dev-1' }));
    await assertUniqueViolation(network.insertPort(db, p(1, {})));
    assert.deepEqual(
      await network.getPort(db, uuid(1, 1)),
      p(1, { created_at: T(2), network_id: 'nn-other', mac_address: 'm1' }),
    );
    assert.equal(await network.getPort(db, uuid(1, 9)), undefined);
    assert.deepEqual(ids(await network.listPorts(db, { projectId: 'lp' })), [uuid(1, 2), uuid(1, 3), uuid(1, 1)]);
    assert.deepEqual(ids(await network.listPorts(db, { projectId: 'lp', deviceId: ['dev-1', 'dev-2'] })), [
      uuid(1, 2),
      uuid(1, 3),
    ]);
    assert.deepEqual(ids(await network.listPorts(db, { deviceId: ['dev-1'] })), [uuid(1, 4), uuid(1, 3)]);
    assert.deepEqual(ids(await network.listPorts(db, { projectId: 'lp', deviceOwner: ['network:dhcp'] })), [
      uuid(1, 2),
    ]);
    assert.deepEqual(ids(await network.listPorts(db, { projectId: 'lp', networkId: ['nn-other'] })), [uuid(1, 1)]);
    assert.deepEqual(ids(await network.listPorts(db, { projectId: 'lp', id: [uuid(1, 1), uuid(1, 4)] })), [uuid(1, 1)]);
    assert.deepEqual(ids(await network.listPorts(db, { projectId: 'lp', name: ['x', 'y'] })), [uuid(1, 3)]);
    assert.deepEqual(ids(await network.listPorts(db, { projectId: 'lp', macAddress: ['m1', 'm3'] })), [
      uuid(1, 3),
      uuid(1, 1),
    ]);
    assert.deepEqual(
      ids(await network.listPorts(db, { projectId: 'lp', name: ['x'], deviceId: ['dev-2'] })),
      [],
      'filters combine with AND',
    );
  });

  test('portsOfServers: the ports of those devices (none: nothing), oldest first', async () => {
    const db = s.database.db;
    await network.insertPort(db, portRow(uuid(2, 1), { device_id: 'ps-1', created_at: T(3) }));
    await network.insertPort(db, portRow(uuid(2, 2), { device_id: 'ps-2', created_at: T(1) }));
    await network.insertPort(db, portRow(uuid(2, 3), { device_id: 'ps-3', created_at: T(2) }));
    assert.deepEqual(ids(await network.portsOfServers(db, ['ps-1', 'ps-2'])), [uuid(2, 2), uuid(2, 1)]);
    assert.deepEqual(await network.portsOfServers(db, []), []);
  });

  test('updatePort: the columns given, that port only', async () => {
    const db = s.database.db;
    await network.insertPort(db, portRow(uuid(3, 1)));
    await network.insertPort(db, portRow(uuid(3, 2)));
    await network.updatePort(db, uuid(3, 1), { name: 'renamed', admin_state_up: 0, updated_at: T(9) });
    const p = await network.getPort(db, uuid(3, 1));
    assert.deepEqual(
      { name: p?.name, up: p?.admin_state_up, at: p?.updated_at, status: p?.status },
      { name: 'renamed', up: 0, at: T(9), status: 'DOWN' },
    );
    assert.equal((await network.getPort(db, uuid(3, 2)))?.name, '');
  });

  test('claimAddress / usedAddresses: an address is held by one port per network, even against concurrent claims', async () => {
    const db = s.database.db;
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => network.claimAddress(db, 'ca-net', '10.9.0.5', `port-${i}`)),
    );
    assert.equal(claims.filter(Boolean).length, 1, 'exactly one concurrent claim wins');
    assert.equal(await network.claimAddress(db, 'ca-net', '10.9.0.5', 'late'), false);
    assert.equal(await network.claimAddress(db, 'ca-net-2', '10.9.0.5', 'elsewhere'), true, 'per network');
    assert.equal(await network.claimAddress(db, 'ca-net', '10.9.0.6', 'port-x'), true);
    assert.deepEqual((await network.usedAddresses(db, 'ca-net')).sort(), ['10.9.0.5', '10.9.0.6']);
    assert.deepEqual(await network.usedAddresses(db, 'ca-none'), []);
    // The key itself: a plain insert of a taken address is the dialect's unique violation.
    await assertUniqueViolation(
      db.insertInto('ip_allocations').values({ network_id: 'ca-net', ip_address: '10.9.0.6', port_id: 'y' }).execute(),
    );
  });

  test('deletePort: removes the port and frees its addresses', async () => {
    const db = s.database.db;
    await network.insertPort(db, portRow(uuid(4, 1), { network_id: 'dp-net' }));
    await network.claimAddress(db, 'dp-net', '10.1.0.2', uuid(4, 1));
    await network.claimAddress(db, 'dp-net', '10.1.0.3', 'someone-else');
    await network.deletePort(db, uuid(4, 1));
    assert.equal(await network.getPort(db, uuid(4, 1)), undefined);
    assert.deepEqual(await network.usedAddresses(db, 'dp-net'), ['10.1.0.3']);
    assert.equal(await network.claimAddress(db, 'dp-net', '10.1.0.2', 'next'), true, 'the freed address is free');
  });

  test('claimPort: binds a free port once, even against concurrent claims', async () => {
    const db = s.database.db;
    await network.insertPort(db, portRow(uuid(5, 1)));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => network.claimPort(db, uuid(5, 1), `srv-${i}`, T(5))),
    );
    assert.equal(results.filter(Boolean).length, 1);
    const p = await network.getPort(db, uuid(5, 1));
    assert.equal(p?.device_id, `srv-${results.indexOf(true)}`);
    assert.deepEqual({ owner: p?.device_owner, at: p?.updated_at }, { owner: 'compute:nova', at: T(5) });
    assert.equal(await network.claimPort(db, uuid(5, 1), 'srv-late', T(6)), false);
    assert.equal(await network.claimPort(db, uuid(5, 9), 'srv-late', T(6)), false, 'no such port');
  });

  test('setServerPortsHost: binds every port of a server (ACTIVE); an empty host unbinds and keeps the status', async () => {
    const db = s.database.db;
    await network.insertPort(db, portRow(uuid(6, 1), { device_id: 'sh-srv' }));
    await network.insertPort(db, portRow(uuid(6, 2), { device_id: 'sh-srv' }));
    await network.insertPort(db, portRow(uuid(6, 3), { device_id: 'sh-other' }));
    await network.setServerPortsHost(db, 'sh-srv', 'node-1', T(7));
    const bound = await network.portsOfServers(db, ['sh-srv', 'sh-other']);
    assert.deepEqual(
      bound.map((p) => [p.id, p.binding_host_id, p.status, p.updated_at]),
      [
        [uuid(6, 1), 'node-1', 'ACTIVE', T(7)],
        [uuid(6, 2), 'node-1', 'ACTIVE', T(7)],
        [uuid(6, 3), '', 'DOWN', T(0)],
      ],
    );
    await network.setServerPortsHost(db, 'sh-srv', '', T(8));
    assert.deepEqual(
      (await network.portsOfServers(db, ['sh-srv'])).map((p) => [p.binding_host_id, p.status, p.updated_at]),
      [
        ['', 'ACTIVE', T(8)],
        ['', 'ACTIVE', T(8)],
      ],
    );
  });

  test('releasePortsOfServer: deletes created ports and their addresses, unbinds passed-in ones, counts both', async () => {
    const db = s.database.db;
    const srv = 'rp-srv';
    await network.insertPort(db, portRow(uuid(7, 1), { network_id: 'rp-net', device_id: srv, created_for_server: 1 }));
    await network.insertPort(db, portRow(uuid(7, 2), { network_id: 'rp-net', device_id: srv, created_for_server: 1 }));
    await network.insertPort(
      db,
      portRow(uuid(7, 3), {
        network_id: 'rp-net',
        device_id: srv,
        device_owner: 'compute:nova',
        binding_host_id: 'node-1',
        status: 'ACTIVE',
        created_for_server: 0,
      }),
    );
    await network.insertPort(
      db,
      portRow(uuid(7, 4), { network_id: 'rp-net', device_id: 'rp-keep', created_for_server: 1 }),
    );
    for (const [ip, port] of [
      ['10.2.0.1', 1],
      ['10.2.0.2', 2],
      ['10.2.0.3', 3],
      ['10.2.0.4', 4],
    ] as const)
      assert.equal(await network.claimAddress(db, 'rp-net', ip, uuid(7, port)), true);
    assert.deepEqual(await network.releasePortsOfServer(db, srv, T(9)), { deleted: 2, unbound: 1 });
    assert.equal(await network.getPort(db, uuid(7, 1)), undefined);
    assert.equal(await network.getPort(db, uuid(7, 2)), undefined);
    const kept = await network.getPort(db, uuid(7, 3));
    assert.deepEqual(
      [kept?.device_id, kept?.device_owner, kept?.binding_host_id, kept?.status, kept?.updated_at],
      ['', '', '', 'DOWN', T(9)],
    );
    assert.deepEqual(
      (await network.usedAddresses(db, 'rp-net')).sort(),
      ['10.2.0.3', '10.2.0.4'],
      'a passed-in port keeps its address; another server keeps its port',
    );
    assert.deepEqual(await network.releasePortsOfServer(db, srv, T(10)), { deleted: 0, unbound: 0 });
  });

  test('insertNetwork / updateNetwork / deleteNetwork: the row, its changes, gone with its subnets', async () => {
    const db = s.database.db;
    await network.insertNetwork(db, net('nw-1', 'w-1', 'np-w'));
    await assertUniqueViolation(network.insertNetwork(db, net('nw-1', 'w-1', 'np-w')));
    await network.updateNetwork(db, 'nw-1', { name: 'w-1b', mtu: 1400, revision_number: 2 });
    assert.deepEqual(await network.getNetwork(db, 'nw-1'), {
      ...net('nw-1', 'w-1b', 'np-w'),
      mtu: 1400,
      revision_number: 2,
    });
    await network.insertSubnet(db, {
      ...subnet('nws-1', 'nw-1', 'ws'),
      allocation_pools: '[{"start":"10.0.0.2","end":"10.0.0.9"}]',
    });
    await network.deleteNetwork(db, 'nw-1');
    assert.equal(await network.getNetwork(db, 'nw-1'), undefined);
    assert.equal(await network.getSubnet(db, 'nws-1'), undefined);
  });

  test('insertSubnet / updateSubnet / deleteSubnet: pools and attributes kept as given', async () => {
    const db = s.database.db;
    const row = { ...subnet('nws-2', 'nn-own', 'w2'), dns_nameservers: '["8.8.8.8"]' };
    await network.insertSubnet(db, row);
    await assertUniqueViolation(network.insertSubnet(db, row));
    assert.deepEqual(await network.getSubnet(db, 'nws-2'), row);
    await network.updateSubnet(db, 'nws-2', { gateway_ip: null, allocation_pools: '[]' });
    assert.deepEqual(await network.getSubnet(db, 'nws-2'), { ...row, gateway_ip: null, allocation_pools: '[]' });
    await network.deleteSubnet(db, 'nws-2');
    assert.equal(await network.getSubnet(db, 'nws-2'), undefined);
    assert.deepEqual(ids(await network.listSubnets(db, ['nn-own'])), ['ns-1', 'ns-2']);
  });

  test('portsOnNetwork / countOwned: the ports of one network, oldest first; what a project owns', async () => {
    const db = s.database.db;
    await network.insertNetwork(db, net('nw-3', 'w-3', 'np-c'));
    await network.insertPort(db, portRow(uuid(17, 2), { network_id: 'nw-3', project_id: 'np-c', created_at: T(2) }));
    await network.insertPort(db, portRow(uuid(17, 1), { network_id: 'nw-3', project_id: 'np-c', created_at: T(1) }));
    await network.insertPort(db, portRow(uuid(17, 3), { network_id: 'nn-own', project_id: 'np-c', created_at: T(0) }));
    assert.deepEqual(ids(await network.portsOnNetwork(db, 'nw-3')), [uuid(17, 1), uuid(17, 2)]);
    assert.deepEqual(await network.portsOnNetwork(db, 'nw-none'), []);
    assert.equal(await network.countOwned(db, 'ports', 'np-c'), 3);
    assert.equal(await network.countOwned(db, 'networks', 'np-c'), 1);
    assert.equal(await network.countOwned(db, 'subnets', 'np-c'), 0);
    assert.equal(await network.countOwned(db, 'routers', 'np-c'), 0);
  });
});
