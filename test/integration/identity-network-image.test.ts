// Keystone, Neutron and Glance subsets, and the policy persona matrix over HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';

let cloud: TestCloud;
before(async () => {
  cloud = await TestCloud.start();
});
after(async () => {
  await cloud.close();
});

const pwAuth = (user: string, password: string, project?: string) => ({
  auth: {
    identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
    ...(project ? { scope: { project: { name: project, domain: { id: 'default' } } } } : {}),
  },
});

describe('identity', () => {
  test('version documents without a token', async () => {
    assert.equal((await cloud.request('GET', '/identity/v3')).body.version.id, 'v3.14');
    assert.equal((await cloud.request('GET', '/identity')).body.versions.values[0].status, 'stable');
  });
  test('password auth with project scope: 201, X-Subject-Token, roles and catalog', async () => {
    const res = await cloud.request('POST', '/identity/v3/auth/tokens', { body: pwAuth('admin', 'secret', 'admin') });
    assert.equal(res.status, 201);
    const token = res.headers.get('x-subject-token')!;
    assert.ok(token.length >= 40);
    const t = res.body.token;
    assert.deepEqual(t.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
    assert.equal(t.project.name, 'admin');
    assert.match(t.expires_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const types = t.catalog.map((c: { type: string }) => c.type).sort();
    assert.deepEqual(types, ['block-storage', 'compute', 'identity', 'image', 'network', 'volumev3']);
    const compute = t.catalog.find((c: { type: string }) => c.type === 'compute');
    assert.deepEqual(compute.endpoints.map((e: { interface: string }) => e.interface).sort(), [
      'admin',
      'internal',
      'public',
    ]);
    assert.equal(compute.endpoints[0].region_id, 'RegionOne');
    assert.equal(compute.endpoints[0].url, `${cloud.url}/v2.1`);
    // Tokens are stored hashed, never in plain text.
    const rows = await cloud.stack.deps.db.selectFrom('tokens').select('token_hash').execute();
    assert.ok(!rows.some((r) => r.token_hash === token));
  });
  test('wrong password, unknown user, unknown project: 401', async () => {
    for (const body of [
      pwAuth('demo', 'wrong', 'demo'),
      pwAuth('nobody', 'secret', 'demo'),
      pwAuth('demo', 'secret', 'nope'),
      pwAuth('demo', 'secret', 'admin'),
    ]) {
      const res = await cloud.request('POST', '/identity/v3/auth/tokens', { body });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 401);
      assert.equal(res.body.error.title, 'Unauthorized');
    }
  });
  test('malformed auth request: 400 Keystone style', async () => {
    const res = await cloud.request('POST', '/identity/v3/auth/tokens', { body: { auth: {} } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 400);
  });
  test('validate (GET, HEAD) and revoke (DELETE) a token', async () => {
    const { token } = await cloud.issueToken('demo', 'demo');
    const get = await cloud.request('GET', '/identity/v3/auth/tokens', {
      as: 'admin',
      headers: { 'x-subject-token': token },
    });
    assert.equal(get.status, 200);
    assert.equal(get.body.token.user.name, 'demo');
    const head = await cloud.request('HEAD', '/identity/v3/auth/tokens', {
      as: 'admin',
      headers: { 'x-subject-token': token },
    });
    assert.equal(head.status, 200);
    const other = await cloud.request('DELETE', '/identity/v3/auth/tokens', {
      as: 'other',
      headers: { 'x-subject-token': token },
    });
    assert.equal(other.status, 403);
    assert.equal(
      (
        await cloud.request('DELETE', '/identity/v3/auth/tokens', {
          as: 'admin',
          headers: { 'x-subject-token': token },
        })
      ).status,
      204,
    );
    const gone = await cloud.request('GET', '/identity/v3/auth/tokens', {
      as: 'admin',
      headers: { 'x-subject-token': token },
    });
    assert.equal(gone.status, 404);
    assert.equal((await cloud.request('GET', '/v2.1/servers', { token })).status, 401);
  });
});

describe('networking', () => {
  test('networks and subnets of the demo cloud; show 404 in Neutron form', async () => {
    const nets = (await cloud.request('GET', '/networking/v2.0/networks', { as: 'member' })).body.networks;
    assert.deepEqual(nets.map((n: { name: string }) => n.name).sort(), ['private', 'public']);
    const priv = nets.find((n: { name: string }) => n.name === 'private');
    assert.equal(priv.shared, true);
    const subnet = (await cloud.request('GET', `/networking/v2.0/subnets/${priv.subnets[0]}`, { as: 'member' })).body
      .subnet;
    assert.equal(subnet.cidr, '10.0.0.0/24');
    const missing = await cloud.request('GET', '/networking/v2.0/networks/private', { as: 'member' });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {
      NeutronError: { type: 'NetworkNotFound', message: 'Network private could not be found.', detail: '' },
    });
  });
  test('ports: create, filter, update, delete; other projects cannot see them', async () => {
    const priv = (await cloud.request('GET', '/networking/v2.0/networks?name=private', { as: 'member' })).body
      .networks[0];
    const made = await cloud.request('POST', '/networking/v2.0/ports', {
      as: 'member',
      body: { port: { network_id: priv.id, name: 'p1' } },
    });
    assert.equal(made.status, 201);
    const id = made.body.port.id;
    assert.match(made.body.port.fixed_ips[0].ip_address, /^10\.0\.0\.\d+$/);
    assert.equal(
      (await cloud.request('GET', `/networking/v2.0/ports?network_id=${priv.id}&name=p1`, { as: 'member' })).body.ports
        .length,
      1,
    );
    assert.equal((await cloud.request('GET', `/networking/v2.0/ports/${id}`, { as: 'other' })).status, 404);
    const upd = await cloud.request('PUT', `/networking/v2.0/ports/${id}`, {
      as: 'member',
      body: { port: { name: 'p2' } },
    });
    assert.equal(upd.body.port.name, 'p2');
    const bad = await cloud.request('PUT', `/networking/v2.0/ports/${id}`, {
      as: 'member',
      body: { port: { mac_address: 'x' } },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.NeutronError.type, 'HTTPBadRequest');
    assert.equal((await cloud.request('DELETE', `/networking/v2.0/ports/${id}`, { as: 'reader' })).status, 403);
    assert.equal((await cloud.request('DELETE', `/networking/v2.0/ports/${id}`, { as: 'member' })).status, 204);
    assert.equal((await cloud.request('GET', `/networking/v2.0/ports/${id}`, { as: 'member' })).status, 404);
  });
});

describe('isolation (review findings)', () => {
  test('a port another project binds to my server does not show in my server', async () => {
    const id = await cloud.createServer('member');
    const priv = (await cloud.request('GET', '/networking/v2.0/networks?name=private', { as: 'other' })).body
      .networks[0];
    const evil = await cloud.request('POST', '/networking/v2.0/ports', {
      as: 'other',
      body: { port: { network_id: priv.id, device_id: id } },
    });
    assert.equal(evil.status, 201);
    const mine = (await cloud.server(id, 'member')).body.server;
    const addrs = Object.values(mine.addresses as Record<string, Array<{ addr: string }>>)
      .flat()
      .map((a) => a.addr);
    assert.ok(!addrs.includes(evil.body.port.fixed_ips[0].ip_address));
    assert.equal(addrs.length, 1);
  });
  test('a shared image is not readable or bootable by other projects', async () => {
    const img = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { name: 'admins-only', disk_format: 'raw', container_format: 'bare' },
    });
    assert.equal(img.body.visibility, 'shared');
    assert.equal((await cloud.request('GET', `/image/v2/images/${img.body.id}`, { as: 'other' })).status, 404);
    const boot = await cloud.request('POST', '/v2.1/servers', {
      as: 'other',
      body: { server: { name: 'x', imageRef: img.body.id, flavorRef: '1' } },
    });
    assert.equal(boot.status, 400);
    assert.deepEqual(boot.body, { badRequest: { code: 400, message: 'Can not find requested image' } });
    const dup = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { id: img.body.id, name: 'again' },
    });
    assert.equal(dup.status, 409);
  });
  test('sort_key naming an inherited property is a 400, not a 500', async () => {
    for (const k of ['__proto__', 'constructor', 'toString']) {
      const res = await cloud.request('GET', `/v2.1/servers?sort_key=${k}`, { as: 'member' });
      assert.equal(res.status, 400, k);
      assert.equal(res.body.badRequest.code, 400);
    }
  });
  test('the name filter treats _ and % literally', async () => {
    await cloud.createServer('member', { name: 'web_01' });
    await cloud.createServer('member', { name: 'webx01' });
    const res = await cloud.request('GET', '/v2.1/servers?name=web_01', { as: 'member' });
    assert.deepEqual(
      res.body.servers.map((s: { name: string }) => s.name),
      ['web_01'],
    );
  });
  test('max_count is bounded', async () => {
    const image = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images[0].id;
    const res = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      body: { server: { name: 'many', imageRef: image, flavorRef: '1', max_count: 5000 } },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { badRequest: { code: 400, message: 'max_count may not exceed 1000' } });
  });
});

describe('image', () => {
  test("list, show, filter by name; members create their project's images, readers may not; delete", async () => {
    const list = (await cloud.request('GET', '/image/v2/images?name=cirros-0.6.2-x86_64-disk', { as: 'member' })).body
      .images;
    assert.equal(list.length, 1);
    assert.equal(
      (await cloud.request('GET', `/image/v2/images/${list[0].id}`, { as: 'member' })).body.status,
      'active',
    );
    assert.equal(
      (await cloud.request('GET', '/image/v2/images/11111111-2222-3333-4444-555555555555', { as: 'member' })).status,
      404,
    );
    // Glance's add_image: an admin, or a member for the member's own project.
    const own = await cloud.request('POST', '/image/v2/images', { as: 'member', body: { name: 'x' } });
    assert.equal(own.status, 201, own.text);
    assert.equal(own.body.owner, cloud.projects.member);
    const refused = await cloud.request('POST', '/image/v2/images', { as: 'reader', body: { name: 'x' } });
    assert.equal(refused.status, 403);
    const made = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { name: 'extra', visibility: 'public', disk_format: 'raw', container_format: 'bare' },
    });
    assert.equal(made.status, 201);
    assert.equal((await cloud.request('DELETE', `/image/v2/images/${made.body.id}`, { as: 'member' })).status, 403);
    assert.equal((await cloud.request('DELETE', `/image/v2/images/${made.body.id}`, { as: 'admin' })).status, 204);
  });
});

describe('policy persona matrix over HTTP', () => {
  // rule → who may (personas), against a server of the member's project.
  const matrix: Array<[string, (id: string, as?: Persona) => Promise<number>, Persona[]]> = [
    [
      'servers:show',
      async (id, as) => (await cloud.request('GET', `/v2.1/servers/${id}`, { as })).status,
      ['admin', 'member', 'reader'],
    ],
    [
      'servers:index',
      async (_id, as) => (await cloud.request('GET', '/v2.1/servers', { as })).status,
      ['admin', 'member', 'reader', 'other'],
    ],
    [
      'os-instance-actions:list',
      async (id, as) => (await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as })).status,
      ['admin', 'member', 'reader'],
    ],
    [
      'os-services:list',
      async (_id, as) => (await cloud.request('GET', '/v2.1/os-services', { as })).status,
      ['admin'],
    ],
    [
      'stratus:control:faults',
      async (_id, as) => (await cloud.request('GET', '/stratus/v1/faults', { as })).status,
      ['admin'],
    ],
    [
      'os-lock-server:lock',
      async (id, as) => {
        const s = (await cloud.request('POST', `/v2.1/servers/${id}/action`, { as, body: { lock: null } })).status;
        await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'admin', body: { unlock: null } });
        return s;
      },
      ['admin', 'member'],
    ],
  ];
  for (const [rule, call, allowed] of matrix) {
    test(rule, async () => {
      const id = await cloud.createServer('member');
      for (const p of ['admin', 'member', 'reader', 'other'] as Persona[]) {
        const status = await call(id, p);
        if (allowed.includes(p)) assert.ok(status >= 200 && status < 300, `${p} should be allowed: ${status}`);
        else assert.ok(status === 403 || status === 404, `${p} should be refused: ${status}`);
      }
      assert.equal(await call(id, undefined), 401, 'no token');
    });
  }
});

describe('Stratus endpoints', () => {
  test('health and metrics without a token', async () => {
    assert.deepEqual((await cloud.request('GET', '/stratus/health')).body, { status: 'ok' });
    const m = await cloud.request('GET', '/stratus/metrics');
    assert.match(m.text, /stratus_http_requests_total/);
    assert.match(m.text, /stratus_agent_heartbeats_total|stratus_task_duration_seconds/);
  });
  test('fault control API validates its input and lists/clears faults', async () => {
    const bad = await cloud.request('POST', '/stratus/v1/faults', {
      as: 'admin',
      body: { fault: { host: 'h', operation: 'explode', mode: 'fail' } },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, {
      badRequest: {
        code: 400,
        message: 'Invalid input for field/attribute operation. must be equal to one of the allowed values',
      },
    });
    const made = await cloud.request('POST', '/stratus/v1/faults', {
      as: 'admin',
      body: { fault: { host: 'nowhere', operation: 'destroy', mode: 'fail', count: 2 } },
    });
    assert.equal(made.status, 201);
    assert.equal(
      (await cloud.request('GET', '/stratus/v1/faults?host=nowhere', { as: 'admin' })).body.faults.length,
      1,
    );
    assert.equal(
      (await cloud.request('DELETE', `/stratus/v1/faults/${made.body.fault.id}`, { as: 'admin' })).status,
      204,
    );
    const again = await cloud.request('DELETE', `/stratus/v1/faults/${made.body.fault.id}`, { as: 'admin' });
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, { itemNotFound: { code: 404, message: 'Fault could not be found.' } });
  });
  test('fault control API: 403 for members on every method, 401 without a token, 405 for other methods', async () => {
    const forbidden = {
      forbidden: { code: 403, message: "Policy doesn't allow stratus:control:faults to be performed." },
    };
    for (const [method, path, body] of [
      ['GET', '/stratus/v1/faults', undefined],
      ['POST', '/stratus/v1/faults', { fault: { host: 'h', operation: 'destroy', mode: 'fail' } }],
      ['DELETE', '/stratus/v1/faults', undefined],
      ['DELETE', '/stratus/v1/faults/x', undefined],
    ] as const) {
      const res = await cloud.request(method, path, { as: 'member', body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.deepEqual(res.body, forbidden, `${method} ${path}`);
    }
    const anonymous = await cloud.request('GET', '/stratus/v1/faults', { token: '' });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.body, {
      error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
    });
    const put = await cloud.request('PUT', '/stratus/v1/faults', { as: 'admin', body: {} });
    assert.equal(put.status, 405);
    assert.deepEqual(put.body, {
      badMethod: { code: 405, message: 'The method specified is not allowed for this resource.' },
    });
  });
});
