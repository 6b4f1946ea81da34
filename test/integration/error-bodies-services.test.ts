// Error responses of the Glance, Neutron and Keystone subsets (and unknown Stratus paths): status
// and exact body. Only cases where Stratus agrees with the real service are asserted here.
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';

let cloud: TestCloud;
before(async () => {
  cloud = await TestCloud.start();
});
after(async () => {
  await cloud.close();
});

const UNKNOWN = '11111111-2222-3333-4444-555555555555';

/**
 * Glance's JSON error body is webob's ({code, title, message}); webob writes `code` as the status
 * line ("404 Not Found"), Stratus as a number, so image bodies are compared without `code` and the
 * status is asserted separately.
 */
function imageFault(res: { status: number; body: any }, status: number, title: string, message: string): void {
  assert.equal(res.status, status);
  const { code: _code, ...rest } = res.body;
  assert.deepEqual(rest, { title, message });
}

const neutron = (type: string, message: string) => ({ NeutronError: { type, message, detail: '' } });
const keystone = (code: number, title: string, message: string) => ({ error: { code, title, message } });

describe('image API errors', () => {
  test('GET /v2/images/:id of an unknown image: 404 "No image found with ID …"', async () => {
    const res = await cloud.request('GET', `/image/v2/images/${UNKNOWN}`, { as: 'member' });
    imageFault(res, 404, 'Not Found', `No image found with ID ${UNKNOWN}`);
  });
  test("GET /v2/images/:id of another project's private image: the same 404", async () => {
    const made = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { name: 'admins-private', visibility: 'private', disk_format: 'raw', container_format: 'bare' },
    });
    assert.equal(made.status, 201);
    const res = await cloud.request('GET', `/image/v2/images/${made.body.id}`, { as: 'other' });
    imageFault(res, 404, 'Not Found', `No image found with ID ${made.body.id}`);
  });
  test('DELETE /v2/images/:id of a protected image: 403', async () => {
    const made = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { name: 'keep-me', visibility: 'public', protected: true, disk_format: 'raw', container_format: 'bare' },
    });
    assert.equal(made.status, 201);
    const res = await cloud.request('DELETE', `/image/v2/images/${made.body.id}`, { as: 'admin' });
    imageFault(res, 403, 'Forbidden', `Image ${made.body.id} is protected and cannot be deleted.`);
    assert.equal((await cloud.request('GET', `/image/v2/images/${made.body.id}`, { as: 'admin' })).status, 200);
  });
  test("POST with an id that exists: 409 in Glance's words; DELETE of an unknown image: 404 in Glance's words", async () => {
    const id = randomUUID();
    assert.equal(
      (await cloud.request('POST', '/image/v2/images', { as: 'admin', body: { id, name: 'once' } })).status,
      201,
    );
    imageFault(
      await cloud.request('POST', '/image/v2/images', { as: 'admin', body: { id, name: 'twice' } }),
      409,
      'Conflict',
      `Image ID ${id} already exists!`,
    );
    imageFault(
      await cloud.request('DELETE', `/image/v2/images/${UNKNOWN}`, { as: 'admin' }),
      404,
      'Not Found',
      `Failed to find image ${UNKNOWN} to delete`,
    );
  });
  test('unknown path under /image: 404', async () => {
    const res = await cloud.request('GET', '/image/v2/nothing-here', { as: 'admin' });
    imageFault(res, 404, 'Not Found', 'The resource could not be found.');
  });
});

describe('networking API errors', () => {
  const privateNet = async () =>
    (await cloud.request('GET', '/networking/v2.0/networks?name=private', { as: 'member' })).body.networks[0];
  const memberPort = async () => {
    const made = await cloud.request('POST', '/networking/v2.0/ports', {
      as: 'member',
      body: { port: { network_id: (await privateNet()).id } },
    });
    assert.equal(made.status, 201);
    return made.body.port.id as string;
  };

  test('POST /ports on an unknown network: 404 NetworkNotFound', async () => {
    const res = await cloud.request('POST', '/networking/v2.0/ports', {
      as: 'member',
      body: { port: { network_id: UNKNOWN } },
    });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, neutron('NetworkNotFound', `Network ${UNKNOWN} could not be found.`));
  });
  test("POST /ports when the network's addresses are exhausted: 409 IpAddressGenerationFailure", async () => {
    // A /30 has one address left once network, gateway and broadcast are taken.
    const made = await cloud.request('POST', '/networking/v2.0/networks', {
      as: 'member',
      body: { network: { name: 'tiny' } },
    });
    assert.equal(made.status, 201, made.text);
    const netId = made.body.network.id as string;
    const sub = await cloud.request('POST', '/networking/v2.0/subnets', {
      as: 'member',
      body: { subnet: { network_id: netId, name: 'tiny-subnet', cidr: '192.168.77.0/30', ip_version: 4 } },
    });
    assert.equal(sub.status, 201, sub.text);
    const first = await cloud.request('POST', '/networking/v2.0/ports', {
      as: 'member',
      body: { port: { network_id: netId } },
    });
    assert.equal(first.status, 201);
    assert.equal(first.body.port.fixed_ips[0].ip_address, '192.168.77.2');
    const res = await cloud.request('POST', '/networking/v2.0/ports', {
      as: 'member',
      body: { port: { network_id: netId } },
    });
    assert.equal(res.status, 409);
    assert.deepEqual(
      res.body,
      neutron('IpAddressGenerationFailure', `No more IP addresses available on network ${netId}.`),
    );
  });
  test('GET, PUT and DELETE /ports/:id of an unknown port: 404 PortNotFound', async () => {
    const expected = neutron('PortNotFound', `Port ${UNKNOWN} could not be found.`);
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { port: { name: 'x' } }],
      ['DELETE', undefined],
    ] as const) {
      const res = await cloud.request(method, `/networking/v2.0/ports/${UNKNOWN}`, { as: 'member', body });
      assert.equal(res.status, 404, method);
      assert.deepEqual(res.body, expected, method);
    }
  });
  test("another project's port is not found (404), not forbidden", async () => {
    const id = await memberPort();
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { port: { name: 'x' } }],
      ['DELETE', undefined],
    ] as const) {
      const res = await cloud.request(method, `/networking/v2.0/ports/${id}`, { as: 'other', body });
      assert.equal(res.status, 404, method);
      assert.deepEqual(res.body, neutron('PortNotFound', `Port ${id} could not be found.`), method);
    }
  });
  test('GET /subnets/:id of an unknown subnet: 404 SubnetNotFound', async () => {
    const res = await cloud.request('GET', `/networking/v2.0/subnets/${UNKNOWN}`, { as: 'member' });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, neutron('SubnetNotFound', `Subnet ${UNKNOWN} could not be found.`));
  });
  test('unknown path under /networking: 404 HTTPNotFound', async () => {
    const res = await cloud.request('GET', '/networking/v2.0/nothing-here', { as: 'member' });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, neutron('HTTPNotFound', 'The resource could not be found.'));
  });
});

describe('identity API errors', () => {
  const T = '/identity/v3/auth/tokens';
  test('POST with a user name but no domain: 400 ValidationError', async () => {
    const res = await cloud.request('POST', T, {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', password: 'secret' } } } } },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(
      res.body,
      keystone(
        400,
        'Bad Request',
        'Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
      ),
    );
  });
  test('POST with another method: 401 unsupported method; with an unknown domain: the generic 401 (Keystone does not say what was wrong)', async () => {
    const totp = await cloud.request('POST', T, { body: { auth: { identity: { methods: ['totp'], totp: {} } } } });
    assert.equal(totp.status, 401);
    assert.deepEqual(totp.body, keystone(401, 'Unauthorized', 'Attempted to authenticate with an unsupported method.'));
    const nodomain = await cloud.request('POST', T, {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'demo', domain: { name: 'Nope' }, password: 'secret' } },
          },
        },
      },
    });
    assert.equal(nodomain.status, 401);
    assert.deepEqual(
      nodomain.body,
      keystone(401, 'Unauthorized', 'The request you have made requires authentication.'),
    );
  });
  test("GET and DELETE without a subject token, GET of a revoked one, DELETE of an unknown one: 404 in Keystone's words", async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await cloud.request(method, T, { as: 'admin' });
      assert.equal(res.status, 404, method);
      assert.deepEqual(res.body, keystone(404, 'Not Found', 'No token in the request'), method);
    }
    const { token } = await cloud.issueToken('demo', 'demo');
    assert.equal(
      (await cloud.request('DELETE', T, { as: 'admin', headers: { 'x-subject-token': token } })).status,
      204,
    );
    const revoked = await cloud.request('GET', T, { as: 'admin', headers: { 'x-subject-token': token } });
    assert.equal(revoked.status, 404);
    assert.deepEqual(revoked.body, keystone(404, 'Not Found', 'Failed to validate token'));
    const unknown = await cloud.request('DELETE', T, { as: 'admin', headers: { 'x-subject-token': 'not-a-token' } });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, keystone(404, 'Not Found', 'Could not find token: not-a-token.'));
  });
  test('POST with a wrong password: 401 with the generic message and WWW-Authenticate', async () => {
    const res = await cloud.request('POST', T, {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'wrong' } },
          },
        },
      },
    });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, keystone(401, 'Unauthorized', 'The request you have made requires authentication.'));
    assert.equal(res.headers.get('www-authenticate'), `Keystone uri="${cloud.url}/identity"`);
    assert.equal(res.headers.get('x-subject-token'), null);
  });
});

describe('Stratus API errors', () => {
  test('unknown path under /stratus: 404 in Nova form', async () => {
    const res = await cloud.request('GET', '/stratus/nothing-here', { as: 'admin' });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  });
});
