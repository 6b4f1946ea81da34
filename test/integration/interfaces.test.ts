// os-interface: list, show, attach (by port, by network, with a fixed IP, 2.49 tag), detach, and
// what happens to the ports on detach, on a failed attach and on server delete.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import { databaseTargets } from '../../src/testing/databases.js';

const host = 'compute-test';
const NIL = '00000000-0000-4000-8000-000000000000';

for (const target of databaseTargets()) {
  describe(`os-interface on ${target.name}`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let netId: string;
    const driver = () => cloud.stack.agents[0].driver as FakeDriver;
    const ifaces = (id: string, as: Persona = 'member', mv?: string) =>
      cloud.request('GET', `/v2.1/servers/${id}/os-interface`, { as, mv });
    const attach = (id: string, body: unknown, as: Persona = 'member', mv?: string) =>
      cloud.request('POST', `/v2.1/servers/${id}/os-interface`, { as, body, mv });
    const detach = (id: string, port: string, as: Persona = 'member') =>
      cloud.request('DELETE', `/v2.1/servers/${id}/os-interface/${port}`, { as });
    const port = (id: string) => cloud.request('GET', `/networking/v2.0/ports/${id}`, { as: 'admin' });
    const newPort = async (as: Persona = 'member') =>
      (
        await cloud.request('POST', '/networking/v2.0/ports', {
          as,
          body: { port: { network_id: netId, name: 'mine' } },
        })
      ).body.port.id as string;
    const fault = (f: Record<string, unknown>) =>
      cloud.request('POST', '/stratus/v1/faults', { as: 'admin', body: { fault: { host, ...f } } });

    before(async () => {
      const t = await target.url();
      drop = t.drop;
      cloud = await TestCloud.start({ database: t.url });
      netId = (await cloud.request('GET', '/networking/v2.0/networks?name=private', { as: 'member' })).body.networks[0]
        .id;
    });
    after(async () => {
      await cloud.close();
      await drop();
    });

    test('list shows the boot port; show it; persona matrix', async () => {
      const id = await cloud.createServer('member');
      const res = await ifaces(id);
      assert.equal(res.status, 200);
      assert.equal(res.body.interfaceAttachments.length, 1);
      const a = res.body.interfaceAttachments[0];
      assert.deepEqual(Object.keys(a).sort(), ['fixed_ips', 'mac_addr', 'net_id', 'port_id', 'port_state']);
      assert.equal(a.net_id, netId);
      assert.equal(a.port_state, 'ACTIVE');
      const shown = await cloud.request('GET', `/v2.1/servers/${id}/os-interface/${a.port_id}`, { as: 'reader' });
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.interfaceAttachment, a);
      assert.equal((await ifaces(id, 'admin')).status, 200);
      assert.equal((await ifaces(id, 'reader')).status, 200);
      const other = await ifaces(id, 'other');
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
      const anon = await cloud.request('GET', `/v2.1/servers/${id}/os-interface`);
      assert.equal(anon.status, 401);
      // 2.70 shows the tag (none for a boot port).
      const v270 = await ifaces(id, 'member', '2.70');
      assert.equal(v270.body.interfaceAttachments[0].tag, null);
    });

    test('show: 404 for a port of no server, of another server, hidden or unknown', async () => {
      const id = await cloud.createServer('member');
      const free = await newPort();
      const res = await cloud.request('GET', `/v2.1/servers/${id}/os-interface/${free}`, { as: 'member' });
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, {
        itemNotFound: { code: 404, message: `Instance ${id} does not have a port with id ${free}` },
      });
      const unknown = await cloud.request('GET', `/v2.1/servers/${id}/os-interface/${NIL}`, { as: 'member' });
      assert.deepEqual(unknown.body, { itemNotFound: { code: 404, message: `Port id ${NIL} could not be found.` } });
      const hidden = await newPort('other');
      const h = await cloud.request('GET', `/v2.1/servers/${id}/os-interface/${hidden}`, { as: 'member' });
      assert.deepEqual(h.body, { itemNotFound: { code: 404, message: `Port id ${hidden} could not be found.` } });
    });

    test('attach by network (with a 2.49 tag): a port created for the server, in addresses; detach deletes it', async () => {
      const id = await cloud.createServer('member');
      const res = await attach(id, { interfaceAttachment: { net_id: netId, tag: 'nic2' } }, 'member', '2.70');
      assert.equal(res.status, 200, res.text);
      const a = res.body.interfaceAttachment;
      assert.equal(a.net_id, netId);
      assert.equal(a.tag, 'nic2');
      assert.equal(a.port_state, 'ACTIVE');
      const p = (await port(a.port_id)).body.port;
      assert.equal(p.device_id, id);
      assert.equal(p.device_owner, 'compute:nova');
      assert.equal(p['binding:host_id'], host);
      const guest = await driver().interfaces(id);
      assert.deepEqual(
        guest.map((g) => g.portId),
        [a.port_id],
      );
      const addrs = (await cloud.server(id, 'member')).body.server.addresses.private.map(
        (x: { addr: string }) => x.addr,
      );
      assert.ok(addrs.includes(a.fixed_ips[0].ip_address));
      assert.equal((await ifaces(id)).body.interfaceAttachments.length, 2);
      const d = await detach(id, a.port_id);
      assert.equal(d.status, 202);
      assert.equal(d.text, '');
      await cloud.drain();
      assert.equal((await port(a.port_id)).status, 404, 'the port Nova created is deleted');
      assert.deepEqual(await driver().interfaces(id), []);
      assert.equal((await ifaces(id)).body.interfaceAttachments.length, 1);
    });

    test('attach the user port, then detach: only unbound; another server cannot take it while in use', async () => {
      const id = await cloud.createServer('member');
      const id2 = await cloud.createServer('member');
      const mine = await newPort();
      const res = await attach(id, { interfaceAttachment: { port_id: mine } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.interfaceAttachment.port_id, mine);
      assert.equal('tag' in res.body.interfaceAttachment, false);
      const busy = await attach(id2, { interfaceAttachment: { port_id: mine } });
      assert.equal(busy.status, 409);
      assert.deepEqual(busy.body, { conflictingRequest: { code: 409, message: `Port ${mine} is still in use.` } });
      assert.equal((await detach(id, mine)).status, 202);
      await cloud.drain();
      const p = (await port(mine)).body.port;
      assert.deepEqual([p.device_id, p.device_owner, p['binding:host_id']], ['', '', '']);
      // Tempest test_reassign_port_between_servers: the freed port goes to the other server.
      assert.equal((await attach(id2, { interfaceAttachment: { port_id: mine } })).status, 200);
    });

    test('attach without a body picks the only network; with a fixed IP', async () => {
      const id = await cloud.createServer('member');
      const res = await cloud.request('POST', `/v2.1/servers/${id}/os-interface`, { as: 'member' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.interfaceAttachment.net_id, netId);
      const ip = await attach(id, {
        interfaceAttachment: { net_id: netId, fixed_ips: [{ ip_address: '10.0.0.200' }] },
      });
      assert.equal(ip.status, 200, ip.text);
      assert.equal(ip.body.interfaceAttachment.fixed_ips[0].ip_address, '10.0.0.200');
      const again = await attach(id, {
        interfaceAttachment: { net_id: netId, fixed_ips: [{ ip_address: '10.0.0.200' }] },
      });
      assert.equal(again.status, 409);
      assert.deepEqual(again.body, {
        conflictingRequest: { code: 409, message: 'Fixed IP 10.0.0.200 is already in use.' },
      });
      const outside = await attach(id, {
        interfaceAttachment: { net_id: netId, fixed_ips: [{ ip_address: '192.168.9.9' }] },
      });
      assert.equal(outside.status, 400);
      assert.deepEqual(outside.body, {
        badRequest: {
          code: 400,
          message: `Invalid input received: Fixed IP 192.168.9.9 is not a valid ip address for network ${netId}.`,
        },
      });
    });

    test('attach: bad input is 400 with Nova messages, unknown port and network 404', async () => {
      const id = await cloud.createServer('member');
      const cases: Array<[unknown, string, string?]> = [
        [{ interfaceAttachment: { net_id: netId, port_id: NIL } }, 'Must not input both network_id and port_id'],
        [
          { interfaceAttachment: { port_id: NIL, fixed_ips: [{ ip_address: '10.0.0.9' }] } },
          'Must input network_id when request IP address',
        ],
        [
          { interfaceAttachment: { net_id: 'nope' } },
          "Invalid input for field/attribute net_id. Value: nope. 'nope' is not a 'uuid'",
        ],
        [
          { interfaceAttachment: { port_id: 5 } },
          "Invalid input for field/attribute port_id. Value: 5. 5 is not of type 'string'",
        ],
        [
          { interfaceAttachment: { net_id: netId, tag: 'x' } },
          `Invalid input for field/attribute interfaceAttachment. Value: {'net_id': '${netId}', 'tag': 'x'}. Additional properties are not allowed ('tag' was unexpected)`,
        ],
        [
          { interfaceAttachment: { net_id: netId, tag: 'a'.repeat(61) } },
          `Invalid input for field/attribute tag. Value: ${'a'.repeat(61)}. '${'a'.repeat(61)}' is too long`,
          '2.49',
        ],
        [
          { interfaceAttachment: { net_id: netId, fixed_ips: [] } },
          'Invalid input for field/attribute fixed_ips. Value: []. [] should be non-empty',
        ],
        [
          { interfaceAttachment: { net_id: netId, fixed_ips: [{ ip_address: 'x' }] } },
          "Invalid input for field/attribute ip_address. Value: x. 'x' is not valid under any of the given schemas",
        ],
        [{ bogus: 1 }, "Additional properties are not allowed ('bogus' was unexpected)"],
        [[1], "[1] is not of type 'object'"],
      ];
      for (const [body, message, mv] of cases) {
        const res = await attach(id, body, 'member', mv);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, { badRequest: { code: 400, message } }, JSON.stringify(body));
      }
      const np = await attach(id, { interfaceAttachment: { port_id: NIL } });
      assert.equal(np.status, 404);
      assert.deepEqual(np.body, { itemNotFound: { code: 404, message: `Port id ${NIL} could not be found.` } });
      const foreign = await newPort('other');
      const fp = await attach(id, { interfaceAttachment: { port_id: foreign } });
      assert.deepEqual(fp.body, { itemNotFound: { code: 404, message: `Port id ${foreign} could not be found.` } });
      const nn = await attach(id, { interfaceAttachment: { net_id: NIL } });
      assert.equal(nn.status, 404);
      assert.deepEqual(nn.body, { itemNotFound: { code: 404, message: `Network ${NIL} could not be found.` } });
      const nd = await detach(id, NIL);
      assert.equal(nd.status, 404);
      assert.deepEqual(nd.body, { itemNotFound: { code: 404, message: `Port ${NIL} is not attached` } });
    });

    test('policy: reader 403, other project 404, admin may; locked 409; wrong state 409', async () => {
      const id = await cloud.createServer('member');
      const r = await attach(id, { interfaceAttachment: { net_id: netId } }, 'reader');
      assert.equal(r.status, 403);
      assert.deepEqual(r.body, {
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:os-attach-interfaces:create to be performed.",
        },
      });
      const boot = (await ifaces(id)).body.interfaceAttachments[0].port_id;
      const rd = await detach(id, boot, 'reader');
      assert.deepEqual(rd.body, {
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:os-attach-interfaces:delete to be performed.",
        },
      });
      const o = await attach(id, { interfaceAttachment: { net_id: netId } }, 'other');
      assert.deepEqual(o.body, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
      assert.equal((await detach(id, boot, 'other')).status, 404);
      assert.equal((await cloud.request('POST', `/v2.1/servers/${id}/os-interface`, { body: {} })).status, 401);
      const byAdmin = await attach(id, { interfaceAttachment: { net_id: netId } }, 'admin');
      assert.equal(byAdmin.status, 200, byAdmin.text);

      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { lock: null } });
      const locked = await attach(id, { interfaceAttachment: { net_id: netId } });
      assert.equal(locked.status, 409);
      assert.deepEqual(locked.body, { conflictingRequest: { code: 409, message: `Instance ${id} is locked` } });
      assert.deepEqual((await detach(id, boot)).body, {
        conflictingRequest: { code: 409, message: `Instance ${id} is locked` },
      });
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { unlock: null } });

      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { suspend: null } });
      await cloud.drain();
      const susp = await attach(id, { interfaceAttachment: { net_id: netId } });
      assert.equal(susp.status, 409);
      assert.deepEqual(susp.body, {
        conflictingRequest: {
          code: 409,
          message: `Cannot 'attach_interface' instance ${id} while it is in vm_state suspended`,
        },
      });
      assert.deepEqual((await detach(id, boot)).body, {
        conflictingRequest: {
          code: 409,
          message: `Cannot 'detach_interface' instance ${id} while it is in vm_state suspended`,
        },
      });
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { resume: null } });
      await cloud.drain();
      // STOPPED is allowed (Nova's ACTIVE, PAUSED, STOPPED).
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { 'os-stop': null } });
      await cloud.drain();
      assert.equal((await attach(id, { interfaceAttachment: { net_id: netId } })).status, 200);
    });

    test('an injected attach failure rolls back (created port deleted, user port unbound): 500 InterfaceAttachFailed', async () => {
      const id = await cloud.createServer('member');
      const before = (await cloud.request('GET', '/networking/v2.0/ports', { as: 'admin' })).body.ports.length;
      assert.equal(
        (await fault({ operation: 'attach_interface', mode: 'fail', server_id: id, count: 2 })).status < 300,
        true,
      );
      const res = await attach(id, { interfaceAttachment: { net_id: netId } });
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, {
        computeFault: { code: 500, message: `Failed to attach network adapter device to ${id}` },
      });
      const after = (await cloud.request('GET', '/networking/v2.0/ports', { as: 'admin' })).body.ports.length;
      assert.equal(after, before, 'the port created for the attach is gone');
      const mine = await newPort();
      const res2 = await attach(id, { interfaceAttachment: { port_id: mine } });
      assert.equal(res2.status, 500);
      const p = (await port(mine)).body.port;
      assert.deepEqual([p.device_id, p['binding:host_id']], ['', '']);
      assert.equal((await cloud.server(id, 'member')).body.server.status, 'ACTIVE');
      await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
    });

    test('a failed detach leaves the port attached', async () => {
      const id = await cloud.createServer('member');
      const a = (await attach(id, { interfaceAttachment: { net_id: netId } })).body.interfaceAttachment;
      await fault({ operation: 'detach_interface', mode: 'fail', server_id: id });
      assert.equal((await detach(id, a.port_id)).status, 202);
      await cloud.drain();
      assert.equal((await port(a.port_id)).body.port.device_id, id);
      await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
    });

    test('delete of a server with attached interfaces: the port Nova created is gone, the user port unbound', async () => {
      const id = await cloud.createServer('member');
      const created = (await attach(id, { interfaceAttachment: { net_id: netId } })).body.interfaceAttachment.port_id;
      const mine = await newPort();
      assert.equal((await attach(id, { interfaceAttachment: { port_id: mine } })).status, 200);
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
      await cloud.drain();
      assert.equal((await port(created)).status, 404);
      const p = (await port(mine)).body.port;
      assert.deepEqual([p.device_id, p.device_owner, p['binding:host_id'], p.status], ['', '', '', 'DOWN']);
    });

    test('405 for other methods', async () => {
      const id = await cloud.createServer('member');
      const res = await cloud.request('PUT', `/v2.1/servers/${id}/os-interface`, { as: 'member', body: {} });
      assert.equal(res.status, 405);
    });
  });
}
