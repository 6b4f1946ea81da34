// Floating IPs need a router (Neutron's l3_db): an association from a subnet no router joins to
// the external network is refused, and a router interface or gateway that associated floating
// IPs go through cannot be removed; the floatingip quota holds. Status and exact body each time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const neutron = (type: string, message: string) => ({ NeutronError: { type, message, detail: '' } });
const NET = '/networking/v2.0';

for (const target of databaseTargets()) {
  describe(`floating IPs and routers (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let pub: string;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const ok = async (method: string, path: string, body: unknown, status = 201) => {
      const res = await req(method, path, { as: 'member', body });
      assert.equal(res.status, status, res.text);
      return res.body;
    };

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
      pub = (await req('GET', `${NET}/networks?name=public`, { as: 'admin' })).body.networks[0].id;
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    test('a subnet no router joins to the external network: ExternalGatewayForFloatingIPNotFound, then through a router', async () => {
      const net = (await ok('POST', `${NET}/networks`, { network: { name: 'fip-net' } })).network;
      const subnet = (
        await ok('POST', `${NET}/subnets`, { subnet: { network_id: net.id, cidr: '192.168.70.0/24', ip_version: 4 } })
      ).subnet;
      const port = (await ok('POST', `${NET}/ports`, { port: { network_id: net.id } })).port;
      const fip = (await ok('POST', `${NET}/floatingips`, { floatingip: { floating_network_id: pub } })).floatingip;

      const refused = await req('PUT', `${NET}/floatingips/${fip.id}`, {
        as: 'member',
        body: { floatingip: { port_id: port.id } },
      });
      const notReachable = `External network ${pub} is not reachable from subnet ${subnet.id}.  Therefore, cannot associate Port ${port.id} with a Floating IP.`;
      assert.deepEqual(
        [refused.status, refused.body],
        [404, neutron('ExternalGatewayForFloatingIPNotFound', notReachable)],
      );
      // creating with port_id at once is refused the same way, and leaves no floating IP behind
      const before = (await req('GET', `${NET}/floatingips`, { as: 'member' })).body.floatingips.length;
      const atCreate = await req('POST', `${NET}/floatingips`, {
        as: 'member',
        body: { floatingip: { floating_network_id: pub, port_id: port.id } },
      });
      assert.deepEqual(
        [atCreate.status, atCreate.body.NeutronError?.type],
        [404, 'ExternalGatewayForFloatingIPNotFound'],
      );
      assert.equal((await req('GET', `${NET}/floatingips`, { as: 'member' })).body.floatingips.length, before);

      // a router with its gateway on public and an interface on the subnet makes it reachable
      const router = (
        await ok('POST', `${NET}/routers`, { router: { name: 'fip-r', external_gateway_info: { network_id: pub } } })
      ).router;
      await ok('PUT', `${NET}/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }, 200);
      const associated = await ok('PUT', `${NET}/floatingips/${fip.id}`, { floatingip: { port_id: port.id } }, 200);
      assert.deepEqual([associated.floatingip.router_id, associated.floatingip.status], [router.id, 'ACTIVE']);

      // the interface and the gateway the association goes through cannot be removed
      const rmIf = await req('PUT', `${NET}/routers/${router.id}/remove_router_interface`, {
        as: 'member',
        body: { subnet_id: subnet.id },
      });
      assert.deepEqual(
        [rmIf.status, rmIf.body],
        [
          409,
          neutron(
            'RouterInterfaceInUseByFloatingIP',
            `Router interface for subnet ${subnet.id} on router ${router.id} cannot be deleted, as it is required by one or more floating IPs.`,
          ),
        ],
      );
      const rmGw = await req('PUT', `${NET}/routers/${router.id}`, {
        as: 'member',
        body: { router: { external_gateway_info: {} } },
      });
      assert.deepEqual(
        [rmGw.status, rmGw.body],
        [
          409,
          neutron(
            'RouterExternalGatewayInUseByFloatingIp',
            `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${pub} is required by one or more floating IPs.`,
          ),
        ],
      );
      // disassociated, both go
      await ok('PUT', `${NET}/floatingips/${fip.id}`, { floatingip: { port_id: null } }, 200);
      await ok('PUT', `${NET}/routers/${router.id}/remove_router_interface`, { subnet_id: subnet.id }, 200);
      const cleared = await ok('PUT', `${NET}/routers/${router.id}`, { router: { external_gateway_info: {} } }, 200);
      assert.equal(cleared.router.external_gateway_info, null);
      for (const [path, status] of [
        [`${NET}/floatingips/${fip.id}`, 204],
        [`${NET}/routers/${router.id}`, 204],
        [`${NET}/ports/${port.id}`, 204],
        [`${NET}/networks/${net.id}`, 204],
      ] as const)
        assert.equal((await req('DELETE', path, { as: 'member' })).status, status, path);
    });

    test('the floatingip quota: OverQuota at the limit, concurrent creates never pass it', async () => {
      const project = cloud.projects.other;
      const set = await req('PUT', `${NET}/quotas/${project}`, { as: 'admin', body: { quota: { floatingip: 2 } } });
      assert.equal(set.status, 200, set.text);
      const tries = await Promise.all(
        Array.from({ length: 5 }, () =>
          req('POST', `${NET}/floatingips`, { as: 'other', body: { floatingip: { floating_network_id: pub } } }),
        ),
      );
      assert.deepEqual(tries.map((r) => r.status).sort(), [201, 201, 409, 409, 409]);
      for (const r of tries.filter((x) => x.status === 409))
        assert.deepEqual(r.body, neutron('OverQuota', "Quota exceeded for resources: ['floatingip']."));
      const details = await req('GET', `${NET}/quotas/${project}/details`, { as: 'admin' });
      assert.deepEqual(details.body.quota.floatingip, { used: 2, limit: 2, reserved: 0 });
      for (const r of tries.filter((x) => x.status === 201))
        assert.equal((await req('DELETE', `${NET}/floatingips/${r.body.floatingip.id}`, { as: 'other' })).status, 204);
    });
  });
}
