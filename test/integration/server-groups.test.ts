// os-server-groups (nova/api/openstack/compute/server_groups.py), the `group` scheduler hint of
// server create, placement by the group's policy over two compute nodes, the 2.71
// `server_groups` of the server view and the server_groups / server_group_members quotas, over
// real HTTP on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, UUID_RE, type HttpResult, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { DEMO_IMAGE_NAME } from '../../src/runtime/seed.js';

const FAULT_KEYS: Record<number, string> = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound' };

function assertFault(res: HttpResult, status: number, message: string) {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { [FAULT_KEYS[status]]: { code: status, message } });
}

const MISSING = '9d1f0fe3-5b1a-4d3c-8a0e-111111111111';
const NO_HOST = 'No valid host was found. ';

for (const target of databaseTargets()) {
  describe(`os-server-groups on ${target.name}`, () => {
    let cloud: TestCloud;
    let db: { url: string; drop(): Promise<void> };
    let image: string;
    const sg = (method: string, path: string, opts: { as?: Persona; body?: unknown; mv?: string } = {}) =>
      cloud.request(method, `/v2.1/os-server-groups${path}`, {
        body: opts.body,
        as: opts.as ?? 'member',
        mv: opts.mv ?? '2.64',
      });
    const create = async (policy: string, opts: { as?: Persona; rules?: object; name?: string } = {}) => {
      const res = await sg('POST', '', {
        as: opts.as,
        body: {
          server_group: { name: opts.name ?? `g-${policy}`, policy, ...(opts.rules ? { rules: opts.rules } : {}) },
        },
      });
      assert.equal(res.status, 200, res.text);
      return res.body.server_group.id as string;
    };
    /** Boots `count` servers into `group` in one request; answers their ids (the agents have run). */
    const boot = async (group: string, opts: { as?: Persona; count?: number } = {}) => {
      const count = opts.count ?? 1;
      const res = await cloud.request('POST', '/v2.1/servers', {
        as: opts.as ?? 'member',
        mv: '2.37',
        body: {
          server: { name: 'grouped', imageRef: image, flavorRef: '1', networks: 'none', min_count: count },
          'os:scheduler_hints': { group },
        },
      });
      assert.equal(res.status, 202, res.text);
      await cloud.drain();
      return res.body.server.id as string;
    };
    const members = async (group: string) =>
      (await sg('GET', `/${group}`, { as: 'admin' })).body.server_group.members as string[];
    const hostOf = async (id: string) => {
      const s = (await cloud.server(id)).body.server;
      return { status: s.status as string, host: s['OS-EXT-SRV-ATTR:host'] as string | null, fault: s.fault };
    };
    const setQuota = (quota_set: Record<string, number>) =>
      cloud.request('PUT', `/v2.1/os-quota-sets/${cloud.projects.member}`, { as: 'admin', body: { quota_set } });

    before(async () => {
      db = await target.url();
      cloud = await TestCloud.start({ database: db.url, agents: 2 });
      image = (await cloud.request('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body.images[0]
        .id;
    });
    after(async () => {
      await cloud?.close();
      await db?.drop();
    });

    describe('create and the views by microversion', () => {
      test('2.1: policies list, empty metadata, no owner fields; 200', async () => {
        const res = await sg('POST', '', { mv: '2.1', body: { server_group: { name: 'g1', policies: ['affinity'] } } });
        assert.equal(res.status, 200, res.text);
        const g = res.body.server_group;
        assert.match(g.id, UUID_RE);
        assert.deepEqual(g, { id: g.id, name: 'g1', policies: ['affinity'], metadata: {}, members: [] });
      });

      test('2.13: project_id and user_id; 2.15: the soft policies', async () => {
        const res = await sg('POST', '', {
          mv: '2.15',
          body: { server_group: { name: 'g2', policies: ['soft-anti-affinity'] } },
        });
        assert.equal(res.status, 200, res.text);
        const me = (
          await cloud.request('GET', '/identity/v3/auth/tokens', {
            as: 'admin',
            headers: { 'x-subject-token': cloud.tokens.member },
          })
        ).body.token.user.id;
        assert.deepEqual(res.body.server_group, {
          id: res.body.server_group.id,
          name: 'g2',
          policies: ['soft-anti-affinity'],
          metadata: {},
          members: [],
          project_id: cloud.projects.member,
          user_id: me,
        });
      });

      test('2.64: policy and rules, no policies or metadata', async () => {
        const res = await sg('POST', '', {
          body: { server_group: { name: 'g3', policy: 'anti-affinity', rules: { max_server_per_host: 3 } } },
        });
        assert.equal(res.status, 200, res.text);
        const g = res.body.server_group;
        assert.deepEqual(Object.keys(g).sort(), ['id', 'members', 'name', 'policy', 'project_id', 'rules', 'user_id']);
        assert.equal(g.policy, 'anti-affinity');
        assert.deepEqual(g.rules, { max_server_per_host: 3 });
        // Shown before 2.64 as a policies list.
        const old = await sg('GET', `/${g.id}`, { mv: '2.63' });
        assert.deepEqual(old.body.server_group.policies, ['anti-affinity']);
        assert.equal(old.body.server_group.rules, undefined);
        const plain = await sg('POST', '', { body: { server_group: { name: 'g4', policy: 'affinity' } } });
        assert.deepEqual(plain.body.server_group.rules, {});
      });

      const bad: Array<[string, string, unknown, string]> = [
        ['2.1', 'no body key', { foo: 1 }, "'server_group' is a required property"],
        ['2.1', 'not an object', [], "[] is not of type 'object'"],
        [
          '2.1',
          'no name',
          { server_group: { policies: ['affinity'] } },
          "Invalid input for field/attribute server_group. Value: {'policies': ['affinity']}. 'name' is a required property",
        ],
        [
          '2.1',
          'no policies',
          { server_group: { name: 'x' } },
          "Invalid input for field/attribute server_group. Value: {'name': 'x'}. 'policies' is a required property",
        ],
        [
          '2.1',
          'policies not a list',
          { server_group: { name: 'x', policies: 'affinity' } },
          "Invalid input for field/attribute policies. Value: affinity. 'affinity' is not of type 'array'",
        ],
        [
          '2.14',
          'a soft policy before 2.15',
          { server_group: { name: 'x', policies: ['soft-affinity'] } },
          "Invalid input for field/attribute 0. Value: soft-affinity. 'soft-affinity' is not one of ['anti-affinity', 'affinity']",
        ],
        [
          '2.15',
          'two policies',
          { server_group: { name: 'x', policies: ['affinity', 'anti-affinity'] } },
          "Invalid input for field/attribute policies. Value: ['affinity', 'anti-affinity']. ['affinity', 'anti-affinity'] is too long",
        ],
        [
          '2.15',
          'a repeated policy',
          { server_group: { name: 'x', policies: ['affinity', 'affinity'] } },
          "Invalid input for field/attribute policies. Value: ['affinity', 'affinity']. ['affinity', 'affinity'] has non-unique elements",
        ],
        [
          '2.15',
          'no policy',
          { server_group: { name: 'x', policies: [] } },
          'Invalid input for field/attribute policies. Value: []. [] should be non-empty',
        ],
        [
          '2.15',
          'policy key before 2.64',
          { server_group: { name: 'x', policies: ['affinity'], policy: 'affinity' } },
          "Invalid input for field/attribute server_group. Value: {'name': 'x', 'policies': ['affinity'], 'policy': 'affinity'}. Additional properties are not allowed ('policy' was unexpected)",
        ],
        [
          '2.64',
          'policies from 2.64',
          { server_group: { name: 'x', policies: ['affinity'] } },
          "Invalid input for field/attribute server_group. Value: {'name': 'x', 'policies': ['affinity']}. 'policy' is a required property",
        ],
        [
          '2.64',
          'an unknown policy',
          { server_group: { name: 'x', policy: 'legacy' } },
          "Invalid input for field/attribute policy. Value: legacy. 'legacy' is not one of ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']",
        ],
        [
          '2.64',
          'a policy of the wrong type',
          { server_group: { name: 'x', policy: 1 } },
          "Invalid input for field/attribute policy. Value: 1. 1 is not of type 'string'",
        ],
        [
          '2.64',
          'rules not an object',
          { server_group: { name: 'x', policy: 'anti-affinity', rules: [] } },
          "Invalid input for field/attribute rules. Value: []. [] is not of type 'object'",
        ],
        [
          '2.64',
          'an unknown rule',
          { server_group: { name: 'x', policy: 'anti-affinity', rules: { foo: 1 } } },
          "Invalid input for field/attribute rules. Value: {'foo': 1}. Additional properties are not allowed ('foo' was unexpected)",
        ],
        [
          '2.64',
          'max_server_per_host 0',
          { server_group: { name: 'x', policy: 'anti-affinity', rules: { max_server_per_host: 0 } } },
          'Invalid input for field/attribute max_server_per_host. Value: 0. 0 is less than the minimum of 1',
        ],
        [
          '2.64',
          'max_server_per_host not a number',
          { server_group: { name: 'x', policy: 'anti-affinity', rules: { max_server_per_host: 'abc' } } },
          "Invalid input for field/attribute max_server_per_host. Value: abc. 'abc' does not match '^[0-9]*$'",
        ],
        [
          '2.64',
          'max_server_per_host a float',
          { server_group: { name: 'x', policy: 'anti-affinity', rules: { max_server_per_host: 1.5 } } },
          "Invalid input for field/attribute max_server_per_host. Value: 1.5. 1.5 is not of type 'integer', 'string'",
        ],
        [
          '2.64',
          'rules on affinity',
          { server_group: { name: 'x', policy: 'affinity', rules: { max_server_per_host: 2 } } },
          'Only anti-affinity policy supports rules.',
        ],
        [
          '2.64',
          'a name of the wrong type',
          { server_group: { name: 5, policy: 'affinity' } },
          "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'",
        ],
        [
          '2.64',
          'an empty name',
          { server_group: { name: '', policy: 'affinity' } },
          "Invalid input for field/attribute name. Value: . '' should be non-empty",
        ],
        [
          '2.64',
          'a name with edge whitespace',
          { server_group: { name: ' x', policy: 'affinity' } },
          "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
        ],
        [
          '2.64',
          'an unknown top-level key',
          { server_group: { name: 'x', policy: 'affinity' }, extra: 1 },
          "Additional properties are not allowed ('extra' was unexpected)",
        ],
      ];
      for (const [mv, what, body, message] of bad)
        test(`400 ${what} (${mv})`, async () => assertFault(await sg('POST', '', { mv, body }), 400, message));

      test('400 a name over 255 characters', async () => {
        const name = 'n'.repeat(256);
        assertFault(
          await sg('POST', '', { body: { server_group: { name, policy: 'affinity' } } }),
          400,
          `Invalid input for field/attribute name. Value: ${name}. '${name}' is too long`,
        );
      });
    });

    describe('personas', () => {
      let mine: string;
      let theirs: string;
      before(async () => {
        mine = await create('affinity', { name: 'mine' });
        theirs = await create('affinity', { as: 'other', name: 'theirs' });
      });

      test('reader reads, may not create or delete (403)', async () => {
        assert.equal((await sg('GET', `/${mine}`, { as: 'reader' })).status, 200);
        assert.equal((await sg('GET', '', { as: 'reader' })).status, 200);
        assertFault(
          await sg('POST', '', { as: 'reader', body: { server_group: { name: 'r', policy: 'affinity' } } }),
          403,
          "Policy doesn't allow os_compute_api:os-server-groups:create to be performed.",
        );
        assertFault(
          await sg('DELETE', `/${mine}`, { as: 'reader' }),
          403,
          "Policy doesn't allow os_compute_api:os-server-groups:delete to be performed.",
        );
      });

      test("another project's group is not found (404); an admin sees it", async () => {
        for (const method of ['GET', 'DELETE'])
          assertFault(await sg(method, `/${theirs}`), 404, `Instance group ${theirs} could not be found.`);
        const res = await sg('GET', `/${theirs}`, { as: 'admin' });
        assert.equal(res.status, 200);
        assert.equal(res.body.server_group.project_id, cloud.projects.other);
      });

      test('unknown and malformed ids: 404', async () => {
        for (const id of [MISSING, 'not-a-uuid'])
          for (const method of ['GET', 'DELETE'])
            assertFault(await sg(method, `/${id}`), 404, `Instance group ${id} could not be found.`);
      });

      test('no token: 401', async () => {
        for (const [method, path] of [
          ['GET', ''],
          ['POST', ''],
          ['GET', `/${mine}`],
          ['DELETE', `/${mine}`],
        ]) {
          const res = await cloud.request(method, `/v2.1/os-server-groups${path}`, {
            body: method === 'POST' ? { server_group: { name: 'x', policies: ['affinity'] } } : undefined,
          });
          assert.equal(res.status, 401);
          assert.deepEqual(res.body, {
            error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
          });
        }
      });

      test('405 for other methods', async () => {
        const res = await sg('PUT', `/${mine}`, { body: {} });
        assert.equal(res.status, 405);
      });

      test('list: own project; all_projects for admins only (others get their own)', async () => {
        const own = (await sg('GET', '')).body.server_groups.map((g: { id: string }) => g.id);
        assert.ok(own.includes(mine) && !own.includes(theirs));
        const member = (await sg('GET', '?all_projects=1')).body.server_groups.map((g: { id: string }) => g.id);
        assert.deepEqual(member, own);
        const all = (await sg('GET', '?all_projects', { as: 'admin' })).body.server_groups.map(
          (g: { id: string }) => g.id,
        );
        assert.ok(all.includes(mine) && all.includes(theirs));
        const adminOwn = (await sg('GET', '', { as: 'admin' })).body.server_groups;
        assert.ok(!adminOwn.some((g: { id: string }) => g.id === mine));
      });

      test('list: limit and offset page in creation order', async () => {
        const all = (await sg('GET', '')).body.server_groups.map((g: { id: string }) => g.id);
        assert.ok(all.length >= 3);
        const page = (await sg('GET', '?limit=2&offset=1')).body.server_groups.map((g: { id: string }) => g.id);
        assert.deepEqual(page, all.slice(1, 3));
        // limit=0 is the maximum (common.limited); the last value counts.
        assert.deepEqual((await sg('GET', '?limit=0')).body.server_groups.length, all.length);
        assert.deepEqual(
          (await sg('GET', '?limit=5&limit=1')).body.server_groups.map((g: { id: string }) => g.id),
          all.slice(0, 1),
        );
      });

      test('list: bad paging values and (2.75) unknown parameters are 400', async () => {
        assertFault(
          await sg('GET', '?limit=abc'),
          400,
          "Invalid input for query parameters limit. Value: abc. 'abc' does not match '^[0-9]*$'",
        );
        assertFault(
          await sg('GET', '?offset=-1'),
          400,
          "Invalid input for query parameters offset. Value: -1. '-1' does not match '^[0-9]*$'",
        );
        assertFault(
          await sg('GET', '?offset='),
          400,
          "Invalid input for query parameters offset. Value: . '' should be non-empty",
        );
        assert.equal((await sg('GET', '?foo=1', { mv: '2.74' })).status, 200);
        assertFault(
          await sg('GET', '?foo=1', { mv: '2.75' }),
          400,
          "Additional properties are not allowed ('foo' was unexpected)",
        );
      });

      test('delete: 204, then 404', async () => {
        const id = await create('anti-affinity', { name: 'doomed' });
        const res = await sg('DELETE', `/${id}`);
        assert.equal(res.status, 204);
        assert.equal(res.text, '');
        assertFault(await sg('GET', `/${id}`), 404, `Instance group ${id} could not be found.`);
      });
    });

    describe('placement over two compute nodes', () => {
      test('anti-affinity: one member per node; the third goes to ERROR with NoValidHost', async () => {
        const g = await create('anti-affinity');
        const a = await boot(g);
        const b = await boot(g);
        const [ha, hb] = [await hostOf(a), await hostOf(b)];
        assert.equal(ha.status, 'ACTIVE');
        assert.equal(hb.status, 'ACTIVE');
        assert.notEqual(ha.host, hb.host);
        const c = await boot(g);
        const hc = await hostOf(c);
        assert.equal(hc.status, 'ERROR');
        assert.equal(hc.host, null);
        assert.equal(hc.fault.code, 500);
        assert.equal(hc.fault.message, NO_HOST);
        assert.deepEqual((await members(g)).sort(), [a, b, c].sort());
        // Nova hides a 500 fault's details from non-admins.
        const asMember = (await cloud.server(c, 'member')).body.server.fault;
        assert.deepEqual(Object.keys(asMember).sort(), ['code', 'created', 'message']);
        // Deleting a member frees its node for the next one.
        assert.equal((await cloud.request('DELETE', `/v2.1/servers/${a}`, { as: 'member' })).status, 204);
        await cloud.drain();
        assert.ok(!(await members(g)).includes(a));
        const d = await boot(g);
        assert.deepEqual(await hostOf(d), { status: 'ACTIVE', host: ha.host, fault: undefined });
      });

      test('anti-affinity: a multi-create that cannot all be placed is all ERROR', async () => {
        const g = await create('anti-affinity');
        await boot(g, { count: 3 });
        const ms = await members(g);
        assert.equal(ms.length, 3);
        for (const id of ms) assert.equal((await hostOf(id)).status, 'ERROR');
      });

      test('anti-affinity with max_server_per_host 2: four fit on two nodes, a fifth does not', async () => {
        const g = await create('anti-affinity', { rules: { max_server_per_host: 2 } });
        await boot(g, { count: 4 });
        const ms = await members(g);
        const hosts = new Map<string, number>();
        for (const id of ms) {
          const h = await hostOf(id);
          assert.equal(h.status, 'ACTIVE');
          hosts.set(h.host!, (hosts.get(h.host!) ?? 0) + 1);
        }
        assert.deepEqual([...hosts.values()], [2, 2]);
        const e = await boot(g);
        assert.equal((await hostOf(e)).status, 'ERROR');
      });

      test('affinity: every member on the first member node', async () => {
        const g = await create('affinity');
        await boot(g, { count: 2 });
        const c = await boot(g);
        const ms = await members(g);
        assert.equal(ms.length, 3);
        assert.ok(ms.includes(c));
        const hosts = new Set((await Promise.all(ms.map(hostOf))).map((h) => h.host));
        assert.equal(hosts.size, 1);
        assert.ok([...hosts][0]);
      });

      test('soft-anti-affinity spreads but never fails; soft-affinity packs', async () => {
        const soft = await create('soft-anti-affinity');
        await boot(soft, { count: 3 });
        const spread = await Promise.all((await members(soft)).map(hostOf));
        assert.ok(spread.every((h) => h.status === 'ACTIVE'));
        assert.equal(new Set(spread.map((h) => h.host)).size, 2);
        const pack = await create('soft-affinity');
        await boot(pack, { count: 3 });
        const packed = await Promise.all((await members(pack)).map(hostOf));
        assert.ok(packed.every((h) => h.status === 'ACTIVE'));
        assert.equal(new Set(packed.map((h) => h.host)).size, 1);
      });

      test('concurrent creates into one anti-affinity group never share a node', async () => {
        const g = await create('anti-affinity');
        const results = await Promise.all(
          [1, 2, 3, 4].map(() =>
            cloud.request('POST', '/v2.1/servers', {
              as: 'member',
              mv: '2.37',
              body: {
                server: { name: 'race', imageRef: image, flavorRef: '1', networks: 'none' },
                'os:scheduler_hints': { group: g },
              },
            }),
          ),
        );
        for (const r of results) assert.equal(r.status, 202, r.text);
        await cloud.drain();
        const placed = (await Promise.all((await members(g)).map(hostOf))).filter((h) => h.status === 'ACTIVE');
        assert.equal(placed.length, 2);
        assert.equal(new Set(placed.map((h) => h.host)).size, 2);
      });
    });

    describe('server create hint, server view, deletes', () => {
      test('a group the caller cannot see, or no such group, is 400', async () => {
        const theirs = await create('affinity', { as: 'other' });
        for (const id of [theirs, MISSING]) {
          const res = await cloud.request('POST', '/v2.1/servers', {
            as: 'member',
            mv: '2.37',
            body: {
              server: { name: 'x', imageRef: image, flavorRef: '1', networks: 'none' },
              'os:scheduler_hints': { group: id },
            },
          });
          assertFault(res, 400, `Instance group ${id} could not be found.`);
        }
      });

      test('a malformed group hint is 400', async () => {
        for (const group of ['nope', 5, ['nope']]) {
          const res = await cloud.request('POST', '/v2.1/servers', {
            as: 'member',
            mv: '2.37',
            body: {
              server: { name: 'x', imageRef: image, flavorRef: '1', networks: 'none' },
              'os:scheduler_hints': { group },
            },
          });
          const shown = typeof group === 'string' ? group : JSON.stringify(group).replace(/"/g, "'");
          const repr = typeof group === 'string' ? `'${group}'` : shown;
          assertFault(
            res,
            400,
            `Invalid input for field/attribute group. Value: ${shown}. ${repr} is not valid under any of the given schemas`,
          );
        }
      });

      test('the OS-SCH-HNT spelling and a list of one group work too', async () => {
        const g = await create('soft-affinity');
        const res = await cloud.request('POST', '/v2.1/servers', {
          as: 'member',
          mv: '2.37',
          body: {
            server: { name: 'x', imageRef: image, flavorRef: '1', networks: 'none' },
            'OS-SCH-HNT:scheduler_hints': { group: [g] },
          },
        });
        assert.equal(res.status, 202, res.text);
        assert.deepEqual(await members(g), [res.body.server.id]);
      });

      test('2.71: server_groups in show and update, not before, not in the list', async () => {
        const g = await create('soft-anti-affinity');
        const id = await boot(g);
        assert.deepEqual((await cloud.server(id, 'member', '2.71')).body.server.server_groups, [g]);
        assert.equal((await cloud.server(id, 'member', '2.70')).body.server.server_groups, undefined);
        const put = await cloud.request('PUT', `/v2.1/servers/${id}`, {
          as: 'member',
          mv: '2.71',
          body: { server: { name: 'renamed' } },
        });
        assert.deepEqual(put.body.server.server_groups, [g]);
        const list = await cloud.request('GET', '/v2.1/servers/detail', { as: 'member', mv: '2.71' });
        assert.equal(list.body.servers.find((s: { id: string }) => s.id === id).server_groups, undefined);
        const plain = await cloud.createServer('member');
        assert.deepEqual((await cloud.server(plain, 'member', '2.71')).body.server.server_groups, []);
      });

      test('deleting the group leaves its servers in none', async () => {
        const g = await create('soft-affinity');
        const id = await boot(g);
        assert.equal((await sg('DELETE', `/${g}`)).status, 204);
        assert.deepEqual((await cloud.server(id, 'member', '2.71')).body.server.server_groups, []);
      });

      test('a local delete (node down) removes the membership at once', async () => {
        const g = await create('anti-affinity');
        const id = await boot(g);
        const host = (await hostOf(id)).host!;
        const svcs = (await cloud.request('GET', '/v2.1/os-services?binary=nova-compute', { as: 'admin', mv: '2.53' }))
          .body.services as Array<{ id: string; host: string }>;
        const svc = svcs.find((s) => s.host === host)!;
        const down = (v: boolean) =>
          cloud.request('PUT', `/v2.1/os-services/${svc.id}`, { as: 'admin', mv: '2.53', body: { forced_down: v } });
        assert.equal((await down(true)).status, 200);
        try {
          assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
          assert.deepEqual(await members(g), []);
          const row = await cloud.stack.deps.db
            .selectFrom('server_group_members')
            .selectAll()
            .where('server_id', '=', id)
            .execute();
          assert.deepEqual(row, []);
        } finally {
          assert.equal((await down(false)).status, 200);
          await cloud.drain();
        }
      });
    });

    describe('quotas', () => {
      after(async () => {
        await cloud.request('DELETE', `/v2.1/os-quota-sets/${cloud.projects.member}`, { as: 'admin' });
      });

      test('server_groups: counted per project, 403 over the limit', async () => {
        const detail = await cloud.request('GET', `/v2.1/os-quota-sets/${cloud.projects.member}/detail`, {
          as: 'member',
        });
        const used = detail.body.quota_set.server_groups.in_use as number;
        const own = (await sg('GET', '')).body.server_groups.length;
        assert.equal(used, own);
        assert.ok(used > 0);
        assert.equal((await setQuota({ server_groups: used })).status, 200);
        assertFault(
          await sg('POST', '', { body: { server_group: { name: 'over', policy: 'affinity' } } }),
          403,
          'Quota exceeded, too many server groups.',
        );
        // Another project is not affected.
        await create('affinity', { as: 'other' });
        assert.equal((await setQuota({ server_groups: -1 })).status, 200);
      });

      test('server_group_members: per group, 403 over the limit', async () => {
        const g = await create('soft-affinity');
        assert.equal((await setQuota({ server_group_members: 2 })).status, 200);
        await boot(g, { count: 2 });
        const res = await cloud.request('POST', '/v2.1/servers', {
          as: 'member',
          mv: '2.37',
          body: {
            server: { name: 'x', imageRef: image, flavorRef: '1', networks: 'none' },
            'os:scheduler_hints': { group: g },
          },
        });
        assertFault(res, 403, 'Quota exceeded, too many servers in group');
        // Another group still has room.
        const other = await create('soft-affinity');
        await boot(other, { count: 2 });
        assert.equal((await members(other)).length, 2);
        assert.equal((await setQuota({ server_group_members: -1 })).status, 200);
      });
    });
  });
}
