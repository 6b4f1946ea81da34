// Exact Nova fault bodies (status + `{"<faultName>": {"code", "message"}}`) for compute API errors:
// legacy os-services actions, server actions, create, list, and router-level faults.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';

let cloud: TestCloud;
let image: string;
let server: string;
const MISSING = '5e4a2a0a-1111-4222-8333-444455556666';

before(async () => {
  cloud = await TestCloud.start();
  image = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images[0].id;
  server = await cloud.createServer('member');
});
after(async () => {
  await cloud.close();
});

const fault = (code: number, message: string) => {
  const key = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 405: 'badMethod', 409: 'conflictingRequest' }[
    code as 400
  ];
  return { [key]: { code, message } };
};

async function expectFault(res: { status: number; body: unknown; text: string }, code: number, message: string) {
  assert.equal(res.status, code, res.text);
  assert.deepEqual(res.body, fault(code, message));
}

describe('PUT /os-services/{action} before 2.53 (legacy actions)', () => {
  const put = (action: string, body: unknown, mv = '2.11') =>
    cloud.request('PUT', `/v2.1/os-services/${action}`, { as: 'admin', mv, body });

  test('400 when host is missing (schema: required)', async () => {
    await expectFault(await put('disable', { binary: 'nova-compute' }), 400, "'host' is a required property");
  });
  test('400 schema error: an unknown property at the top level', async () => {
    await expectFault(
      await put('disable', { host: 'compute-test', binary: 'nova-compute', bogus: 1 }),
      400,
      "Additional properties are not allowed ('bogus' was unexpected)",
    );
  });
  test('404 unknown legacy action', async () => {
    await expectFault(await put('frobnicate', { host: 'compute-test', binary: 'nova-compute' }), 404, 'Unknown action');
  });
  test('404 force-down is not an action before 2.11', async () => {
    await expectFault(
      await put('force-down', { host: 'compute-test', binary: 'nova-compute' }, '2.10'),
      404,
      'Unknown action',
    );
  });
});

describe('POST /servers/{id}/action', () => {
  const act = (body: unknown, as: 'admin' | 'member' | 'reader' = 'member', id = server) =>
    cloud.request('POST', `/v2.1/servers/${id}/action`, { as, body });

  test('400 Malformed request body for {}', async () => {
    await expectFault(await act({}), 400, 'Malformed request body');
  });
  test('400 Malformed request body for an array body', async () => {
    await expectFault(await act([]), 400, 'Malformed request body');
  });
  test('400 Malformed request body for two actions at once (Nova: wsgi action_peek)', async () => {
    await expectFault(await act({ 'os-stop': null, 'os-start': null }), 400, 'Malformed request body');
  });
  test('400 os-resetState without state (admin)', async () => {
    await expectFault(
      await act({ 'os-resetState': {} }, 'admin'),
      400,
      "Invalid input for field/attribute os-resetState. Value: {}. 'state' is a required property",
    );
  });
  test('400 os-resetState with an invalid state (admin)', async () => {
    await expectFault(
      await act({ 'os-resetState': { state: 'bogus' } }, 'admin'),
      400,
      "Invalid input for field/attribute state. Value: bogus. 'bogus' is not one of ['active', 'error']",
    );
  });
  test('400 reboot with a bad type', async () => {
    await expectFault(
      await act({ reboot: { type: 'WARM' } }),
      400,
      "Invalid input for field/attribute type. Value: WARM. 'WARM' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
    );
  });
  const unknownServerActions: Array<[string, unknown]> = [
    ['os-stop', null],
    ['lock', null],
    ['unlock', null],
    ['os-getConsoleOutput', {}],
    ['restore', null],
    ['forceDelete', null],
  ];
  for (const [action, value] of unknownServerActions) {
    test(`404 unknown server for ${action}`, async () => {
      await expectFault(
        await act({ [action]: value }, 'member', MISSING),
        404,
        `Instance ${MISSING} could not be found.`,
      );
    });
  }
  test('403 reader on a power action (os-stop)', async () => {
    await expectFault(
      await act({ 'os-stop': null }, 'reader'),
      403,
      "Policy doesn't allow os_compute_api:servers:stop to be performed.",
    );
  });
});

describe('POST /servers', () => {
  test("400 flavor too small for the image's min_ram", async () => {
    const big = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { name: 'needs-lots-of-ram', min_ram: 100000, visibility: 'public' },
    });
    assert.equal(big.status, 201, big.text);
    const put = await cloud.request('PUT', `/image/v2/images/${big.body.id}/file`, {
      as: 'admin',
      rawBody: 'image data',
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.status, 204, put.text);
    const res = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      body: { server: { name: 'vm', imageRef: big.body.id, flavorRef: '1' } },
    });
    await expectFault(res, 400, "Flavor's memory is too small for requested image.");
  });
  test('400 for an unknown port (Nova maps PortNotFound to 400 on create)', async () => {
    const res = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      body: { server: { name: 'vm', imageRef: image, flavorRef: '1', networks: [{ port: MISSING }] } },
    });
    await expectFault(res, 400, `Port id ${MISSING} could not be found.`);
  });
  test('400 for one port given to several servers', async () => {
    const net = (await cloud.request('GET', '/networking/v2.0/networks?name=private', { as: 'member' })).body
      .networks[0].id;
    const port = await cloud.request('POST', '/networking/v2.0/ports', {
      as: 'member',
      body: { port: { network_id: net } },
    });
    assert.equal(port.status, 201, port.text);
    const res = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      body: {
        server: { name: 'vm', imageRef: image, flavorRef: '1', max_count: 2, networks: [{ port: port.body.port.id }] },
      },
    });
    await expectFault(
      res,
      400,
      'Failed to launch instances: Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.',
    );
  });
  test('400 max_count above 1000 (Stratus bound; Stratus has no quotas)', async () => {
    const res = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      body: { server: { name: 'vm', imageRef: image, flavorRef: '1', max_count: 1001 } },
    });
    await expectFault(res, 400, 'max_count may not exceed 1000');
  });
});

describe('GET /servers and /servers/detail', () => {
  test('400 changes-before earlier than changes-since (2.66)', async () => {
    const res = await cloud.request(
      'GET',
      '/v2.1/servers?changes-since=2020-01-02T00:00:00Z&changes-before=2020-01-01T00:00:00Z',
      { as: 'member', mv: '2.66' },
    );
    await expectFault(res, 400, 'The value of changes-since must be less than or equal to changes-before.');
  });
  test('400 status=BOGUS from 2.38', async () => {
    await expectFault(
      await cloud.request('GET', '/v2.1/servers?status=BOGUS', { as: 'member', mv: '2.38' }),
      400,
      'Invalid status value',
    );
  });
  test('403 all_tenants for a member (index)', async () => {
    await expectFault(
      await cloud.request('GET', '/v2.1/servers?all_tenants=1', { as: 'member' }),
      403,
      "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.",
    );
  });
  test('403 all_tenants for a member (detail)', async () => {
    await expectFault(
      await cloud.request('GET', '/v2.1/servers/detail?all_tenants=1', { as: 'member' }),
      403,
      "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.",
    );
  });
});

describe('router-level faults', () => {
  test('OPTIONS /servers: 405 badMethod with Allow', async () => {
    const res = await cloud.request('OPTIONS', '/v2.1/servers', { as: 'member' });
    await expectFault(res, 405, 'The method specified is not allowed for this resource.');
    assert.match(res.headers.get('allow') ?? '', /GET/);
  });
  test('a badly percent-encoded URL: 400 Malformed request URL', async () => {
    await expectFault(
      await cloud.request('GET', '/v2.1/servers/%E0%A4%A', { as: 'member' }),
      400,
      'Malformed request URL',
    );
  });
});
