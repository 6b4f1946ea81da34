// Neutron subnets (create with validation and normalisation, default and explicit allocation
// pools, update, delete with SubnetInUse) and the IPAM ports use (pools, every IPv4 subnet of a
// network, requested fixed_ips, exhaustion), on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const neutron = (type: string, message: string) => ({ NeutronError: { type, message, detail: '' } });
const NET = '/networking/v2.0';
const MISSING = '6f9b1b8c-0000-4000-8000-000000000000';

for (const target of databaseTargets()) {
  describe(`subnets and IPAM (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let seq = 0;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const network = async (as: Persona = 'member') => {
      const res = await req('POST', `${NET}/networks`, { as, body: { network: { name: `sn-${++seq}` } } });
      assert.equal(res.status, 201, res.text);
      return res.body.network.id as string;
    };
    const subnet = (as: Persona, body: Record<string, unknown>) =>
      req('POST', `${NET}/subnets`, { as, body: { subnet: body } });
    const port = (as: Persona, body: Record<string, unknown>) =>
      req('POST', `${NET}/ports`, { as, body: { port: body } });

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    test('concurrent overlapping subnets on one network: exactly one is created', async () => {
      const net = await network();
      const tries = await Promise.all(
        ['10.5.0.0/24', '10.5.0.0/16', '10.5.0.128/25'].map((cidr) =>
          subnet('member', { network_id: net, cidr, ip_version: 4 }),
        ),
      );
      assert.deepEqual(tries.map((r) => r.status).sort(), [201, 400, 400], tries.map((r) => r.text).join('\n'));
      for (const r of tries.filter((x) => x.status === 400))
        assert.match(
          r.body.NeutronError.message,
          /^Invalid input for operation: Requested subnet with cidr: 10\.5\.0\.\d+\/\d+ for network: [0-9a-f-]+ overlaps with another subnet\.$/,
        );
      assert.equal((await req('GET', `${NET}/subnets?network_id=${net}`, { as: 'member' })).body.subnets.length, 1);
    });

    test('the seeded subnets carry their default pools', async () => {
      const res = await req('GET', `${NET}/subnets?name=private-subnet`, { as: 'member' });
      assert.equal(res.status, 200);
      const s = res.body.subnets[0];
      assert.deepEqual(s.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }]);
      assert.equal(s.enable_dhcp, true);
      assert.deepEqual(s.dns_nameservers, []);
    });

    test('create: the cidr normalised, the first address the gateway, the rest the pool; filters', async () => {
      const net = await network();
      const res = await subnet('member', { network_id: net, cidr: '19.80.0.7/24', ip_version: 4, name: 's1' });
      assert.equal(res.status, 201, res.text);
      const s = res.body.subnet;
      assert.equal(s.cidr, '19.80.0.0/24');
      assert.equal(s.gateway_ip, '19.80.0.1');
      assert.deepEqual(s.allocation_pools, [{ start: '19.80.0.2', end: '19.80.0.254' }]);
      assert.equal(s.project_id, cloud.projects.member);
      assert.equal(s.ip_version, 4);
      const list = await req('GET', `${NET}/subnets?network_id=${net}&cidr=19.80.0.0/24`, { as: 'reader' });
      assert.deepEqual(
        list.body.subnets.map((x: { id: string }) => x.id),
        [s.id],
      );
      const shown = await req('GET', `${NET}/networks/${net}`, { as: 'member' });
      assert.deepEqual(shown.body.network.subnets, [s.id]);
      const noGw = await subnet('member', { network_id: net, cidr: '19.81.0.0/29', ip_version: 4, gateway_ip: null });
      assert.equal(noGw.status, 201, noGw.text);
      assert.equal(noGw.body.subnet.gateway_ip, null);
      assert.deepEqual(noGw.body.subnet.allocation_pools, [{ start: '19.81.0.1', end: '19.81.0.6' }]);
      const pools = await subnet('member', {
        network_id: net,
        cidr: '19.82.0.0/24',
        ip_version: 4,
        allocation_pools: [{ start: '19.82.0.10', end: '19.82.0.20' }],
        dns_nameservers: ['8.8.8.8'],
        host_routes: [{ destination: '0.0.0.0/0', nexthop: '19.82.0.1' }],
        enable_dhcp: false,
      });
      assert.equal(pools.status, 201, pools.text);
      assert.deepEqual(pools.body.subnet.allocation_pools, [{ start: '19.82.0.10', end: '19.82.0.20' }]);
      assert.deepEqual(pools.body.subnet.dns_nameservers, ['8.8.8.8']);
      assert.equal(pools.body.subnet.enable_dhcp, false);
    });

    test("bad input: Neutron's 400 and 409 bodies", async () => {
      const net = await network();
      const base = { network_id: net, ip_version: 4 };
      const cases: Array<[Record<string, unknown>, number, string, string]> = [
        [
          { network_id: net, cidr: '10.1.0.0/24' },
          400,
          'HTTPBadRequest',
          "Failed to parse request. Required attribute 'ip_version' not specified",
        ],
        [
          { cidr: '10.1.0.0/24', ip_version: 4 },
          400,
          'HTTPBadRequest',
          "Failed to parse request. Required attribute 'network_id' not specified",
        ],
        [
          { ...base },
          400,
          'BadRequest',
          'Bad subnet request: a cidr must be specified in the absence of a subnet pool.',
        ],
        [
          { ...base, cidr: '10.1.0.300/24' },
          400,
          'HTTPBadRequest',
          "Invalid input for cidr. Reason: '10.1.0.300/24' is not a valid IP subnet.",
        ],
        [{ ...base, cidr: 5 }, 400, 'HTTPBadRequest', "Invalid input for cidr. Reason: '5' is not a valid IP subnet."],
        [
          { ...base, cidr: '10.1.0.0' },
          400,
          'HTTPBadRequest',
          "Invalid input for cidr. Reason: '10.1.0.0' isn't a recommended IP address or subnet, '10.1.0.0/32' is recommended.",
        ],
        [
          { ...base, ip_version: 5, cidr: '10.1.0.0/24' },
          400,
          'HTTPBadRequest',
          "Invalid input for ip_version. Reason: '5' is not in [4, 6].",
        ],
        [
          { ...base, ip_version: 'four', cidr: '10.1.0.0/24' },
          400,
          'HTTPBadRequest',
          "Invalid input for ip_version. Reason: 'four' is not an integer.",
        ],
        [
          { ...base, ip_version: 6, cidr: '10.1.0.0/24' },
          400,
          'InvalidInput',
          "Invalid input for operation: cidr '10.1.0.0/24' does not match the ip_version '6'.",
        ],
        [
          { ...base, ip_version: 6, cidr: 'fd00::/64' },
          400,
          'InvalidInput',
          'Invalid input for operation: IPv6 subnets are not supported by Stratus.',
        ],
        [
          { ...base, network_id: 'nope', cidr: '10.1.0.0/24' },
          400,
          'HTTPBadRequest',
          "Invalid input for network_id. Reason: 'nope' is not a valid UUID.",
        ],
        [
          { ...base, network_id: MISSING, cidr: '10.1.0.0/24' },
          404,
          'NetworkNotFound',
          `Network ${MISSING} could not be found.`,
        ],
        [
          { ...base, cidr: '10.1.0.0/24', gateway_ip: 'x' },
          400,
          'HTTPBadRequest',
          "Invalid input for gateway_ip. Reason: 'x' is not a valid IP address.",
        ],
        [
          { ...base, cidr: '10.1.0.0/24', gateway_ip: '10.1.0.255' },
          400,
          'InvalidInput',
          'Invalid input for operation: Gateway is not valid on subnet.',
        ],
        [
          { ...base, cidr: '10.1.0.0/24', allocation_pools: [{ start: '10.1.0.9', end: '10.1.0.2' }] },
          400,
          'InvalidAllocationPool',
          "The allocation pool {'start': '10.1.0.9', 'end': '10.1.0.2'} is not valid.",
        ],
        [
          { ...base, cidr: '10.1.0.0/24', allocation_pools: [{ start: '10.1.0.2', end: '10.1.1.9' }] },
          400,
          'OutOfBoundsAllocationPool',
          'The allocation pool 10.1.0.2-10.1.1.9 spans beyond the subnet cidr 10.1.0.0/24.',
        ],
        [
          {
            ...base,
            cidr: '10.1.0.0/24',
            allocation_pools: [
              { start: '10.1.0.2', end: '10.1.0.9' },
              { start: '10.1.0.5', end: '10.1.0.20' },
            ],
          },
          409,
          'OverlappingAllocationPools',
          'Found overlapping allocation pools: 10.1.0.2-10.1.0.9 10.1.0.5-10.1.0.20 for subnet 10.1.0.0/24.',
        ],
        [
          { ...base, cidr: '10.1.0.0/24', allocation_pools: [{ start: '10.1.0.1', end: '10.1.0.9' }] },
          409,
          'GatewayConflictWithAllocationPools',
          'Gateway ip 10.1.0.1 conflicts with allocation pool 10.1.0.1-10.1.0.9.',
        ],
        [
          { ...base, cidr: '10.1.0.0/24', allocation_pools: 'all' },
          400,
          'HTTPBadRequest',
          "Invalid input for allocation_pools. Reason: Invalid data format for IP pool: 'all'.",
        ],
        [
          { ...base, cidr: '10.1.0.0/24', dns_nameservers: ['x'] },
          400,
          'HTTPBadRequest',
          "Invalid input for dns_nameservers. Reason: 'x' is not a valid nameserver.",
        ],
        [
          { ...base, cidr: '10.1.0.0/24', name: 'n'.repeat(256) },
          400,
          'HTTPBadRequest',
          `Invalid input for name. Reason: '${'n'.repeat(256)}' exceeds maximum length of 255.`,
        ],
        [{ ...base, cidr: '10.1.0.0/24', bogus: 1 }, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'"],
      ];
      for (const [body, status, type, message] of cases) {
        const res = await subnet('member', body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.deepEqual(res.body, neutron(type, message), JSON.stringify(body));
      }
      assert.equal((await subnet('member', { ...base, cidr: '10.1.0.0/24' })).status, 201);
      const overlap = await subnet('member', { ...base, cidr: '10.1.0.128/25' });
      assert.equal(overlap.status, 400);
      assert.deepEqual(
        overlap.body,
        neutron(
          'InvalidInput',
          `Invalid input for operation: Requested subnet with cidr: 10.1.0.128/25 for network: ${net} overlaps with another subnet.`,
        ),
      );
    });

    test('policy: the network owner’s members; readers 403; another project 404; no token 401', async () => {
      const net = await network();
      const body = { network_id: net, cidr: '10.2.0.0/24', ip_version: 4 };
      const reader = await subnet('reader', body);
      assert.equal(reader.status, 403);
      assert.deepEqual(reader.body, neutron('PolicyNotAuthorized', 'rule:create_subnet is disallowed by policy'));
      const other = await subnet('other', body);
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, neutron('NetworkNotFound', `Network ${net} could not be found.`));
      assert.equal((await req('POST', `${NET}/subnets`, { body: { subnet: body } })).status, 401);
      const priv = (await req('GET', `${NET}/networks?name=private`, { as: 'member' })).body.networks[0].id;
      const onShared = await subnet('member', { network_id: priv, cidr: '10.3.0.0/24', ip_version: 4 });
      assert.equal(onShared.status, 403);
      const admin = await subnet('admin', body);
      assert.equal(admin.status, 201);
    });

    test('update: name, gateway, pools, dns; read-only attributes; other project 404; reader 403', async () => {
      const net = await network();
      const s = (await subnet('member', { network_id: net, cidr: '10.4.0.0/24', ip_version: 4 })).body.subnet;
      const put = (as: Persona, b: Record<string, unknown>) =>
        req('PUT', `${NET}/subnets/${s.id}`, { as, body: { subnet: b } });
      const res = await put('member', {
        name: 'renamed',
        gateway_ip: '10.4.0.254',
        allocation_pools: [{ start: '10.4.0.10', end: '10.4.0.100' }],
        dns_nameservers: ['1.1.1.1'],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.subnet.name, 'renamed');
      assert.equal(res.body.subnet.gateway_ip, '10.4.0.254');
      assert.deepEqual(res.body.subnet.allocation_pools, [{ start: '10.4.0.10', end: '10.4.0.100' }]);
      assert.deepEqual(res.body.subnet.dns_nameservers, ['1.1.1.1']);
      const conflict = await put('member', { gateway_ip: '10.4.0.50' });
      assert.equal(conflict.status, 409);
      assert.deepEqual(
        conflict.body,
        neutron(
          'GatewayConflictWithAllocationPools',
          'Gateway ip 10.4.0.50 conflicts with allocation pool 10.4.0.10-10.4.0.100.',
        ),
      );
      const ro = await put('member', { cidr: '10.5.0.0/24' });
      assert.equal(ro.status, 400);
      assert.deepEqual(ro.body, neutron('HTTPBadRequest', 'Cannot update read-only attribute cidr'));
      const reader = await put('reader', { name: 'r' });
      assert.equal(reader.status, 403);
      assert.deepEqual(reader.body, neutron('PolicyNotAuthorized', 'rule:update_subnet is disallowed by policy'));
      const other = await put('other', { name: 'o' });
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, neutron('SubnetNotFound', `Subnet ${s.id} could not be found.`));
    });

    test('IPAM: ports take addresses from the pools, then the next subnet; fixed_ips; exhaustion 409', async () => {
      const net = await network();
      const a = (
        await subnet('member', {
          network_id: net,
          cidr: '10.6.0.0/24',
          ip_version: 4,
          allocation_pools: [{ start: '10.6.0.50', end: '10.6.0.51' }],
        })
      ).body.subnet;
      const b = (
        await subnet('member', {
          network_id: net,
          cidr: '10.7.0.0/24',
          ip_version: 4,
          allocation_pools: [{ start: '10.7.0.5', end: '10.7.0.5' }],
        })
      ).body.subnet;
      const ips: string[] = [];
      for (let i = 0; i < 3; i++) {
        const p = await port('member', { network_id: net });
        assert.equal(p.status, 201, p.text);
        ips.push(p.body.port.fixed_ips[0].ip_address);
      }
      assert.deepEqual(ips, ['10.6.0.50', '10.6.0.51', '10.7.0.5']);
      const full = await port('member', { network_id: net });
      assert.equal(full.status, 409);
      assert.deepEqual(
        full.body,
        neutron('IpAddressGenerationFailure', `No more IP addresses available on network ${net}.`),
      );
      // A requested address may lie outside the pools, inside the subnet.
      const chosen = await port('member', {
        network_id: net,
        fixed_ips: [{ subnet_id: a.id, ip_address: '10.6.0.9' }],
      });
      assert.equal(chosen.status, 201, chosen.text);
      assert.deepEqual(chosen.body.port.fixed_ips, [{ subnet_id: a.id, ip_address: '10.6.0.9' }]);
      const byIp = await port('member', { network_id: net, fixed_ips: [{ ip_address: '10.7.0.77' }] });
      assert.deepEqual(byIp.body.port.fixed_ips, [{ subnet_id: b.id, ip_address: '10.7.0.77' }]);
      const taken = await port('member', { network_id: net, fixed_ips: [{ ip_address: '10.6.0.9' }] });
      assert.equal(taken.status, 409);
      assert.deepEqual(
        taken.body,
        neutron('IpAddressAlreadyAllocated', `IP address 10.6.0.9 already allocated in subnet ${a.id}`),
      );
      const gw = await port('member', { network_id: net, fixed_ips: [{ ip_address: '10.6.0.1' }] });
      assert.equal(gw.status, 409);
      const outside = await port('member', { network_id: net, fixed_ips: [{ ip_address: '10.8.0.1' }] });
      assert.equal(outside.status, 400);
      assert.deepEqual(
        outside.body,
        neutron(
          'InvalidIpForNetwork',
          'IP address 10.8.0.1 is not a valid IP for any of the subnets on the specified network.',
        ),
      );
      const wrongSubnet = await port('member', {
        network_id: net,
        fixed_ips: [{ subnet_id: a.id, ip_address: '10.7.0.9' }],
      });
      assert.equal(wrongSubnet.status, 400);
      assert.deepEqual(
        wrongSubnet.body,
        neutron('InvalidIpForSubnet', 'IP address 10.7.0.9 is not a valid IP for the specified subnet.'),
      );
      const foreign = await port('member', { network_id: net, fixed_ips: [{ subnet_id: MISSING }] });
      assert.equal(foreign.status, 400);
      assert.deepEqual(
        foreign.body,
        neutron(
          'InvalidInput',
          `Invalid input for operation: Failed to create port on network ${net}, because fixed_ips included invalid subnet ${MISSING}.`,
        ),
      );
      const badIp = await port('member', { network_id: net, fixed_ips: [{ ip_address: 'x' }] });
      assert.equal(badIp.status, 400);
      assert.deepEqual(
        badIp.body,
        neutron('HTTPBadRequest', "Invalid input for fixed_ips. Reason: 'x' is not a valid IP address."),
      );
      const bySubnet = await port('member', { network_id: net, fixed_ips: [{ subnet_id: b.id }] });
      assert.equal(bySubnet.status, 409);
      assert.equal(bySubnet.body.NeutronError.type, 'IpAddressGenerationFailure');
      // SubnetInUse while a port holds an address in it.
      const inUse = await req('DELETE', `${NET}/subnets/${a.id}`, { as: 'member' });
      assert.equal(inUse.status, 409);
      assert.deepEqual(
        inUse.body,
        neutron(
          'SubnetInUse',
          `Unable to complete operation on subnet ${a.id}: One or more ports have an IP allocation from this subnet.`,
        ),
      );
    });

    test('delete: 204, then 404; reader 403; another project 404', async () => {
      const net = await network();
      const s = (await subnet('member', { network_id: net, cidr: '10.9.0.0/24', ip_version: 4 })).body.subnet;
      const reader = await req('DELETE', `${NET}/subnets/${s.id}`, { as: 'reader' });
      assert.equal(reader.status, 403);
      assert.deepEqual(reader.body, neutron('PolicyNotAuthorized', 'rule:delete_subnet is disallowed by policy'));
      assert.equal((await req('DELETE', `${NET}/subnets/${s.id}`, { as: 'other' })).status, 404);
      assert.equal((await req('DELETE', `${NET}/subnets/${s.id}`, { as: 'member' })).status, 204);
      const gone = await req('DELETE', `${NET}/subnets/${s.id}`, { as: 'member' });
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, neutron('SubnetNotFound', `Subnet ${s.id} could not be found.`));
    });

    test('a server booted on two new networks gets one address from each pool, in order', async () => {
      const n1 = await network();
      const n2 = await network();
      await subnet('member', { network_id: n1, cidr: '19.80.0.0/24', ip_version: 4 });
      await subnet('member', { network_id: n2, cidr: '19.86.0.0/24', ip_version: 4 });
      const id = await cloud.createServer('member', { networks: [{ uuid: n1 }, { uuid: n2 }] });
      const ports = (await req('GET', `${NET}/ports?device_id=${id}`, { as: 'member' })).body.ports;
      assert.deepEqual(
        ports.map((p: { fixed_ips: Array<{ ip_address: string }> }) => p.fixed_ips[0].ip_address).sort(),
        ['19.80.0.2', '19.86.0.2'],
      );
      await req('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
      await cloud.drain();
    });
  });
}
