// Storage contract: floating IPs (Neutron's floatingips), the same on every dialect: the
// association is compare-and-set, the unique index gives a fixed IP one floating IP per network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as floatingIps from '../../src/db/repositories/floating-ips.repository.js';
import * as network from '../../src/db/repositories/network.repository.js';
import type { FloatingIpsTable } from '../../src/db/schema.js';
import { T, portRow, storageSuite } from '../../src/testing/storage.js';

const fipRow = (id: string, over: Partial<FloatingIpsTable> = {}): FloatingIpsTable => ({
  id,
  project_id: 'p1',
  floating_network_id: 'ext',
  floating_ip_address: `172.24.4.${id.length + 10}`,
  floating_port_id: `port-${id}`,
  subnet_id: 'sub',
  port_id: null,
  fixed_ip_address: null,
  router_id: null,
  status: 'DOWN',
  description: '',
  revision_number: 0,
  created_at: T(0),
  updated_at: T(0),
  ...over,
});
const assoc = (portId: string | null, fixed: string | null) => ({
  port_id: portId,
  fixed_ip_address: fixed,
  router_id: null,
  status: portId ? 'ACTIVE' : 'DOWN',
  updated_at: T(1),
});

storageSuite('floating IPs storage', (s) => {
  test('insertFloatingIp, getFloatingIp, listFloatingIps with filters, countFloatingIps', async () => {
    const db = s.database.db;
    await floatingIps.insertFloatingIp(db, fipRow('f-a'));
    await floatingIps.insertFloatingIp(db, fipRow('f-bb', { project_id: 'p2', created_at: T(1) }));
    assert.equal((await floatingIps.getFloatingIp(db, 'f-a'))?.floating_ip_address, '172.24.4.13');
    assert.equal(await floatingIps.getFloatingIp(db, 'none'), undefined);
    const ids = async (f: floatingIps.FloatingIpFilter) => (await floatingIps.listFloatingIps(db, f)).map((r) => r.id);
    assert.deepEqual(await ids({ ids: ['f-a', 'f-bb'] }), ['f-a', 'f-bb']);
    assert.deepEqual(await ids({ ids: ['f-a', 'f-bb'], projectId: 'p2' }), ['f-bb']);
    assert.deepEqual(await ids({ addresses: ['172.24.4.13'] }), ['f-a']);
    assert.deepEqual(await ids({ ids: ['f-a'], statuses: ['ACTIVE'] }), []);
    assert.deepEqual(await ids({ ids: ['f-a'], portIds: [] }), []);
    assert.equal(await floatingIps.countFloatingIps(db, 'p2'), 1);
  });

  test('setAssociation: compare-and-set on the port read; a fixed IP takes one floating IP per network', async () => {
    const db = s.database.db;
    await floatingIps.insertFloatingIp(db, fipRow('f-c'));
    await floatingIps.insertFloatingIp(db, fipRow('f-ddd'));
    assert.equal(await floatingIps.setAssociation(db, 'f-c', null, assoc('p-1', '10.0.0.5')), 'ok');
    assert.equal(await floatingIps.setAssociation(db, 'f-c', null, assoc('p-2', '10.0.0.6')), 'stale');
    assert.equal(await floatingIps.setAssociation(db, 'f-ddd', null, assoc('p-1', '10.0.0.5')), 'taken');
    const c = await floatingIps.getFloatingIp(db, 'f-c');
    assert.deepEqual(
      [c?.port_id, c?.fixed_ip_address, c?.status, c?.revision_number],
      ['p-1', '10.0.0.5', 'ACTIVE', 1],
    );
    assert.equal(await floatingIps.setAssociation(db, 'f-c', 'p-1', assoc(null, null)), 'ok');
    assert.equal(await floatingIps.setAssociation(db, 'f-ddd', null, assoc('p-1', '10.0.0.5')), 'ok');
    await floatingIps.setDescription(db, 'f-ddd', 'web', T(2));
    const d = await floatingIps.getFloatingIp(db, 'f-ddd');
    assert.deepEqual([d?.description, d?.updated_at, d?.revision_number], ['web', T(2), 2]);
  });

  test('disassociatePorts and disassociateCreatedPortsOfServer free the floating IPs; deleteFloatingIp', async () => {
    const db = s.database.db;
    await network.insertPort(db, portRow('srv-made', { device_id: 'srv-x', created_for_server: 1 }));
    await network.insertPort(db, portRow('srv-user', { device_id: 'srv-x', created_for_server: 0 }));
    await floatingIps.insertFloatingIp(db, fipRow('f-e', assoc('srv-made', '10.0.0.7')));
    await floatingIps.insertFloatingIp(db, fipRow('f-ffff', assoc('srv-user', '10.0.0.8')));
    await floatingIps.insertFloatingIp(db, fipRow('f-ggggg', assoc('other', '10.0.0.9')));
    assert.equal(await floatingIps.disassociateCreatedPortsOfServer(db, 'srv-x', T(3)), 1);
    const e = await floatingIps.getFloatingIp(db, 'f-e');
    assert.deepEqual([e?.port_id, e?.fixed_ip_address, e?.status, e?.updated_at], [null, null, 'DOWN', T(3)]);
    assert.equal((await floatingIps.getFloatingIp(db, 'f-ffff'))?.port_id, 'srv-user');
    assert.equal(await floatingIps.disassociatePorts(db, [], T(4)), 0);
    assert.equal(await floatingIps.disassociatePorts(db, ['srv-user', 'other'], T(4)), 2);
    assert.equal((await floatingIps.getFloatingIp(db, 'f-ggggg'))?.status, 'DOWN');
    await floatingIps.deleteFloatingIp(db, 'f-e');
    assert.equal(await floatingIps.getFloatingIp(db, 'f-e'), undefined);
  });
});
