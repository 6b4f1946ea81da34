// Neutron routers: create with and without a gateway, show/list/update/delete, interfaces by
// subnet and by port, the seeded router1, externalGatewayReachable; on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { externalGatewayReachable } from '../../src/services/network/routers.js';

const neutron = (type: string, message: string) => ({ NeutronError: { type, message, detail: '' } });
const NET = '/networking/v2.0';
const MISSING = '6f9b1b8c-0000-4000-8000-000000000000';

for (const target of databaseTargets()) {
  describe(`routers (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let seq = 0;
    let publicNet: string;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const router = async (as: Persona, body: Record<string, unknown> = {}) =>
      req('POST', `${NET}/routers`, { as, body: { router: { name: `r-${++seq}`, ...body } } });
    const subnetOn = async (cidr: string, extra: Record<string, unknown> = {}) => {
      const n = await req('POST', `${NET}/networks`, { as: 'member', body: { network: { name: `rn-${++seq}` } } });
      const s = await req('POST', `${NET}/subnets`, {
        as: 'member',
        body: { subnet: { network_id: n.body.network.id, cidr, ip_version: 4, ...extra } },
      });
      assert.equal(s.status, 201, s.text);
      return s.body.subnet;
    };
    const iface = (id: string, action: 'add' | 'remove', body: unknown, as: Persona = 'member') =>
      req('PUT', `${NET}/routers/${id}/${action}_router_interface`, { as, body });

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
      publicNet = (await req('GET', `${NET}/networks?name=public`, { as: 'admin' })).body.networks[0].id;
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    test('the demo cloud has router1: gateway on public, an interface on private-subnet', async () => {
      const list = await req('GET', `${NET}/routers?name=router1`, { as: 'admin' });
      assert.equal(list.status, 200);
      const r = list.body.routers[0];
      assert.equal(r.external_gateway_info.network_id, publicNet);
      assert.equal(r.external_gateway_info.enable_snat, true);
      assert.equal(r.external_gateway_info.external_fixed_ips[0].ip_address, '172.24.4.2');
      const ports = (await req('GET', `${NET}/ports?device_id=${r.id}`, { as: 'admin' })).body.ports;
      const owners = ports.map((p: { device_owner: string }) => p.device_owner).sort();
      assert.deepEqual(owners, ['network:router_gateway', 'network:router_interface']);
      const i = ports.find((p: { device_owner: string }) => p.device_owner === 'network:router_interface');
      assert.equal(i.fixed_ips[0].ip_address, '10.0.0.1');
      // A router's port goes through the router API only.
      const del = await req('DELETE', `${NET}/ports/${i.id}`, { as: 'admin' });
      assert.equal(del.status, 409);
      assert.deepEqual(
        del.body,
        neutron(
          'ServicePortInUse',
          `Port ${i.id} cannot be deleted directly via the port API: has device owner network:router_interface.`,
        ),
      );
      // The member project does not see the admin project's router.
      assert.deepEqual((await req('GET', `${NET}/routers?name=router1`, { as: 'member' })).body.routers, []);
    });

    test('create with a gateway, interfaces by subnet and by port, remove, delete', async () => {
      const res = await router('member', { external_gateway_info: { network_id: publicNet } });
      assert.equal(res.status, 201, res.text);
      const r = res.body.router;
      assert.equal(r.project_id, cloud.projects.member);
      assert.equal(r.status, 'ACTIVE');
      assert.equal(r.external_gateway_info.network_id, publicNet);
      assert.equal(r.external_gateway_info.external_fixed_ips.length, 1);
      const s = await subnetOn('10.20.0.0/24');
      const add = await iface(r.id, 'add', { subnet_id: s.id });
      assert.equal(add.status, 200, add.text);
      assert.equal(add.body.subnet_id, s.id);
      assert.equal(add.body.id, r.id);
      assert.deepEqual(add.body.subnet_ids, [s.id]);
      const port = (await req('GET', `${NET}/ports/${add.body.port_id}`, { as: 'member' })).body.port;
      assert.equal(port.device_owner, 'network:router_interface');
      assert.deepEqual(port.fixed_ips, [{ subnet_id: s.id, ip_address: '10.20.0.1' }]);
      const again = await iface(r.id, 'add', { subnet_id: s.id });
      assert.equal(again.status, 400);
      assert.deepEqual(
        again.body,
        neutron('BadRequest', `Bad router request: Router already has a port on subnet ${s.id}.`),
      );
      const inUse = await req('DELETE', `${NET}/routers/${r.id}`, { as: 'member' });
      assert.equal(inUse.status, 409);
      assert.deepEqual(inUse.body, neutron('RouterInUse', `Router ${r.id} still has ports`));
      const busySubnet = await req('DELETE', `${NET}/subnets/${s.id}`, { as: 'member' });
      assert.equal(busySubnet.status, 409);
      // By port: a free port of the member's.
      const s2 = await subnetOn('10.21.0.0/24');
      const p = (await req('POST', `${NET}/ports`, { as: 'member', body: { port: { network_id: s2.network_id } } }))
        .body.port;
      const byPort = await iface(r.id, 'add', { port_id: p.id });
      assert.equal(byPort.status, 200, byPort.text);
      assert.equal(byPort.body.port_id, p.id);
      assert.equal(byPort.body.subnet_id, s2.id);
      const missingIface = await iface(r.id, 'remove', { port_id: MISSING });
      assert.equal(missingIface.status, 404);
      assert.deepEqual(
        missingIface.body,
        neutron('RouterInterfaceNotFound', `Router ${r.id} does not have an interface with id ${MISSING}`),
      );
      const s3 = await subnetOn('10.22.0.0/24');
      const notOn = await iface(r.id, 'remove', { subnet_id: s3.id });
      assert.equal(notOn.status, 404);
      assert.deepEqual(
        notOn.body,
        neutron('RouterInterfaceNotFoundForSubnet', `Router ${r.id} has no interface on subnet ${s3.id}`),
      );
      const rm1 = await iface(r.id, 'remove', { subnet_id: s.id });
      assert.equal(rm1.status, 200, rm1.text);
      assert.equal(rm1.body.port_id, add.body.port_id);
      const rm2 = await iface(r.id, 'remove', { port_id: p.id });
      assert.equal(rm2.status, 200);
      assert.equal((await req('GET', `${NET}/ports/${p.id}`, { as: 'member' })).status, 404);
      assert.equal((await req('DELETE', `${NET}/routers/${r.id}`, { as: 'member' })).status, 204);
      const gone = await req('GET', `${NET}/routers/${r.id}`, { as: 'member' });
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, neutron('RouterNotFound', `Router ${r.id} could not be found.`));
      // Its gateway port went with it.
      assert.deepEqual((await req('GET', `${NET}/ports?device_id=${r.id}`, { as: 'admin' })).body.ports, []);
    });

    test('interface errors: neither or both ids, no gateway ip, another project, missing subnet', async () => {
      const r = (await router('member')).body.router;
      const neither = await iface(r.id, 'add', {});
      assert.equal(neither.status, 400);
      assert.deepEqual(
        neither.body,
        neutron('BadRequest', 'Bad router request: Either subnet_id or port_id must be specified.'),
      );
      const s = await subnetOn('10.23.0.0/24', { gateway_ip: null });
      const both = await iface(r.id, 'add', { subnet_id: s.id, port_id: MISSING });
      assert.equal(both.status, 400);
      assert.deepEqual(
        both.body,
        neutron('BadRequest', 'Bad router request: Cannot specify both subnet-id and port-id.'),
      );
      const noGw = await iface(r.id, 'add', { subnet_id: s.id });
      assert.equal(noGw.status, 400);
      assert.deepEqual(
        noGw.body,
        neutron('BadRequest', 'Bad router request: Subnet for router interface must have a gateway IP.'),
      );
      const missing = await iface(r.id, 'add', { subnet_id: MISSING });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, neutron('SubnetNotFound', `Subnet ${MISSING} could not be found.`));
      const other = await iface(r.id, 'add', { subnet_id: s.id }, 'other');
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, neutron('RouterNotFound', `Router ${r.id} could not be found.`));
      const reader = await iface(r.id, 'add', { subnet_id: s.id }, 'reader');
      assert.equal(reader.status, 403);
      assert.deepEqual(
        reader.body,
        neutron('PolicyNotAuthorized', 'rule:add_router_interface is disallowed by policy'),
      );
      const badType = await iface(r.id, 'add', { subnet_id: 5 });
      assert.equal(badType.status, 400);
    });

    test('gateway: external network required, enable_snat admin-only, update and clear', async () => {
      const internal = (await req('GET', `${NET}/networks?name=private`, { as: 'member' })).body.networks[0].id;
      const notExt = await router('member', { external_gateway_info: { network_id: internal } });
      assert.equal(notExt.status, 400);
      assert.deepEqual(
        notExt.body,
        neutron('BadRequest', `Bad router request: Network ${internal} is not an external network.`),
      );
      const missing = await router('member', { external_gateway_info: { network_id: MISSING } });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, neutron('NetworkNotFound', `Network ${MISSING} could not be found.`));
      const snat = await router('member', { external_gateway_info: { network_id: publicNet, enable_snat: false } });
      assert.equal(snat.status, 403);
      assert.deepEqual(
        snat.body,
        neutron(
          'PolicyNotAuthorized',
          '(rule:create_router and rule:create_router:external_gateway_info:enable_snat) is disallowed by policy',
        ),
      );
      const adminSnat = await router('admin', { external_gateway_info: { network_id: publicNet, enable_snat: false } });
      assert.equal(adminSnat.status, 201);
      assert.equal(adminSnat.body.router.external_gateway_info.enable_snat, false);
      const r = (await router('member')).body.router;
      assert.equal(r.external_gateway_info, null);
      const set = await req('PUT', `${NET}/routers/${r.id}`, {
        as: 'member',
        body: { router: { name: 'renamed', external_gateway_info: { network_id: publicNet } } },
      });
      assert.equal(set.status, 200, set.text);
      assert.equal(set.body.router.name, 'renamed');
      assert.equal(set.body.router.external_gateway_info.network_id, publicNet);
      const clear = await req('PUT', `${NET}/routers/${r.id}`, {
        as: 'member',
        body: { router: { external_gateway_info: {} } },
      });
      assert.equal(clear.status, 200);
      assert.equal(clear.body.router.external_gateway_info, null);
      const bad = await req('PUT', `${NET}/routers/${r.id}`, {
        as: 'member',
        body: { router: { external_gateway_info: 'x' } },
      });
      assert.equal(bad.status, 400);
      const unknown = await router('member', { bogus: 1 });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body, neutron('HTTPBadRequest', "Unrecognized attribute(s) 'bogus'"));
      const long = await router('member', { name: 'x'.repeat(256) });
      assert.equal(long.status, 400);
      const reader = await router('reader');
      assert.equal(reader.status, 403);
      assert.deepEqual(reader.body, neutron('PolicyNotAuthorized', 'rule:create_router is disallowed by policy'));
      assert.equal((await req('POST', `${NET}/routers`, { body: { router: {} } })).status, 401);
      const otherPut = await req('PUT', `${NET}/routers/${r.id}`, { as: 'other', body: { router: { name: 'o' } } });
      assert.equal(otherPut.status, 404);
      const otherDel = await req('DELETE', `${NET}/routers/${r.id}`, { as: 'other' });
      assert.equal(otherDel.status, 404);
      const readerDel = await req('DELETE', `${NET}/routers/${r.id}`, { as: 'reader' });
      assert.equal(readerDel.status, 403);
      assert.equal((await req('GET', `${NET}/routers/${r.id}`, { as: 'reader' })).status, 200);
    });

    test('externalGatewayReachable: the router through which a subnet reaches an external network', async () => {
      const ex = cloud.stack.deps.db;
      const priv = (await req('GET', `${NET}/subnets?name=private-subnet`, { as: 'admin' })).body.subnets[0].id;
      const router1 = (await req('GET', `${NET}/routers?name=router1`, { as: 'admin' })).body.routers[0].id;
      assert.equal(await externalGatewayReachable(ex, publicNet, priv), router1);
      const lonely = await subnetOn('10.30.0.0/24');
      assert.equal(await externalGatewayReachable(ex, publicNet, lonely.id), null);
    });
  });
}
