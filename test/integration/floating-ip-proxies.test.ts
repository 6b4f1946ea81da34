// Nova's floating IP proxies: os-floating-ips (to 2.35), os-floating-ip-pools, and the
// addFloatingIp/removeFloatingIp server actions (to 2.43), on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const nova = (key: string, code: number, message: string) => ({ [key]: { code, message } });
const bad = (m: string) => nova('badRequest', 400, m);
const notFound = (m: string) => nova('itemNotFound', 404, m);
const conflict = (m: string) => nova('conflictingRequest', 409, m);
const forbidden = (rule: string) => nova('forbidden', 403, `Policy doesn't allow ${rule} to be performed.`);
const NO_RESOURCE = notFound('The resource could not be found.');
const MISSING = '6f9b1b8c-0000-4000-8000-000000000000';

for (const target of databaseTargets()) {
  describe(`floating IP proxies (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const action = (
      id: string,
      body: unknown,
      opts: { as?: 'member' | 'reader' | 'other' | 'admin'; mv?: string } = {},
    ) => req('POST', `/v2.1/servers/${id}/action`, { as: opts.as ?? 'member', mv: opts.mv ?? '2.43', body });

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    test("os-floating-ips: allocate from a pool, list, show, delete; Nova's view and refusals", async () => {
      const res = await req('POST', '/v2.1/os-floating-ips', { as: 'member', body: { pool: 'public' } });
      assert.equal(res.status, 200, res.text);
      const f = res.body.floating_ip;
      assert.match(f.ip, /^172\.24\.4\.\d+$/);
      assert.deepEqual(
        { ...f, id: 'x', ip: 'y' },
        { id: 'x', ip: 'y', pool: 'public', fixed_ip: null, instance_id: null },
      );
      const list = await req('GET', '/v2.1/os-floating-ips', { as: 'reader' });
      assert.deepEqual([list.status, list.body], [200, { floating_ips: [f] }]);
      assert.deepEqual((await req('GET', '/v2.1/os-floating-ips', { as: 'other' })).body, { floating_ips: [] });
      // An admin lists its own project's (Nova filters by the project), but may show any.
      assert.deepEqual((await req('GET', '/v2.1/os-floating-ips', { as: 'admin' })).body, { floating_ips: [] });
      assert.deepEqual((await req('GET', `/v2.1/os-floating-ips/${f.id}`, { as: 'admin' })).body, { floating_ip: f });
      const shown = await req('GET', `/v2.1/os-floating-ips/${f.id}`, { as: 'member' });
      assert.deepEqual([shown.status, shown.body], [200, { floating_ip: f }]);
      const alt = await req('GET', `/v2.1/os-floating-ips/${f.id}`, { as: 'other' });
      assert.deepEqual([alt.status, alt.body], [404, notFound(`Floating IP not found for ID ${f.id}`)]);
      const altDel = await req('DELETE', `/v2.1/os-floating-ips/${f.id}`, { as: 'other' });
      assert.deepEqual([altDel.status, altDel.body], [404, notFound(`Floating IP not found for ID ${f.id}`)]);
      const readerDel = await req('DELETE', `/v2.1/os-floating-ips/${f.id}`, { as: 'reader' });
      assert.deepEqual([readerDel.status, readerDel.body], [403, forbidden('os_compute_api:os-floating-ips:delete')]);
      const del = await req('DELETE', `/v2.1/os-floating-ips/${f.id}`, { as: 'member' });
      assert.deepEqual([del.status, del.text], [202, '']);
      const gone = await req('GET', `/v2.1/os-floating-ips/${f.id}`, { as: 'member' });
      assert.deepEqual([gone.status, gone.body], [404, notFound(`Floating IP not found for ID ${f.id}`)]);
      const byId = await req('POST', '/v2.1/os-floating-ips', { as: 'member', body: { pool: 'nowhere' } });
      assert.deepEqual([byId.status, byId.body], [404, notFound('Floating IP pool not found.')]);
      assert.equal((await req('POST', '/v2.1/os-floating-ips', { as: 'member', mv: '2.36', body: {} })).status, 404);
      assert.equal((await req('GET', `/v2.1/os-floating-ips/${MISSING}`, { as: 'member', mv: '2.35' })).status, 404);
    });

    test("addFloatingIp / removeFloatingIp: the server addresses, Nova's messages, 2.44 removes them", async () => {
      const server = await cloud.createServer('member');
      const other = await cloud.createServer('member');
      const f = (await req('POST', '/v2.1/os-floating-ips', { as: 'member', body: { pool: 'public' } })).body
        .floating_ip;
      const fixed = (await cloud.server(server, 'member')).body.server.addresses.private[0].addr;
      let res = await action(server, { addFloatingIp: { address: f.ip } });
      assert.deepEqual([res.status, res.text], [202, '']);
      const addrs = (await cloud.server(server, 'member')).body.server.addresses.private;
      assert.deepEqual(
        addrs.map((a: Record<string, unknown>) => [a.addr, a['OS-EXT-IPS:type']]),
        [
          [fixed, 'fixed'],
          [f.ip, 'floating'],
        ],
      );
      const shown = (await req('GET', `/v2.1/os-floating-ips/${f.id}`, { as: 'member' })).body.floating_ip;
      assert.deepEqual([shown.fixed_ip, shown.instance_id], [fixed, server]);
      const cases: Array<[string, unknown, number, unknown]> = [
        [
          server,
          { addFloatingIp: {} },
          400,
          bad("Invalid input for field/attribute addFloatingIp. Value: {}. 'address' is a required property"),
        ],
        [
          server,
          { addFloatingIp: { address: 'abc' } },
          400,
          bad(
            "Invalid input for field/attribute address. Value: abc. 'abc' is not valid under any of the given schemas",
          ),
        ],
        [
          server,
          { addFloatingIp: { address: f.ip, x: 1 } },
          400,
          bad(
            `Invalid input for field/attribute addFloatingIp. Value: {'address': '${f.ip}', 'x': 1}. Additional properties are not allowed ('x' was unexpected)`,
          ),
        ],
        [
          server,
          { addFloatingIp: { address: f.ip, fixed_address: '10.0.0.250' } },
          400,
          bad('Specified fixed address not assigned to instance'),
        ],
        [server, { addFloatingIp: { address: '172.24.4.250' } }, 404, notFound('floating IP not found')],
        [MISSING, { addFloatingIp: { address: f.ip } }, 404, notFound(`Instance ${MISSING} could not be found.`)],
        [
          server,
          { removeFloatingIp: { address: '172.24.4.250' } },
          404,
          notFound('Floating IP not found for address 172.24.4.250.'),
        ],
        [
          other,
          { removeFloatingIp: { address: f.ip } },
          409,
          conflict(`Floating IP ${f.ip} is not associated with instance ${other}.`),
        ],
        [
          server,
          { removeFloatingIp: 5 },
          400,
          bad("Invalid input for field/attribute removeFloatingIp. Value: 5. 5 is not of type 'object'"),
        ],
      ];
      for (const [id, body, status, fault] of cases) {
        const r = await action(id, body);
        assert.deepEqual([r.status, r.body], [status, fault], JSON.stringify(body));
      }
      // Moving it to another server is Neutron's update: allowed, as Nova's associate.
      res = await action(other, { addFloatingIp: { address: f.ip } });
      assert.equal(res.status, 202);
      const alt = await action(other, { removeFloatingIp: { address: f.ip } }, { as: 'other' });
      assert.deepEqual([alt.status, alt.body], [404, notFound('Floating IP not found for address ' + f.ip + '.')]);
      const reader = await action(other, { addFloatingIp: { address: f.ip } }, { as: 'reader' });
      assert.deepEqual([reader.status, reader.body], [403, forbidden('os_compute_api:os-floating-ips:add')]);
      const readerRm = await action(other, { removeFloatingIp: { address: f.ip } }, { as: 'reader' });
      assert.deepEqual([readerRm.status, readerRm.body], [403, forbidden('os_compute_api:os-floating-ips:remove')]);
      for (const key of ['addFloatingIp', 'removeFloatingIp']) {
        const r = await action(other, { [key]: { address: f.ip } }, { mv: '2.44' });
        assert.deepEqual([r.status, r.body], [404, NO_RESOURCE], key);
      }
      res = await action(other, { removeFloatingIp: { address: f.ip } });
      assert.deepEqual([res.status, res.text], [202, '']);
      assert.equal(
        (await req('GET', `/v2.1/os-floating-ips/${f.id}`, { as: 'member' })).body.floating_ip.instance_id,
        null,
      );
      assert.equal((await cloud.server(other, 'member')).body.server.addresses.private.length, 1);
      assert.equal((await req('DELETE', `/v2.1/os-floating-ips/${f.id}`, { as: 'member' })).status, 202);
      for (const s of [server, other]) await req('DELETE', `/v2.1/servers/${s}`, { as: 'member' });
      await cloud.drain();
    });
  });
}
