// Neutron quotas: set (admin), reset, list of overridden projects, defaults and details, and
// enforcement (409 OverQuota) on networks, subnets, ports, routers and security groups; Nova's
// PortLimitExceeded at boot; concurrent creates at the limit (exactly the limit wins), on
// SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const neutron = (type: string, message: string) => ({ NeutronError: { type, message, detail: '' } });
const NET = '/networking/v2.0';
const over = (r: string) => neutron('OverQuota', `Quota exceeded for resources: ['${r}'].`);

for (const target of databaseTargets()) {
  describe(`network quotas (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let other: string;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const setQuota = (quota: Record<string, unknown>, project = other) =>
      req('PUT', `${NET}/quotas/${project}`, { as: 'admin', body: { quota } });

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
      other = cloud.projects.other;
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    test('set, show, list, details and reset; only admins set and reset', async () => {
      const put = await setQuota({ network: 3, port: -1 });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.body.quota.network, 3);
      assert.equal(put.body.quota.port, -1);
      assert.equal(put.body.quota.subnet, 100);
      const show = await req('GET', `${NET}/quotas/${other}`, { as: 'other' });
      assert.equal(show.body.quota.network, 3);
      const dflt = await req('GET', `${NET}/quotas/${other}/default`, { as: 'other' });
      assert.equal(dflt.body.quota.network, 100);
      const list = await req('GET', `${NET}/quotas`, { as: 'admin' });
      assert.equal(list.status, 200);
      const mine = list.body.quotas.find((q: { project_id: string }) => q.project_id === other);
      assert.equal(mine.network, 3);
      assert.equal(mine.tenant_id, other);
      const det = await req('GET', `${NET}/quotas/${other}/details`, { as: 'other' });
      assert.deepEqual(det.body.quota.network, { used: 0, limit: 3, reserved: 0 });
      const member = await req('PUT', `${NET}/quotas/${other}`, { as: 'member', body: { quota: { network: 1 } } });
      assert.equal(member.status, 403);
      assert.equal(member.body.NeutronError.type, 'PolicyNotAuthorized');
      const own = await req('PUT', `${NET}/quotas/${other}`, { as: 'other', body: { quota: { network: 1 } } });
      assert.equal(own.status, 403);
      const memberDel = await req('DELETE', `${NET}/quotas/${other}`, { as: 'member' });
      assert.equal(memberDel.status, 403);
      assert.equal((await req('PUT', `${NET}/quotas/${other}`, { body: { quota: {} } })).status, 401);
      assert.equal((await req('DELETE', `${NET}/quotas/${other}`, { as: 'admin' })).status, 204);
      assert.equal((await req('GET', `${NET}/quotas/${other}`, { as: 'other' })).body.quota.network, 100);
      assert.equal(
        (await req('GET', `${NET}/quotas`, { as: 'admin' })).body.quotas.some(
          (q: { project_id: string }) => q.project_id === other,
        ),
        false,
      );
    });

    test('bad input: 400 with Neutron messages', async () => {
      const cases: Array<[unknown, string]> = [
        [{ quota: { network: 'many' } }, "Invalid input for network. Reason: 'many' is not an integer."],
        [{ quota: { network: -2 } }, "Invalid input for network. Reason: '-2' is too small - must be at least '-1'."],
        [
          { quota: { network: 2 ** 31 } },
          `Invalid input for network. Reason: '${2 ** 31}' is too large - must be no larger than '${2 ** 31 - 1}'.`,
        ],
        [{ quota: { volumes: 1 } }, "Unrecognized attribute(s) 'volumes'"],
        [{ quotas: {} }, "Unable to find 'quota' in request body"],
        [{ quota: [] }, "Invalid input for operation: '[]' is not a dictionary."],
      ];
      for (const [body, message] of cases) {
        const res = await req('PUT', `${NET}/quotas/${other}`, { as: 'admin', body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, neutron('HTTPBadRequest', message));
      }
    });

    test('enforced: networks, subnets, ports, routers, security groups and rules', async () => {
      await setQuota({ network: 1, subnet: 1, port: 1, router: 1, security_group: 2, security_group_rule: 9 });
      const n = await req('POST', `${NET}/networks`, { as: 'other', body: { network: { name: 'q1' } } });
      assert.equal(n.status, 201);
      const n2 = await req('POST', `${NET}/networks`, { as: 'other', body: { network: { name: 'q2' } } });
      assert.equal(n2.status, 409);
      assert.deepEqual(n2.body, over('network'));
      const sub = { network_id: n.body.network.id, ip_version: 4 };
      assert.equal(
        (await req('POST', `${NET}/subnets`, { as: 'other', body: { subnet: { ...sub, cidr: '10.1.0.0/24' } } }))
          .status,
        201,
      );
      const s2 = await req('POST', `${NET}/subnets`, {
        as: 'other',
        body: { subnet: { ...sub, cidr: '10.2.0.0/24' } },
      });
      assert.equal(s2.status, 409);
      assert.deepEqual(s2.body, over('subnet'));
      const p1 = await req('POST', `${NET}/ports`, { as: 'other', body: { port: { network_id: n.body.network.id } } });
      assert.equal(p1.status, 201, p1.text);
      const p2 = await req('POST', `${NET}/ports`, { as: 'other', body: { port: { network_id: n.body.network.id } } });
      assert.equal(p2.status, 409);
      assert.deepEqual(p2.body, over('port'));
      // Nova: Neutron's OverQuota for a server's port is PortLimitExceeded (403).
      const boot = await req('POST', '/v2.1/servers', {
        as: 'other',
        body: {
          server: {
            name: 'q',
            imageRef: (await req('GET', '/image/v2/images', { as: 'other' })).body.images[0].id,
            flavorRef: '1',
            networks: [{ uuid: n.body.network.id }],
          },
        },
      });
      assert.equal(boot.status, 403);
      assert.deepEqual(boot.body, { forbidden: { code: 403, message: 'Maximum number of ports exceeded' } });
      assert.equal(
        (await req('POST', `${NET}/routers`, { as: 'other', body: { router: { name: 'r1' } } })).status,
        201,
      );
      const r2 = await req('POST', `${NET}/routers`, { as: 'other', body: { router: { name: 'r2' } } });
      assert.equal(r2.status, 409);
      assert.deepEqual(r2.body, over('router'));
      // The default group (made by the first port) counts: one more group fits, not two.
      const g1 = await req('POST', `${NET}/security-groups`, { as: 'other', body: { security_group: { name: 'g1' } } });
      assert.equal(g1.status, 201, g1.text);
      const g2 = await req('POST', `${NET}/security-groups`, { as: 'other', body: { security_group: { name: 'g2' } } });
      assert.equal(g2.status, 409);
      assert.deepEqual(g2.body, over('security_group'));
      // 4 default rules + 2 of g1: three more rules fit into 9.
      const rules = [];
      for (const port of [22, 80, 443, 8080])
        rules.push(
          await req('POST', `${NET}/security-group-rules`, {
            as: 'other',
            body: {
              security_group_rule: {
                security_group_id: g1.body.security_group.id,
                direction: 'ingress',
                protocol: 'tcp',
                port_range_min: port,
                port_range_max: port,
              },
            },
          }),
        );
      assert.deepEqual(
        rules.map((r) => r.status),
        [201, 201, 201, 409],
      );
      assert.deepEqual(rules[3].body, over('security_group_rule'));
      await req('DELETE', `${NET}/quotas/${other}`, { as: 'admin' });
    });

    test('concurrent creates at the limit: exactly the limit wins', async () => {
      const admin = cloud.projects.admin;
      const used = (await req('GET', `${NET}/quotas/${admin}/details`, { as: 'admin' })).body.quota.network.used;
      await setQuota({ network: used + 3 }, admin);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          req('POST', `${NET}/networks`, { as: 'admin', body: { network: { name: `race-${i}` } } }),
        ),
      );
      const codes = results.map((r) => r.status).sort();
      assert.deepEqual(codes, [201, 201, 201, 409, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) assert.deepEqual(r.body, over('network'));
      await req('DELETE', `${NET}/quotas/${admin}`, { as: 'admin' });
    });
  });
}
