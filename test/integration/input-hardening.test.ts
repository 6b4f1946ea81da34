// Inputs that used to crash or mislead (issue 9): deep bodies, repeated query parameters, image
// fields of the wrong type or reserved names, a forged Host header, and requests the HTTP parser
// refuses. Each case asserts status and exact fault body.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

let cloud: TestCloud;
before(async () => {
  cloud = await TestCloud.start();
});
after(async () => {
  await cloud.close();
});

const UNKNOWN = '11111111-2222-3333-4444-555555555555';
const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
const DEPTH_MESSAGE = 'Malformed request body: nested more than 64 levels deep';

/** Glance bodies are compared without `code` (Glance writes the status line there, Stratus the number). */
function imageFault(res: { status: number; body: any }, status: number, title: string, message: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const { code: _code, ...rest } = res.body;
  assert.deepEqual(rest, { title, message });
}

/** One raw HTTP exchange on a fresh connection (bytes the fetch API would refuse to send). */
function raw(bytes: Buffer): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(cloud.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error('no answer'));
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body: rest.join('\r\n\r\n') });
    });
  });
}

/** A request with a Host header of our choosing (fetch does not let a caller set Host). */
function withHost(
  path: string,
  host: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(cloud.url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port: Number(port),
        path,
        method: opts.method ?? 'GET',
        headers: { host, ...(payload ? { 'content-type': 'application/json' } : {}), ...(opts.headers ?? {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const tokenRequest = {
  auth: {
    identity: {
      methods: ['password'],
      password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'secret' } },
    },
    scope: { project: { name: 'demo', domain: { name: 'Default' } } },
  },
};

describe('request bodies nested too deeply', () => {
  for (const action of ['lock', 'reboot', 'os-resetState']) {
    test(`a ${action} body 5000 levels deep is 400 badRequest, even for an unknown server`, async () => {
      const res = await cloud.request('POST', `/v2.1/servers/${UNKNOWN}/action`, {
        as: 'member',
        rawBody: `{"${action}": ${nested(5000)}}`,
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { badRequest: { code: 400, message: DEPTH_MESSAGE } });
    });
  }
  test('each service answers in its own format', async () => {
    const image = await cloud.request('POST', '/image/v2/images', { as: 'admin', rawBody: `{"name": ${nested(100)}}` });
    imageFault(image, 400, 'Bad Request', DEPTH_MESSAGE);
    const port = await cloud.request('POST', '/networking/v2.0/ports', {
      as: 'member',
      rawBody: `{"port": ${nested(100)}}`,
    });
    assert.equal(port.status, 400);
    assert.deepEqual(port.body, { NeutronError: { type: 'HTTPBadRequest', message: DEPTH_MESSAGE, detail: '' } });
    const token = await cloud.request('POST', '/identity/v3/auth/tokens', { rawBody: `{"auth": ${nested(100)}}` });
    assert.equal(token.status, 400);
    assert.deepEqual(token.body, { error: { code: 400, title: 'Bad Request', message: DEPTH_MESSAGE } });
  });
  test('65 levels are refused, in a body of any route', async () => {
    const res = await cloud.request('POST', '/v2.1/servers', { as: 'member', rawBody: `{"server": ${nested(64)}}` });
    assert.deepEqual(res.body, { badRequest: { code: 400, message: DEPTH_MESSAGE } });
  });
  test('64 levels are not refused for depth (the schema judges them)', async () => {
    const res = await cloud.request('POST', `/v2.1/servers/${UNKNOWN}/action`, {
      as: 'member',
      rawBody: `{"lock": ${nested(63)}}`,
    });
    assert.notEqual(res.body?.badRequest?.message, DEPTH_MESSAGE);
    assert.ok(res.status < 500);
  });
});

describe('repeated query parameters: the last value, or every value for list filters', () => {
  test('os-services takes the last host and binary', async () => {
    const host = 'compute-test';
    const lastWins = await cloud.request(
      'GET',
      `/v2.1/os-services?host=nowhere&host=${host}&binary=x&binary=nova-compute`,
      { as: 'admin' },
    );
    assert.equal(lastWins.status, 200);
    assert.deepEqual(
      lastWins.body.services.map((s: any) => [s.host, s.binary]),
      [[host, 'nova-compute']],
    );
    const none = await cloud.request('GET', `/v2.1/os-services?host=${host}&host=nowhere`, { as: 'admin' });
    assert.equal(none.status, 200);
    assert.deepEqual(none.body.services, []);
  });
  test('the fault-injection API takes the last host', async () => {
    const listed = await cloud.request('GET', '/stratus/v1/faults?host=x&host=y', { as: 'admin' });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body, { faults: [] });
    const cleared = await cloud.request('DELETE', '/stratus/v1/faults?host=x&host=y', { as: 'admin' });
    assert.equal(cleared.status, 204);
  });
  test('server lists: every status counts, other filters take the last value', async () => {
    const a = await cloud.createServer('member', { name: 'repeat-a' });
    const b = await cloud.createServer('member', { name: 'repeat-b' });
    assert.equal(
      (await cloud.request('POST', `/v2.1/servers/${b}/action`, { as: 'member', body: { 'os-stop': null } })).status,
      202,
    );
    await cloud.drain();
    const both = await cloud.request('GET', '/v2.1/servers?status=ACTIVE&status=SHUTOFF&name=repeat-', {
      as: 'member',
    });
    assert.equal(both.status, 200);
    assert.deepEqual(new Set(both.body.servers.map((s: any) => s.id)), new Set([a, b]));
    const lastName = await cloud.request('GET', '/v2.1/servers?name=nomatch&name=repeat-b', { as: 'member' });
    assert.deepEqual(
      lastName.body.servers.map((s: any) => s.id),
      [b],
    );
  });
  test('Neutron filters accept any of their values', async () => {
    const server = await cloud.createServer('member', { name: 'repeat-ports' });
    const mine = await cloud.request('GET', `/networking/v2.0/ports?device_id=${server}`, { as: 'member' });
    assert.equal(mine.body.ports.length, 1);
    const either = await cloud.request('GET', `/networking/v2.0/ports?device_id=${UNKNOWN}&device_id=${server}`, {
      as: 'member',
    });
    assert.equal(either.status, 200);
    assert.deepEqual(
      either.body.ports.map((p: any) => p.id),
      [mine.body.ports[0].id],
    );
    const subnets = await cloud.request('GET', '/networking/v2.0/subnets?name=private-subnet&name=public-subnet', {
      as: 'admin',
    });
    assert.deepEqual(subnets.body.subnets.map((n: any) => n.name).sort(), ['private-subnet', 'public-subnet']);
    const nets = await cloud.request('GET', '/networking/v2.0/networks?name=private&name=public', { as: 'admin' });
    assert.deepEqual(nets.body.networks.map((n: any) => n.name).sort(), ['private', 'public']);
  });
  test('a prototype name as a parameter is a plain key', async () => {
    const res = await cloud.request('GET', '/v2.1/servers?__proto__=x&constructor=y&toString=z', { as: 'member' });
    assert.equal(res.status, 200);
  });
});

describe('NUL characters and numbers no column holds: 400 on both databases', () => {
  const NUL = { badRequest: { code: 400, message: 'Invalid input: NUL characters are not allowed' } };
  for (const target of databaseTargets()) {
    test(`on ${target.name}`, async () => {
      const database = await target.url();
      const c = target.name === 'sqlite' ? cloud : await TestCloud.start({ database: database.url });
      try {
        const login = await c.request('POST', '/identity/v3/auth/tokens', {
          rawBody: JSON.stringify(tokenRequest).replace('"demo"', '"de\\u0000mo"'),
        });
        assert.equal(login.status, 400);
        assert.deepEqual(login.body, { error: { code: 400, title: 'Bad Request', message: NUL.badRequest.message } });
        const create = await c.request('POST', '/v2.1/servers', {
          as: 'member',
          rawBody: '{"server": {"name": "a\\u0000b", "flavorRef": "1", "imageRef": "x"}}',
        });
        assert.deepEqual(create.body, NUL);
        assert.deepEqual((await c.request('GET', '/v2.1/os-services?host=%00', { as: 'admin' })).body, NUL);
        assert.deepEqual((await c.request('GET', '/v2.1/flavors/%00', { as: 'member' })).body, NUL);
        const port = await c.request('GET', '/networking/v2.0/ports/%00', { as: 'member' });
        assert.deepEqual(port.body, {
          NeutronError: { type: 'HTTPBadRequest', message: NUL.badRequest.message, detail: '' },
        });
        const big = await c.request('POST', '/image/v2/images', {
          as: 'admin',
          body: { name: 'big', min_disk: 3000000000 },
        });
        assert.equal(big.status, 400);
        assert.equal(big.body.title, 'Bad Request');
        // Escaped backslashes before "u0000" are no NUL.
        const text = await c.request('POST', '/image/v2/images', { as: 'admin', body: { name: 'back\\u0000slash' } });
        assert.equal(text.status, 201);
      } finally {
        if (c !== cloud) await c.close();
        await database.drop();
      }
    });
  }
});

describe('image create: field types and names Glance refuses', () => {
  test("a container_format or disk_format that is not one of Glance's strings is 400", async () => {
    for (const body of [
      { container_format: 7 },
      { disk_format: {} },
      { disk_format: 'exe' },
      { container_format: ['bare'] },
    ]) {
      const res = await cloud.request('POST', '/image/v2/images', {
        as: 'admin',
        body: { name: 'bad-format', ...body },
      });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.title, 'Bad Request');
    }
  });
  test('a read-only name is 403 whatever its value (Glance checks names before the schema); a bad id is 400', async () => {
    for (const body of [{ size: 5 }, { checksum: null }, { virtual_size: 'x' }]) {
      const res = await cloud.request('POST', '/image/v2/images', { as: 'admin', body });
      imageFault(res, 403, 'Forbidden', `Attribute '${Object.keys(body)[0]}' is read-only.`);
    }
    const badId = await cloud.request('POST', '/image/v2/images', { as: 'admin', body: { id: 'not-a-uuid' } });
    assert.equal(badId.status, 400);
  });
  test('read-only and reserved names are 403 and create nothing', async () => {
    const before = (await cloud.request('GET', '/image/v2/images', { as: 'admin' })).body.images.length;
    const readOnly = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { name: 'x', status: 'killed' },
    });
    imageFault(readOnly, 403, 'Forbidden', "Attribute 'status' is read-only.");
    const reserved = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { name: 'x', deleted: 'true' },
    });
    imageFault(reserved, 403, 'Forbidden', "Attribute 'deleted' is reserved.");
    assert.equal((await cloud.request('GET', '/image/v2/images', { as: 'admin' })).body.images.length, before);
  });
  test('owner is a real field: an admin may give the image to another project', async () => {
    const other = cloud.projects.other;
    const admin = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { name: 'gift', owner: other, visibility: 'private', os_distro: 'cirros' },
    });
    assert.equal(admin.status, 201);
    assert.equal(admin.body.owner, other);
    assert.equal(admin.body.os_distro, 'cirros');
    assert.equal((await cloud.request('GET', `/image/v2/images/${admin.body.id}`, { as: 'other' })).status, 200);
  });
});

test('a member allowed to create images may not give one to another project', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-policy-'));
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, '"stratus:image:create": "role:member"\n');
  const open = await TestCloud.start({ policyFile: file });
  try {
    const other = open.projects.other;
    const gift = await open.request('POST', '/image/v2/images', { as: 'member', body: { name: 'gift', owner: other } });
    imageFault(gift, 403, 'Forbidden', `You are not permitted to create images owned by '${other}'.`);
    const own = await open.request('POST', '/image/v2/images', {
      as: 'member',
      body: { name: 'mine', owner: open.projects.member },
    });
    assert.equal(own.status, 201);
    // Glance: owner null is "owned by None", also not the member's to give; public is an admin's call.
    const none = await open.request('POST', '/image/v2/images', { as: 'member', body: { name: 'x', owner: null } });
    imageFault(none, 403, 'Forbidden', "You are not permitted to create images owned by 'None'.");
    const pub = await open.request('POST', '/image/v2/images', {
      as: 'member',
      body: { name: 'x', visibility: 'public' },
    });
    imageFault(pub, 403, 'Forbidden', "Policy doesn't allow stratus:image:publicize to be performed.");
  } finally {
    await open.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("the catalog and links never follow the client's Host header", () => {
  test('a forged Host changes neither the catalog nor the version links', async () => {
    const token = await withHost('/identity/v3/auth/tokens', 'evil.example', { method: 'POST', body: tokenRequest });
    assert.equal(token.status, 201);
    const urls = token.body.token.catalog.flatMap((s: any) => s.endpoints.map((e: any) => e.url as string));
    assert.ok(urls.length > 0);
    for (const u of urls) assert.ok(u.startsWith(cloud.url), u);
    const version = await withHost('/v2.1', 'evil.example');
    assert.ok(version.body.version.links[0].href.startsWith(cloud.url));
    const unauth = await withHost('/v2.1/servers', 'evil.example');
    assert.equal(unauth.status, 401);
  });
  test('X-Forwarded-* is ignored unless --trust-proxy is set', async () => {
    const res = await withHost('/v2.1', 'evil.example', {
      headers: { 'x-forwarded-host': 'proxy.example', 'x-forwarded-proto': 'https' },
    });
    assert.ok(res.body.version.links[0].href.startsWith(cloud.url));
  });
  test('--public-url wins, also over X-Forwarded-Host behind a declared proxy', async () => {
    const proxied = await TestCloud.start({ publicUrl: 'https://cloud.example:8443/', trustProxy: 1 });
    try {
      const plain = await proxied.request('GET', '/v2.1');
      assert.equal(plain.body.version.links[0].href, 'https://cloud.example:8443/v2.1/');
      const forwarded = await proxied.request('GET', '/v2.1', {
        headers: { 'x-forwarded-host': 'proxy.example', 'x-forwarded-proto': 'https' },
      });
      assert.equal(forwarded.body.version.links[0].href, 'https://cloud.example:8443/v2.1/');
      const unauth = await proxied.request('GET', '/v2.1/servers');
      assert.equal(unauth.headers.get('www-authenticate'), 'Keystone uri="https://cloud.example:8443/identity"');
    } finally {
      await proxied.close();
    }
  });
  test("--trust-proxy without --public-url follows the proxy's X-Forwarded-Host/-Proto", async () => {
    const proxied = await TestCloud.start({ trustProxy: 1 });
    try {
      const forwarded = await proxied.request('GET', '/v2.1', {
        headers: { 'x-forwarded-host': 'proxy.example', 'x-forwarded-proto': 'https' },
      });
      assert.equal(forwarded.body.version.links[0].href, 'https://proxy.example/v2.1/');
      assert.ok((await proxied.request('GET', '/v2.1')).body.version.links[0].href.startsWith(proxied.url));
    } finally {
      await proxied.close();
    }
  });
});

describe("requests the HTTP parser refuses get the service's fault body", () => {
  const line = (path: string) =>
    Buffer.concat([Buffer.from('GET '), Buffer.from(path, 'latin1'), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]);
  test('a raw non-ASCII byte in a compute path: 400 badRequest', async () => {
    const res = await raw(line('/v2.1/serv\xffers'));
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), { badRequest: { code: 400, message: 'Malformed request' } });
    assert.match(res.headers, /x-openstack-request-id: req-/);
  });
  test('the same under the image, network and identity paths', async () => {
    const image = await raw(line('/image/v2/images/\xff'));
    assert.deepEqual(JSON.parse(image.body), { code: 400, title: 'Bad Request', message: 'Malformed request' });
    const network = await raw(line('/networking/v2.0/ports/\xff'));
    assert.deepEqual(JSON.parse(network.body), {
      NeutronError: { type: 'HTTPBadRequest', message: 'Malformed request', detail: '' },
    });
    const identity = await raw(line('/identity/v3/\xff'));
    assert.deepEqual(JSON.parse(identity.body), {
      error: { code: 400, title: 'Bad Request', message: 'Malformed request' },
    });
  });
  test("headers over the size limit: 431 in the service's format", async () => {
    const res = await raw(Buffer.from(`GET /v2.1/servers HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70000)}\r\n\r\n`));
    assert.equal(res.status, 431);
    assert.deepEqual(JSON.parse(res.body), { computeFault: { code: 431, message: 'Request header fields too large' } });
  });
  test("a lower-case method under a network path: Neutron's body", async () => {
    const res = await raw(Buffer.from('get /networking/v2.0/ports HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), {
      NeutronError: { type: 'HTTPBadRequest', message: 'Malformed request', detail: '' },
    });
  });
  test("HTTP/1.1 without Host: 400 in the service's format, with a request id", async () => {
    const res = await raw(Buffer.from('GET /networking/v2.0/ports HTTP/1.1\r\nConnection: close\r\n\r\n'));
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), {
      NeutronError: {
        type: 'HTTPBadRequest',
        message: 'Malformed request: an HTTP/1.1 request needs a Host header',
        detail: '',
      },
    });
    assert.match(res.headers, /x-openstack-request-id: req-/);
  });
  test("a path starting with // and an absolute-form target keep their service's format", async () => {
    const doubled = await cloud.request('GET', '//networking/v2.0/ports', { as: 'member' });
    assert.equal(doubled.status, 404);
    assert.deepEqual(doubled.body, {
      NeutronError: { type: 'HTTPNotFound', message: 'The resource could not be found.', detail: '' },
    });
    const { host } = new URL(cloud.url);
    const absolute = await raw(
      Buffer.from(
        `GET ${cloud.url}/identity/v3/auth/tokens HTTP/1.1\r\nHost: ${host}\r\nX-Auth-Token: ${cloud.tokens.admin}\r\nConnection: close\r\n\r\n`,
      ),
    );
    assert.equal(absolute.status, 404);
    assert.deepEqual(JSON.parse(absolute.body), {
      error: { code: 404, title: 'Not Found', message: 'No token in the request' },
    });
  });
  test('the server still answers afterwards', async () => {
    assert.equal((await cloud.request('GET', '/stratus/health')).status, 200);
  });
});
