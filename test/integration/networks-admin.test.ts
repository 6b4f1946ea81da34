// Neutron network writes (create, update, delete) with Neutron's validation, policy and fault
// bodies, on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const neutron = (type: string, message: string) => ({ NeutronError: { type, message, detail: '' } });
const NET = '/networking/v2.0';
const MISSING = '6f9b1b8c-0000-4000-8000-000000000000';

for (const target of databaseTargets()) {
  describe(`networks admin (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const create = (as: Persona, network: Record<string, unknown>) =>
      req('POST', `${NET}/networks`, { as, body: { network } });

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    test('create: 201 with Neutron defaults; show, list with filters and fields', async () => {
      const res = await create('member', { name: 'net-a', description: 'd' });
      assert.equal(res.status, 201, res.text);
      const n = res.body.network;
      assert.equal(n.name, 'net-a');
      assert.equal(n.description, 'd');
      assert.equal(n.project_id, cloud.projects.member);
      assert.equal(n.admin_state_up, true);
      assert.equal(n.shared, false);
      assert.equal(n['router:external'], false);
      assert.equal(n.port_security_enabled, true);
      assert.equal(n.mtu, 1450);
      assert.deepEqual(n.subnets, []);
      assert.equal(n.status, 'ACTIVE');
      const show = await req('GET', `${NET}/networks/${n.id}`, { as: 'reader' });
      assert.equal(show.status, 200);
      assert.equal(show.body.network.id, n.id);
      const list = await req('GET', `${NET}/networks?name=net-a&fields=id&fields=name`, { as: 'member' });
      assert.deepEqual(list.body.networks, [{ id: n.id, name: 'net-a' }]);
      const ext = await req('GET', `${NET}/networks?router:external=True`, { as: 'member' });
      assert.deepEqual(
        ext.body.networks.map((x: { name: string }) => x.name),
        ['public'],
      );
      // Another project neither sees nor finds it.
      assert.deepEqual((await req('GET', `${NET}/networks?name=net-a`, { as: 'other' })).body.networks, []);
      const hidden = await req('GET', `${NET}/networks/${n.id}`, { as: 'other' });
      assert.equal(hidden.status, 404);
      assert.deepEqual(hidden.body, neutron('NetworkNotFound', `Network ${n.id} could not be found.`));
    });

    test('policy: shared and router:external are admin-only; readers and no token are refused', async () => {
      const shared = await create('member', { name: 's', shared: true });
      assert.equal(shared.status, 403);
      assert.deepEqual(
        shared.body,
        neutron('PolicyNotAuthorized', '(rule:create_network and rule:create_network:shared) is disallowed by policy'),
      );
      const ext = await create('member', { name: 'e', 'router:external': true });
      assert.equal(ext.status, 403);
      assert.deepEqual(
        ext.body,
        neutron(
          'PolicyNotAuthorized',
          '(rule:create_network and rule:create_network:router:external) is disallowed by policy',
        ),
      );
      const reader = await create('reader', { name: 'r' });
      assert.equal(reader.status, 403);
      assert.deepEqual(reader.body, neutron('PolicyNotAuthorized', 'rule:create_network is disallowed by policy'));
      const anon = await req('POST', `${NET}/networks`, { body: { network: { name: 'x' } } });
      assert.equal(anon.status, 401);
      const admin = await create('admin', { name: 'adm-ext', shared: true, 'router:external': true });
      assert.equal(admin.status, 201, admin.text);
      assert.equal(admin.body.network.shared, true);
      assert.equal(admin.body.network['router:external'], true);
      const forOther = await create('admin', { name: 'for-other', project_id: cloud.projects.other });
      assert.equal(forOther.status, 201);
      assert.equal(forOther.body.network.project_id, cloud.projects.other);
      const memberForOther = await create('member', { name: 'x', project_id: cloud.projects.other });
      assert.equal(memberForOther.status, 400);
      assert.deepEqual(
        memberForOther.body,
        neutron(
          'HTTPBadRequest',
          "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
        ),
      );
    });

    test('bad input: 400 with Neutron messages, never a 500', async () => {
      const cases: Array<[unknown, string, string]> = [
        [{ name: 5 }, 'HTTPBadRequest', "Invalid input for name. Reason: '5' is not a valid string."],
        [
          { name: 'x'.repeat(256) },
          'HTTPBadRequest',
          `Invalid input for name. Reason: '${'x'.repeat(256)}' exceeds maximum length of 255.`,
        ],
        [
          { admin_state_up: 'maybe' },
          'HTTPBadRequest',
          "Invalid input for admin_state_up. Reason: 'maybe' cannot be converted to boolean.",
        ],
        [{ mtu: 'big' }, 'HTTPBadRequest', "Invalid input for mtu. Reason: 'big' is not an integer."],
        [{ mtu: 9000 }, 'InvalidInput', 'Invalid input for operation: Requested MTU is too big, maximum is 1500.'],
        [{ mtu: -1 }, 'HTTPBadRequest', "Invalid input for mtu. Reason: '-1' should be non-negative."],
        [{ bogus: 1 }, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'"],
      ];
      for (const [network, type, message] of cases) {
        const res = await create('member', network as Record<string, unknown>);
        assert.equal(res.status, 400, JSON.stringify(network));
        assert.deepEqual(res.body, neutron(type, message));
      }
      const noKey = await req('POST', `${NET}/networks`, { as: 'member', body: { net: {} } });
      assert.equal(noKey.status, 400);
      assert.deepEqual(noKey.body, neutron('HTTPBadRequest', "Unable to find 'network' in request body"));
      const notDict = await req('POST', `${NET}/networks`, { as: 'member', body: { network: [1] } });
      assert.equal(notDict.status, 400);
      assert.deepEqual(
        notDict.body,
        neutron('HTTPBadRequest', "Invalid input for operation: '[1]' is not a dictionary."),
      );
    });

    test('update: own network; shared admin-only; another project 404; reader 403', async () => {
      const n = (await create('member', { name: 'upd' })).body.network;
      const res = await req('PUT', `${NET}/networks/${n.id}`, {
        as: 'member',
        body: { network: { name: 'upd2', mtu: 1400, admin_state_up: false, description: 'x' } },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.network.name, 'upd2');
      assert.equal(res.body.network.mtu, 1400);
      assert.equal(res.body.network.admin_state_up, false);
      assert.equal(res.body.network.revision_number, 2);
      const shared = await req('PUT', `${NET}/networks/${n.id}`, { as: 'member', body: { network: { shared: true } } });
      assert.equal(shared.status, 403);
      assert.deepEqual(
        shared.body,
        neutron('PolicyNotAuthorized', '(rule:update_network and rule:update_network:shared) is disallowed by policy'),
      );
      const reader = await req('PUT', `${NET}/networks/${n.id}`, { as: 'reader', body: { network: { name: 'r' } } });
      assert.equal(reader.status, 403);
      assert.deepEqual(reader.body, neutron('PolicyNotAuthorized', 'rule:update_network is disallowed by policy'));
      const other = await req('PUT', `${NET}/networks/${n.id}`, { as: 'other', body: { network: { name: 'o' } } });
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, neutron('NetworkNotFound', `Network ${n.id} could not be found.`));
      const ro = await req('PUT', `${NET}/networks/${n.id}`, { as: 'member', body: { network: { project_id: 'x' } } });
      assert.equal(ro.status, 400);
      assert.deepEqual(ro.body, neutron('HTTPBadRequest', "Unrecognized attribute(s) 'project_id'"));
      // A shared network of another project is visible but not writable.
      const priv = (await req('GET', `${NET}/networks?name=private`, { as: 'member' })).body.networks[0];
      const notMine = await req('PUT', `${NET}/networks/${priv.id}`, {
        as: 'member',
        body: { network: { name: 'p' } },
      });
      assert.equal(notMine.status, 403);
    });

    test('delete: 204; with a port in use 409 NetworkInUse; missing 404; subnets go with it', async () => {
      const n = (await create('member', { name: 'del' })).body.network;
      const sub = await req('POST', `${NET}/subnets`, {
        as: 'member',
        body: { subnet: { network_id: n.id, cidr: '10.9.0.0/24', ip_version: 4 } },
      });
      assert.equal(sub.status, 201, sub.text);
      const port = await req('POST', `${NET}/ports`, { as: 'member', body: { port: { network_id: n.id } } });
      assert.equal(port.status, 201, port.text);
      const inUse = await req('DELETE', `${NET}/networks/${n.id}`, { as: 'member' });
      assert.equal(inUse.status, 409);
      assert.deepEqual(
        inUse.body,
        neutron(
          'NetworkInUse',
          `Unable to complete operation on network ${n.id}. There are one or more ports still in use on the network.`,
        ),
      );
      assert.equal((await req('DELETE', `${NET}/ports/${port.body.port.id}`, { as: 'member' })).status, 204);
      const reader = await req('DELETE', `${NET}/networks/${n.id}`, { as: 'reader' });
      assert.equal(reader.status, 403);
      assert.deepEqual(reader.body, neutron('PolicyNotAuthorized', 'rule:delete_network is disallowed by policy'));
      assert.equal((await req('DELETE', `${NET}/networks/${n.id}`, { as: 'other' })).status, 404);
      assert.equal((await req('DELETE', `${NET}/networks/${n.id}`, { as: 'member' })).status, 204);
      const gone = await req('GET', `${NET}/subnets/${sub.body.subnet.id}`, { as: 'member' });
      assert.equal(gone.status, 404);
      const missing = await req('DELETE', `${NET}/networks/${MISSING}`, { as: 'member' });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, neutron('NetworkNotFound', `Network ${MISSING} could not be found.`));
      const bad = await req('DELETE', `${NET}/networks/not-a-uuid`, { as: 'member' });
      assert.equal(bad.status, 404);
    });

    test('405 with Allow for other methods', async () => {
      const res = await req('PATCH', `${NET}/networks`, { as: 'member' });
      assert.equal(res.status, 405);
    });
  });
}
