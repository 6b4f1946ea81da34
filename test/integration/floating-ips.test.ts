// Neutron floating IPs (/networking/v2.0/floatingips) and what Nova does with them: the server's
// addresses, Delete Server and interface detach disassociating them; on SQLite and PostgreSQL,
// status and exact body of every answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const neutron = (type: string, message: string) => ({ NeutronError: { type, message, detail: '' } });
const MISSING = '6f9b1b8c-0000-4000-8000-000000000000';
const FIPS = '/networking/v2.0/floatingips';

for (const target of databaseTargets()) {
  describe(`floating IPs (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let pub: string;
    let pubSubnet: string;
    let priv: string;
    let router1: string;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const create = async (as: Persona = 'member', extra: Record<string, unknown> = {}) => {
      const res = await req('POST', FIPS, { as, body: { floatingip: { floating_network_id: pub, ...extra } } });
      assert.equal(res.status, 201, res.text);
      return res.body.floatingip;
    };
    const portOf = async (serverId: string) =>
      (await req('GET', `/networking/v2.0/ports?device_id=${serverId}`, { as: 'admin' })).body.ports[0];
    const put = (id: string, body: Record<string, unknown>, as: Persona = 'member') =>
      req('PUT', `${FIPS}/${id}`, { as, body: { floatingip: body } });

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
      const nets = (await req('GET', '/networking/v2.0/networks', { as: 'admin' })).body.networks;
      const p = nets.find((n: { name: string }) => n.name === 'public');
      pub = p.id;
      pubSubnet = p.subnets[0];
      priv = nets.find((n: { name: string }) => n.name === 'private').id;
      // the demo cloud's router1 joins private-subnet to public: associations go through it
      router1 = (await req('GET', '/networking/v2.0/routers?name=router1', { as: 'admin' })).body.routers[0].id;
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    test('create from the external network: an address of its subnet, DOWN, held by a network:floatingip port', async () => {
      const fip = await create('member', { description: 'web' });
      assert.match(fip.floating_ip_address, /^172\.24\.4\.\d+$/);
      assert.deepEqual(
        [fip.project_id, fip.tenant_id, fip.floating_network_id, fip.status, fip.port_id, fip.fixed_ip_address],
        [cloud.projects.member, cloud.projects.member, pub, 'DOWN', null, null],
      );
      assert.deepEqual([fip.router_id, fip.description, fip.port_details, fip.tags], [null, 'web', null, []]);
      const ports = (await req('GET', `/networking/v2.0/ports?device_id=${fip.id}`, { as: 'admin' })).body.ports;
      assert.equal(ports.length, 1);
      assert.deepEqual(
        [ports[0].device_owner, ports[0].network_id, ports[0].fixed_ips, ports[0].project_id],
        ['network:floatingip', pub, [{ subnet_id: pubSubnet, ip_address: fip.floating_ip_address }], ''],
      );
      // The holding port is Neutron's, never the project's.
      const mine = (await req('GET', `/networking/v2.0/ports?device_id=${fip.id}`, { as: 'member' })).body.ports;
      assert.deepEqual(mine, []);
      const del = await req('DELETE', `/networking/v2.0/ports/${ports[0].id}`, { as: 'admin' });
      assert.deepEqual(
        [del.status, del.body],
        [
          409,
          neutron(
            'L3PortInUse',
            `Port ${ports[0].id} has owner network:floatingip and therefore cannot be deleted directly via the port API.`,
          ),
        ],
      );
      const shown = await req('GET', `${FIPS}/${fip.id}`, { as: 'reader' });
      assert.deepEqual([shown.status, shown.body.floatingip], [200, fip]);
      const gone = await req('DELETE', `${FIPS}/${fip.id}`, { as: 'member' });
      assert.deepEqual([gone.status, gone.text], [204, '']);
      assert.deepEqual(
        (await req('GET', `/networking/v2.0/ports?device_id=${fip.id}`, { as: 'admin' })).body.ports,
        [],
      );
      const again = await req('GET', `${FIPS}/${fip.id}`, { as: 'member' });
      assert.deepEqual(
        [again.status, again.body],
        [404, neutron('FloatingIPNotFound', `Floating IP ${fip.id} could not be found`)],
      );
    });

    test("create: bad input, another network, a given address (admin only), Neutron's 400/403/404/409", async () => {
      const post = (body: unknown, as: Persona = 'member') => req('POST', FIPS, { as, body });
      const cases: Array<[unknown, number, ReturnType<typeof neutron>]> = [
        [{}, 400, neutron('HTTPBadRequest', "Unable to find 'floatingip' in request body")],
        [{ floatingip: 5 }, 400, neutron('HTTPBadRequest', "Invalid input for operation: '5' is not a dictionary.")],
        [
          { floatingip: {} },
          400,
          neutron('HTTPBadRequest', "Failed to parse request. Required attribute 'floating_network_id' not specified"),
        ],
        [
          { floatingip: { floating_network_id: 'nope' } },
          400,
          neutron('HTTPBadRequest', "Invalid input for floating_network_id. Reason: 'nope' is not a valid UUID."),
        ],
        [
          { floatingip: { floating_network_id: pub, dns_name: 'x' } },
          400,
          neutron('HTTPBadRequest', "Unrecognized attribute(s) 'dns_name'"),
        ],
        [
          { floatingip: { floating_network_id: pub, description: 'd'.repeat(256) } },
          400,
          neutron(
            'HTTPBadRequest',
            `Invalid input for description. Reason: '${'d'.repeat(256)}' exceeds maximum length of 255.`,
          ),
        ],
        [
          { floatingip: { floating_network_id: pub, port_id: 7 } },
          400,
          neutron('HTTPBadRequest', "Invalid input for port_id. Reason: '7' is not a valid UUID."),
        ],
        [
          { floatingip: { floating_network_id: pub, floating_ip_address: 'x' } },
          400,
          neutron('HTTPBadRequest', "Invalid input for floating_ip_address. Reason: 'x' is not a valid IP address."),
        ],
        [
          { floatingip: { floating_network_id: pub, fixed_ip_address: '10.0.0.9' } },
          400,
          neutron('BadRequest', 'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.'),
        ],
        [
          { floatingip: { floating_network_id: MISSING } },
          404,
          neutron('NetworkNotFound', `Network ${MISSING} could not be found.`),
        ],
        [
          { floatingip: { floating_network_id: priv } },
          400,
          neutron('BadRequest', `Bad floatingip request: Network ${priv} is not a valid external network.`),
        ],
        [
          { floatingip: { floating_network_id: pub, floating_ip_address: '172.24.4.77' } },
          403,
          neutron('PolicyNotAuthorized', 'rule:create_floatingip:floating_ip_address is disallowed by policy'),
        ],
        [
          { floatingip: { floating_network_id: pub, project_id: MISSING } },
          400,
          neutron(
            'HTTPBadRequest',
            "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
          ),
        ],
      ];
      for (const [body, status, fault] of cases) {
        const res = await post(body);
        assert.deepEqual([res.status, res.body], [status, fault], JSON.stringify(body));
      }
      const reader = await post({ floatingip: { floating_network_id: pub } }, 'reader');
      assert.deepEqual(
        [reader.status, reader.body],
        [403, neutron('PolicyNotAuthorized', 'rule:create_floatingip is disallowed by policy')],
      );
      const anon = await req('POST', FIPS, { body: { floatingip: { floating_network_id: pub } } });
      assert.equal(anon.status, 401);
      const given = await create('admin', { floating_ip_address: '172.24.4.77', project_id: cloud.projects.member });
      assert.deepEqual([given.floating_ip_address, given.project_id], ['172.24.4.77', cloud.projects.member]);
      let res = await post({ floatingip: { floating_network_id: pub, floating_ip_address: '172.24.4.77' } }, 'admin');
      assert.deepEqual(
        [res.status, res.body],
        [409, neutron('IpAddressAlreadyAllocated', `IP address 172.24.4.77 already allocated in subnet ${pubSubnet}`)],
      );
      res = await post({ floatingip: { floating_network_id: pub, floating_ip_address: '10.9.9.9' } }, 'admin');
      assert.deepEqual(
        [res.status, res.body],
        [400, neutron('InvalidIpForSubnet', 'IP address 10.9.9.9 is not a valid IP for the specified subnet.')],
      );
      res = await post({ floatingip: { floating_network_id: pub, subnet_id: MISSING } });
      assert.deepEqual(
        [res.status, res.body],
        [404, neutron('SubnetNotFound', `Subnet ${MISSING} could not be found.`)],
      );
      assert.equal((await req('DELETE', `${FIPS}/${given.id}`, { as: 'member' })).status, 204);
    });

    test('associate with a server port, shown in its addresses after the fixed one; disassociate', async () => {
      const server = await cloud.createServer('member');
      const port = await portOf(server);
      const fixed = port.fixed_ips[0].ip_address;
      const fip = await create();
      const res = await put(fip.id, { port_id: port.id });
      assert.equal(res.status, 200, res.text);
      const f = res.body.floatingip;
      assert.deepEqual([f.port_id, f.fixed_ip_address, f.status, f.router_id], [port.id, fixed, 'ACTIVE', router1]);
      assert.deepEqual(f.port_details, {
        name: port.name,
        network_id: priv,
        mac_address: port.mac_address,
        admin_state_up: true,
        status: port.status,
        device_id: server,
        device_owner: 'compute:nova',
      });
      const shown = await cloud.server(server, 'member');
      assert.deepEqual(shown.body.server.addresses.private, [
        { version: 4, addr: fixed, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': port.mac_address },
        {
          version: 4,
          addr: fip.floating_ip_address,
          'OS-EXT-IPS:type': 'floating',
          'OS-EXT-IPS-MAC:mac_addr': port.mac_address,
        },
      ]);
      const ips = await req('GET', `/v2.1/servers/${server}/ips`, { as: 'member' });
      assert.deepEqual(ips.body.addresses.private, [
        { version: 4, addr: fixed },
        { version: 4, addr: fip.floating_ip_address },
      ]);
      // Filters: by port, address, status; fields.
      const byPort = await req('GET', `${FIPS}?port_id=${port.id}&fields=id&fields=status`, { as: 'member' });
      assert.deepEqual(byPort.body, { floatingips: [{ id: fip.id, status: 'ACTIVE' }] });
      const byAddr = await req('GET', `${FIPS}?floating_ip_address=${fip.floating_ip_address}`, { as: 'reader' });
      assert.deepEqual(
        byAddr.body.floatingips.map((x: { id: string }) => x.id),
        [fip.id],
      );
      const down = await req('GET', `${FIPS}?status=DOWN&port_id=${port.id}`, { as: 'member' });
      assert.deepEqual(down.body, { floatingips: [] });
      // A second floating IP for the same fixed IP: Neutron's 409.
      const other = await create();
      const dup = await put(other.id, { port_id: port.id });
      assert.deepEqual(
        [dup.status, dup.body],
        [
          409,
          neutron(
            'FloatingIPPortAlreadyAssociated',
            `Cannot associate floating IP ${other.floating_ip_address} (${other.id}) with port ${port.id} using fixed IP ${fixed}, as that fixed IP already has a floating IP on external network ${pub}.`,
          ),
        ],
      );
      // The same association again changes nothing.
      assert.equal((await put(fip.id, { port_id: port.id, fixed_ip_address: fixed })).status, 200);
      const off = await put(fip.id, { port_id: null, description: 'spare' });
      assert.equal(off.status, 200);
      assert.deepEqual(
        [off.body.floatingip.port_id, off.body.floatingip.fixed_ip_address, off.body.floatingip.status],
        [null, null, 'DOWN'],
      );
      assert.equal(off.body.floatingip.description, 'spare');
      const after = await cloud.server(server, 'member');
      assert.equal(after.body.server.addresses.private.length, 1);
      for (const id of [fip.id, other.id])
        assert.equal((await req('DELETE', `${FIPS}/${id}`, { as: 'member' })).status, 204);
      await req('DELETE', `/v2.1/servers/${server}`, { as: 'member' });
      await cloud.drain();
    });

    test("association refusals: unknown or another project's port, a fixed IP not on it, a floating IP port, no fixed IP", async () => {
      const server = await cloud.createServer('member');
      const port = await portOf(server);
      const altServer = await cloud.createServer('other');
      const altPort = await portOf(altServer);
      const fip = await create();
      const fipPort = (await req('GET', `/networking/v2.0/ports?device_id=${fip.id}`, { as: 'admin' })).body.ports[0];
      const cases: Array<[Record<string, unknown>, number, ReturnType<typeof neutron>]> = [
        [{ port_id: MISSING }, 404, neutron('PortNotFound', `Port ${MISSING} could not be found.`)],
        [{ port_id: altPort.id }, 404, neutron('PortNotFound', `Port ${altPort.id} could not be found.`)],
        [
          { port_id: port.id, fixed_ip_address: '10.0.0.250' },
          400,
          neutron('BadRequest', `Bad floatingip request: Port ${port.id} does not have fixed ip 10.0.0.250.`),
        ],
        [
          { fixed_ip_address: '10.0.0.250' },
          400,
          neutron('BadRequest', 'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.'),
        ],
        [
          { port_id: port.id, fixed_ip_address: 'fe80::1' },
          400,
          neutron(
            'BadRequest',
            'Bad floatingip request: Cannot process floating IP association with fe80::1, since that is not an IPv4 address.',
          ),
        ],
        [
          { floating_network_id: pub },
          400,
          neutron('HTTPBadRequest', 'Cannot update read-only attribute floating_network_id'),
        ],
        [
          { port_id: 'x' },
          400,
          neutron('HTTPBadRequest', "Invalid input for port_id. Reason: 'x' is not a valid UUID."),
        ],
      ];
      for (const [body, status, fault] of cases) {
        const res = await put(fip.id, body);
        assert.deepEqual([res.status, res.body], [status, fault], JSON.stringify(body));
      }
      const own = await put(fip.id, { port_id: fipPort.id }, 'admin');
      assert.deepEqual(
        [own.status, own.body],
        [
          400,
          neutron('BadRequest', `Bad floatingip request: Port ${fipPort.id} is unable to be assigned a floating IP.`),
        ],
      );
      // A port without a fixed IP (a network without a subnet).
      const now = new Date().toISOString();
      await cloud.stack.deps.db
        .insertInto('ports')
        .values({
          id: MISSING.replace('0000-4000', '1111-4000'),
          network_id: priv,
          project_id: cloud.projects.member,
          name: '',
          mac_address: 'fa:16:3e:00:00:01',
          fixed_ips: '[]',
          device_id: '',
          device_owner: '',
          binding_host_id: '',
          status: 'DOWN',
          admin_state_up: 1,
          created_for_server: 0,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const bare = MISSING.replace('0000-4000', '1111-4000');
      const none = await put(fip.id, { port_id: bare });
      assert.deepEqual(
        [none.status, none.body],
        [
          400,
          neutron(
            'BadRequest',
            `Bad floatingip request: Cannot add floating IP to port ${bare} that has no fixed IPv4 addresses.`,
          ),
        ],
      );
      // Persona matrix on the floating IP itself.
      for (const [method, body] of [
        ['GET', undefined],
        ['PUT', { floatingip: { description: 'x' } }],
        ['DELETE', undefined],
      ] as const) {
        const alt = await req(method, `${FIPS}/${fip.id}`, { as: 'other', body });
        assert.deepEqual(
          [alt.status, alt.body],
          [404, neutron('FloatingIPNotFound', `Floating IP ${fip.id} could not be found`)],
          method,
        );
      }
      for (const [method, rule] of [
        ['PUT', 'update_floatingip'],
        ['DELETE', 'delete_floatingip'],
      ] as const) {
        const r = await req(method, `${FIPS}/${fip.id}`, {
          as: 'reader',
          body: method === 'PUT' ? { floatingip: { description: 'x' } } : undefined,
        });
        assert.deepEqual(
          [r.status, r.body],
          [403, neutron('PolicyNotAuthorized', `rule:${rule} is disallowed by policy`)],
        );
      }
      assert.equal((await req('GET', `${FIPS}/${fip.id}`, { as: 'admin' })).status, 200);
      assert.equal((await req('GET', `${FIPS}/${fip.id}`)).status, 401);
      assert.deepEqual((await req('GET', FIPS, { as: 'other' })).body.floatingips, []);
      assert.ok(
        (await req('GET', FIPS, { as: 'admin' })).body.floatingips.some((x: { id: string }) => x.id === fip.id),
      );
      const nf = await req('GET', `${FIPS}/not-a-uuid`, { as: 'member' });
      assert.deepEqual(
        [nf.status, nf.body],
        [404, neutron('FloatingIPNotFound', 'Floating IP not-a-uuid could not be found')],
      );
      const del = await req('DELETE', `${FIPS}/${MISSING}`, { as: 'member' });
      assert.deepEqual(
        [del.status, del.body],
        [404, neutron('FloatingIPNotFound', `Floating IP ${MISSING} could not be found`)],
      );
      assert.equal((await req('DELETE', `${FIPS}/${fip.id}`, { as: 'member' })).status, 204);
      for (const [s, as] of [
        [server, 'member'],
        [altServer, 'other'],
      ] as const)
        await req('DELETE', `/v2.1/servers/${s}`, { as });
      await cloud.drain();
    });

    test('concurrent associations: two floating IPs to one port, one floating IP to two ports: exactly one wins', async () => {
      const a = await cloud.createServer('member');
      const b = await cloud.createServer('member');
      const pa = await portOf(a);
      const pb = await portOf(b);
      for (let round = 0; round < 3; round++) {
        const [f1, f2] = [await create(), await create()];
        const two = await Promise.all([put(f1.id, { port_id: pa.id }), put(f2.id, { port_id: pa.id })]);
        assert.deepEqual(two.map((r) => r.status).sort(), [200, 409], JSON.stringify(two.map((r) => r.body)));
        const held = (await req('GET', `${FIPS}?port_id=${pa.id}`, { as: 'member' })).body.floatingips;
        assert.equal(held.length, 1);
        const [f3] = [await create()];
        const both = await Promise.all([put(f3.id, { port_id: pb.id }), put(f3.id, { port_id: pa.id })]);
        const ok = both.filter((r) => r.status === 200);
        // pa already has a floating IP: at most the pb association can win, and exactly one does.
        assert.equal(ok.length, 1, JSON.stringify(both.map((r) => r.body)));
        for (const f of [f1, f2, f3])
          assert.equal((await req('DELETE', `${FIPS}/${f.id}`, { as: 'member' })).status, 204);
      }
      // One floating IP to two ports at once: Neutron lets an update move an association, so both
      // may succeed in turn; a request that read the association before the other changed it
      // loses (409). Either way it ends on exactly one of the ports, never half of each.
      const f4 = await create();
      const race = await Promise.all([put(f4.id, { port_id: pa.id }), put(f4.id, { port_id: pb.id })]);
      assert.ok(race.some((r) => r.status === 200));
      for (const r of race.filter((x) => x.status !== 200))
        assert.deepEqual(
          [r.status, r.body],
          [
            409,
            neutron(
              'Conflict',
              `Floating IP ${f4.id} was associated or disassociated by another request meanwhile; retry.`,
            ),
          ],
        );
      const final = (await req('GET', `${FIPS}/${f4.id}`, { as: 'member' })).body.floatingip;
      const port = [pa, pb].find((p) => p.id === final.port_id);
      assert.ok(port, final.port_id);
      assert.equal(final.fixed_ip_address, port.fixed_ips[0].ip_address);
      const onPorts = (await req('GET', FIPS, { as: 'member' })).body.floatingips.filter(
        (x: { port_id: string | null }) => x.port_id !== null,
      );
      assert.equal(onPorts.length, 1);
      assert.equal((await req('DELETE', `${FIPS}/${f4.id}`, { as: 'member' })).status, 204);
      for (const s of [a, b]) await req('DELETE', `/v2.1/servers/${s}`, { as: 'member' });
      await cloud.drain();
    });

    test('Delete Server: the floating IP on its port is disassociated, kept, and associates with another server at once', async () => {
      const first = await cloud.createServer('member');
      const fip = await create();
      assert.equal((await put(fip.id, { port_id: (await portOf(first)).id })).status, 200);
      assert.equal((await req('DELETE', `/v2.1/servers/${first}`, { as: 'member' })).status, 204);
      await cloud.drain();
      const after = await req('GET', `${FIPS}/${fip.id}`, { as: 'member' });
      assert.deepEqual(
        [after.body.floatingip.port_id, after.body.floatingip.fixed_ip_address, after.body.floatingip.status],
        [null, null, 'DOWN'],
      );
      assert.deepEqual([after.body.floatingip.router_id, after.body.floatingip.port_details], [null, null]);
      const second = await cloud.createServer('member');
      const again = await put(fip.id, { port_id: (await portOf(second)).id });
      assert.deepEqual([again.status, again.body.floatingip.status], [200, 'ACTIVE']);
      // A user's port is only unbound by the delete: Neutron keeps its floating IP.
      const userPort = await req('POST', '/networking/v2.0/ports', {
        as: 'member',
        body: { port: { network_id: priv } },
      });
      const third = await cloud.createServer('member', { networks: [{ port: userPort.body.port.id }] });
      const kept = await create();
      assert.equal((await put(kept.id, { port_id: userPort.body.port.id })).status, 200);
      await req('DELETE', `/v2.1/servers/${third}`, { as: 'member' });
      await cloud.drain();
      const still = (await req('GET', `${FIPS}/${kept.id}`, { as: 'member' })).body.floatingip;
      assert.deepEqual([still.port_id, still.status], [userPort.body.port.id, 'ACTIVE']);
      // Deleting that port (Neutron's port delete) disassociates it.
      assert.equal(
        (await req('DELETE', `/networking/v2.0/ports/${userPort.body.port.id}`, { as: 'member' })).status,
        204,
      );
      const freed = (await req('GET', `${FIPS}/${kept.id}`, { as: 'member' })).body.floatingip;
      assert.deepEqual([freed.port_id, freed.status], [null, 'DOWN']);
      // os-interface detach of a port Nova made disassociates too.
      const att = await req('POST', `/v2.1/servers/${second}/os-interface`, {
        as: 'member',
        body: { interfaceAttachment: { net_id: priv } },
      });
      assert.equal(att.status, 200, att.text);
      await cloud.drain();
      const extra = att.body.interfaceAttachment.port_id;
      assert.equal((await put(kept.id, { port_id: extra })).status, 200);
      assert.equal(
        (await req('DELETE', `/v2.1/servers/${second}/os-interface/${extra}`, { as: 'member' })).status,
        202,
      );
      await cloud.drain();
      const detached = (await req('GET', `${FIPS}/${kept.id}`, { as: 'member' })).body.floatingip;
      assert.deepEqual([detached.port_id, detached.status], [null, 'DOWN']);
      for (const id of [fip.id, kept.id])
        assert.equal((await req('DELETE', `${FIPS}/${id}`, { as: 'member' })).status, 204);
      await req('DELETE', `/v2.1/servers/${second}`, { as: 'member' });
      await cloud.drain();
    });
  });
}
