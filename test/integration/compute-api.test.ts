// The compute API around delete: versions, microversions, flavors, create/list/show/update, actions, services.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, UUID_RE } from '../../src/testing/kit.js';

let cloud: TestCloud;
let image: string;
let privateNet: string;
before(async () => {
  cloud = await TestCloud.start();
  image = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images[0].id;
  privateNet = (await cloud.request('GET', '/networking/v2.0/networks?name=private', { as: 'member' })).body.networks[0]
    .id;
});
after(async () => {
  await cloud.close();
});

const create = (server: Record<string, unknown>, mv = '2.1', as: 'member' | 'reader' | 'admin' = 'member') =>
  cloud.request('POST', '/v2.1/servers', {
    as,
    mv,
    body: { server: { name: 'vm', imageRef: image, flavorRef: '1', ...server } },
  });

describe('versions and microversions', () => {
  test('GET / lists v2.0 and v2.1 without a token', async () => {
    const res = await cloud.request('GET', '/');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.versions.map((v: { id: string }) => v.id),
      ['v2.0', 'v2.1'],
    );
    assert.equal(res.body.versions[1].version, '2.96');
    assert.equal(res.body.versions[1].min_version, '2.1');
  });
  for (const path of ['/v2.1', '/v2.1/']) {
    test(`GET ${path} without a token, with version headers`, async () => {
      const res = await cloud.request('GET', path);
      assert.equal(res.status, 200);
      assert.equal(res.body.version.id, 'v2.1');
      assert.equal(res.body.version.links[0].href, `${cloud.url}/v2.1/`);
      assert.equal(res.headers.get('openstack-api-version'), 'compute 2.1');
      assert.match(res.headers.get('vary') ?? '', /OpenStack-API-Version/);
      assert.match(res.headers.get('x-compute-request-id') ?? '', /^req-/);
    });
  }
  test('the legacy header is honoured and latest is the maximum', async () => {
    const a = await cloud.request('GET', '/v2.1/servers', {
      as: 'member',
      headers: { 'x-openstack-nova-api-version': '2.53' },
    });
    assert.equal(a.headers.get('x-openstack-nova-api-version'), '2.53');
    const b = await cloud.request('GET', '/v2.1/servers', { as: 'member', mv: 'latest' });
    assert.equal(b.headers.get('openstack-api-version'), 'compute 2.96');
    const low = await cloud.request('GET', '/v2.1/servers', { as: 'member', mv: '2.0' });
    assert.equal(low.status, 406);
    assert.equal(low.body.computeFault.code, 406);
  });
  test('unknown path: 404 itemNotFound; non-hex project id: 404', async () => {
    const a = await cloud.request('GET', '/v2.1/nothing-here/at/all', { as: 'member' });
    assert.equal(a.status, 404);
    assert.equal(a.body.itemNotFound.code, 404);
    const b = await cloud.request('GET', '/v2.1/zzzz/servers', { as: 'member' });
    assert.equal(b.status, 404);
  });
});

describe('flavors', () => {
  test('list, detail and show', async () => {
    const list = await cloud.request('GET', '/v2.1/flavors', { as: 'reader' });
    assert.deepEqual(
      list.body.flavors.map((f: { name: string }) => f.name),
      ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large', 'm1.xlarge'],
    );
    const detail = await cloud.request('GET', '/v2.1/flavors/detail', { as: 'reader' });
    assert.equal(detail.body.flavors[0].ram, 512);
    const one = await cloud.request('GET', '/v2.1/flavors/2', { as: 'reader', mv: '2.75' });
    assert.equal(one.body.flavor.name, 'm1.small');
    assert.equal(one.body.flavor.swap, 0);
    const missing = await cloud.request('GET', '/v2.1/flavors/m1.tiny', { as: 'reader' });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { itemNotFound: { code: 404, message: 'Flavor m1.tiny could not be found.' } });
  });
});

describe('create', () => {
  test('202 with id, links and adminPass; becomes ACTIVE with a port on the network', async () => {
    const res = await create({ networks: [{ uuid: privateNet }] });
    assert.equal(res.status, 202);
    const s = res.body.server;
    assert.match(s.id, UUID_RE);
    assert.equal(typeof s.adminPass, 'string');
    assert.equal(s.links[0].href, `${cloud.url}/v2.1/servers/${s.id}`);
    const building = (await cloud.server(s.id)).body.server.status;
    assert.ok(['BUILD', 'ACTIVE'].includes(building));
    await cloud.drain();
    const shown = (await cloud.server(s.id, 'member', '2.96')).body.server;
    assert.equal(shown.status, 'ACTIVE');
    assert.equal(shown.addresses.private[0].addr.startsWith('10.0.0.'), true);
    const ports = (await cloud.request('GET', `/networking/v2.0/ports?device_id=${s.id}`, { as: 'member' })).body.ports;
    assert.equal(ports.length, 1);
    assert.equal(ports[0].device_owner, 'compute:nova');
  });
  test('networks none, auto, and a port the user made (only unbound on delete)', async () => {
    const none = await create({ networks: 'none' }, '2.37');
    assert.equal(none.status, 202);
    await cloud.drain();
    assert.deepEqual((await cloud.server(none.body.server.id)).body.server.addresses, {});
    const port = await cloud.request('POST', '/networking/v2.0/ports', {
      as: 'member',
      body: { port: { network_id: privateNet, name: 'mine' } },
    });
    assert.equal(port.status, 201);
    const withPort = await create({ networks: [{ port: port.body.port.id }] });
    assert.equal(withPort.status, 202);
    await cloud.drain();
    const bound = (await cloud.request('GET', `/networking/v2.0/ports/${port.body.port.id}`, { as: 'member' })).body
      .port;
    assert.equal(bound.device_id, withPort.body.server.id);
    const inUse = await create({ networks: [{ port: port.body.port.id }] });
    assert.equal(inUse.status, 409);
    assert.deepEqual(inUse.body, {
      conflictingRequest: { code: 409, message: `Port ${port.body.port.id} is still in use.` },
    });
    assert.equal(
      (await cloud.request('DELETE', `/v2.1/servers/${withPort.body.server.id}`, { as: 'member' })).status,
      204,
    );
    await cloud.drain();
    const after = await cloud.request('GET', `/networking/v2.0/ports/${port.body.port.id}`, { as: 'member' });
    assert.equal(after.status, 200, "the user's port survives");
    assert.equal(after.body.port.device_id, '');
    assert.equal(after.body.port.device_owner, '');
  });
  test('min_count/max_count names servers like Nova and can return a reservation id', async () => {
    const res = await create(
      { name: 'multi', min_count: 2, max_count: 2, return_reservation_id: true, networks: 'none' },
      '2.37',
    );
    assert.equal(res.status, 202);
    assert.match(res.body.reservation_id, /^r-/);
    const list = await cloud.request('GET', `/v2.1/servers?reservation_id=${res.body.reservation_id}`, {
      as: 'member',
    });
    assert.deepEqual(list.body.servers.map((s: { name: string }) => s.name).sort(), ['multi-1', 'multi-2']);
  });
  const bad: Array<[string, Record<string, unknown>, string, number, string | RegExp]> = [
    ['unknown image', { imageRef: '11111111-2222-3333-4444-555555555555' }, '2.1', 400, 'Can not find requested image'],
    ['malformed image', { imageRef: 'nope' }, '2.1', 400, 'Invalid imageRef provided.'],
    ['unknown flavor', { flavorRef: '99' }, '2.1', 400, 'Flavor 99 could not be found.'],
    [
      'unknown network',
      { networks: [{ uuid: '11111111-2222-3333-4444-555555555555' }] },
      '2.1',
      400,
      'Network 11111111-2222-3333-4444-555555555555 could not be found.',
    ],
    ['networks required from 2.37', {}, '2.37', 400, /'networks' is a required property/],
    ['unknown field', { bogus: 1 }, '2.1', 400, /Additional properties are not allowed \('bogus' was unexpected\)/],
    ['wrong type for name', { name: 42 }, '2.1', 400, /name/],
    ['min_count > max_count', { min_count: 3, max_count: 2 }, '2.1', 400, 'min_count must be <= max_count'],
    ['description before 2.19', { description: 'x' }, '2.1', 400, /description/],
  ];
  for (const [what, server, mv, status, message] of bad) {
    test(`400 for ${what}`, async () => {
      const res = await create(server, mv);
      assert.equal(res.status, status, res.text);
      assert.equal(res.body.badRequest.code, 400);
      if (typeof message === 'string') assert.equal(res.body.badRequest.message, message);
      else assert.match(res.body.badRequest.message, message);
    });
  }
  test('403 for a reader', async () => {
    const res = await create({}, '2.1', 'reader');
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, {
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:create to be performed." },
    });
  });
  test('bad input: malformed JSON, no body, wrong media type, huge body', async () => {
    const malformed = await cloud.request('POST', '/v2.1/servers', { as: 'member', rawBody: '{"server": ' });
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.body, { badRequest: { code: 400, message: 'Malformed request body' } });
    const empty = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.badRequest.code, 400);
    const xml = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      rawBody: '<server/>',
      headers: { 'content-type': 'application/xml' },
    });
    assert.equal(xml.status, 415);
    assert.deepEqual(xml.body, { badMediaType: { code: 415, message: 'Unsupported Content-Type' } });
    const huge = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      rawBody: JSON.stringify({ server: { name: 'x'.repeat(200000) } }),
    });
    assert.equal(huge.status, 413);
    assert.deepEqual(huge.body, { overLimit: { code: 413, message: 'Request is too large.' } });
  });
});

describe('list and show', () => {
  test('filters, paging with marker and servers_links, sorting', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await cloud.createServer('member', { name: `page-${i}` }));
    const p1 = await cloud.request('GET', '/v2.1/servers?name=page-&limit=2', { as: 'member' });
    assert.equal(p1.body.servers.length, 2);
    assert.match(p1.body.servers_links[0].href, /marker=/);
    const marker = p1.body.servers[1].id;
    const p2 = await cloud.request('GET', `/v2.1/servers?name=page-&limit=2&marker=${marker}`, { as: 'member' });
    assert.equal(p2.body.servers.length, 1);
    const all = [...p1.body.servers, ...p2.body.servers].map((s: { id: string }) => s.id).sort();
    assert.deepEqual(all, [...ids].sort());
    const asc = await cloud.request('GET', '/v2.1/servers?name=page-&sort_key=display_name&sort_dir=asc', {
      as: 'member',
    });
    assert.deepEqual(
      asc.body.servers.map((s: { name: string }) => s.name),
      ['page-0', 'page-1', 'page-2'],
    );
    const status = await cloud.request('GET', '/v2.1/servers/detail?status=ACTIVE&name=page-', { as: 'member' });
    assert.equal(status.body.servers.length, 3);
    const badMarker = await cloud.request('GET', '/v2.1/servers?marker=11111111-2222-3333-4444-555555555555', {
      as: 'member',
    });
    assert.equal(badMarker.status, 400);
    assert.deepEqual(badMarker.body, {
      badRequest: { code: 400, message: 'marker [11111111-2222-3333-4444-555555555555] not found' },
    });
    const badStatus = await cloud.request('GET', '/v2.1/servers?status=BOGUS', { as: 'member', mv: '2.38' });
    assert.equal(badStatus.status, 400);
    const badStatusOld = await cloud.request('GET', '/v2.1/servers?status=BOGUS', { as: 'member' });
    assert.deepEqual(badStatusOld.body, { servers: [] });
  });
  test('projects are isolated; all_tenants is for admins', async () => {
    const mine = await cloud.createServer('other', { name: 'alt-only' });
    const member = await cloud.request('GET', '/v2.1/servers?name=alt-only', { as: 'member' });
    assert.equal(member.body.servers.length, 0);
    const memberAll = await cloud.request('GET', '/v2.1/servers?all_tenants=1', { as: 'member' });
    assert.equal(memberAll.status, 403);
    const admin = await cloud.request('GET', '/v2.1/servers?all_tenants=1&name=alt-only', { as: 'admin' });
    assert.deepEqual(
      admin.body.servers.map((s: { id: string }) => s.id),
      [mine],
    );
    assert.equal((await cloud.server(mine, 'member')).status, 404);
  });
  test('the server view by microversion; admin-only attributes', async () => {
    const id = await cloud.createServer();
    const v21 = (await cloud.server(id, 'member', '2.1')).body.server;
    assert.equal(v21.flavor.id, '1');
    assert.equal('locked' in v21, false);
    assert.equal('OS-EXT-SRV-ATTR:host' in v21, false);
    const v296 = (await cloud.server(id, 'member', '2.96')).body.server;
    assert.equal(v296.flavor.original_name, 'm1.tiny');
    for (const k of [
      'locked',
      'locked_reason',
      'description',
      'tags',
      'trusted_image_certificates',
      'server_groups',
      'pinned_availability_zone',
      'OS-EXT-SRV-ATTR:hostname',
    ])
      assert.ok(k in v296, k);
    const admin = (await cloud.server(id, 'admin', '2.96')).body.server;
    assert.equal(admin['OS-EXT-SRV-ATTR:host'], 'compute-test');
    assert.equal(admin.host_status, 'UP');
    assert.equal(v21.tenant_id, cloud.projects.member);
    assert.match(v21.created, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
  test('update name and description', async () => {
    const id = await cloud.createServer();
    const res = await cloud.request('PUT', `/v2.1/servers/${id}`, {
      as: 'member',
      mv: '2.19',
      body: { server: { name: 'renamed', description: 'd' } },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.server.name, 'renamed');
    assert.equal(res.body.server.description, 'd');
    const bad = await cloud.request('PUT', `/v2.1/servers/${id}`, { as: 'member', body: { server: { flavor: 1 } } });
    assert.equal(bad.status, 400);
  });
});

describe('actions', () => {
  test('stop, start, reboot, pause, unpause, suspend, resume, shelve, unshelve', async () => {
    const id = await cloud.createServer();
    const steps: Array<[Record<string, unknown>, string]> = [
      [{ 'os-stop': null }, 'SHUTOFF'],
      [{ 'os-start': null }, 'ACTIVE'],
      [{ reboot: { type: 'HARD' } }, 'ACTIVE'],
      [{ pause: null }, 'PAUSED'],
      [{ unpause: null }, 'ACTIVE'],
      [{ suspend: null }, 'SUSPENDED'],
      [{ resume: null }, 'ACTIVE'],
      // Nova's default shelved_offload_time 0: offloaded at once.
      [{ shelve: null }, 'SHELVED_OFFLOADED'],
      [{ unshelve: null }, 'ACTIVE'],
    ];
    for (const [body, expected] of steps) {
      const res = await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body });
      assert.equal(res.status, 202, `${JSON.stringify(body)}: ${res.text}`);
      await cloud.drain();
      assert.equal((await cloud.server(id)).body.server.status, expected, JSON.stringify(body));
    }
    const names = (
      await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'member' })
    ).body.instanceActions.map((a: { action: string }) => a.action);
    assert.deepEqual(names.reverse(), [
      'create',
      'stop',
      'start',
      'reboot',
      'pause',
      'unpause',
      'suspend',
      'resume',
      'shelve',
      'unshelve',
    ]);
  });
  test('409 from the wrong state; 409 when locked; 400 for unknown or malformed actions', async () => {
    const id = await cloud.createServer();
    const start = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { 'os-start': null },
    });
    assert.equal(start.status, 409);
    assert.deepEqual(start.body, {
      conflictingRequest: { code: 409, message: `Cannot 'start' instance ${id} while it is in vm_state active` },
    });
    await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { lock: null } });
    const stop = await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { 'os-stop': null } });
    assert.equal(stop.status, 409);
    assert.deepEqual(stop.body, { conflictingRequest: { code: 409, message: `Instance ${id} is locked` } });
    const unknown = await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { fly: null } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, { badRequest: { code: 400, message: 'There is no such action: fly' } });
    const reboot = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'admin',
      body: { reboot: { type: 'GENTLE' } },
    });
    assert.equal(reboot.status, 400);
    const reset = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { 'os-resetState': { state: 'error' } },
    });
    assert.equal(reset.status, 403);
    assert.deepEqual(reset.body, {
      forbidden: {
        code: 403,
        message: "Policy doesn't allow os_compute_api:os-admin-actions:reset_state to be performed.",
      },
    });
  });
  test('os-getConsoleOutput asks the compute node', async () => {
    const id = await cloud.createServer('member', { name: 'console-vm' });
    const res = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { 'os-getConsoleOutput': { length: 10 } },
    });
    assert.equal(res.status, 200, res.text);
    assert.match(res.body.output, /console-vm/);
    const bad = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { 'os-getConsoleOutput': { length: 'x' } },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, {
      badRequest: { code: 400, message: 'Invalid input for field/attribute length. Value: x.' },
    });
    const reader = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'reader',
      body: { 'os-getConsoleOutput': {} },
    });
    assert.equal(reader.status, 403);
    assert.deepEqual(reader.body, {
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-console-output to be performed." },
    });
    const missing = await cloud.request('POST', '/v2.1/servers/11111111-2222-3333-4444-555555555555/action', {
      as: 'member',
      body: { 'os-getConsoleOutput': {} },
    });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {
      itemNotFound: { code: 404, message: 'Instance 11111111-2222-3333-4444-555555555555 could not be found.' },
    });
  });
  test('os-getConsoleOutput: 409 in a state without a console, 404 when the hypervisor has none (Nova ConsoleNotAvailable)', async () => {
    const offloaded = await cloud.createServer();
    await cloud.request('POST', `/v2.1/servers/${offloaded}/action`, { as: 'member', body: { shelve: null } });
    await cloud.drain();
    await cloud.request('POST', `/v2.1/servers/${offloaded}/action`, { as: 'admin', body: { shelveOffload: null } });
    await cloud.drain();
    const res = await cloud.request('POST', `/v2.1/servers/${offloaded}/action`, {
      as: 'member',
      body: { 'os-getConsoleOutput': {} },
    });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, {
      conflictingRequest: {
        code: 409,
        message: `Cannot 'get_console_output' instance ${offloaded} while it is in vm_state shelved_offloaded`,
      },
    });

    const lost = await cloud.createServer();
    await cloud.stack.agents[0].driver.destroy(lost); // the hypervisor lost the guest behind Stratus' back
    const gone = await cloud.request('POST', `/v2.1/servers/${lost}/action`, {
      as: 'member',
      body: { 'os-getConsoleOutput': {} },
    });
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { itemNotFound: { code: 404, message: 'Guest does not have a console available.' } });
  });
  test('instance action show: unknown request id 404', async () => {
    const id = await cloud.createServer();
    const res = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions/req-nope`, { as: 'member' });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, {
      itemNotFound: { code: 404, message: `Action req-nope on instance ${id} could not be found.` },
    });
  });
});

describe('os-services', () => {
  test('admins list compute services with state; members are refused', async () => {
    const res = await cloud.request('GET', '/v2.1/os-services', { as: 'admin', mv: '2.11' });
    assert.equal(res.status, 200);
    const svc = res.body.services[0];
    assert.equal(svc.binary, 'nova-compute');
    assert.equal(svc.host, 'compute-test');
    assert.equal(svc.state, 'up');
    assert.equal(svc.forced_down, false);
    const member = await cloud.request('GET', '/v2.1/os-services', { as: 'member' });
    assert.equal(member.status, 403);
    assert.deepEqual(member.body, {
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-services:list to be performed." },
    });
  });
  test('unknown service 404, malformed id 400, unknown legacy action 404', async () => {
    const missing = await cloud.request('PUT', '/v2.1/os-services/11111111-2222-3333-4444-555555555555', {
      as: 'admin',
      mv: '2.53',
      body: { status: 'disabled' },
    });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {
      itemNotFound: { code: 404, message: 'Service 11111111-2222-3333-4444-555555555555 could not be found.' },
    });
    const bad = await cloud.request('PUT', '/v2.1/os-services/nope', {
      as: 'admin',
      mv: '2.53',
      body: { status: 'disabled' },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { badRequest: { code: 400, message: 'Invalid uuid nope' } });
    const legacy = await cloud.request('PUT', '/v2.1/os-services/reboot', {
      as: 'admin',
      mv: '2.11',
      body: { host: 'compute-test', binary: 'nova-compute' },
    });
    assert.equal(legacy.status, 404);
    assert.equal(legacy.body.itemNotFound.code, 404);
    const member = await cloud.request('PUT', '/v2.1/os-services/force-down', {
      as: 'member',
      mv: '2.11',
      body: { host: 'compute-test', binary: 'nova-compute', forced_down: true },
    });
    assert.equal(member.status, 403);
    assert.deepEqual(member.body, {
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-services:update to be performed." },
    });
  });
  test('console output of a server whose node is down: 409', async () => {
    const id = await cloud.createServer();
    await cloud.request('PUT', '/v2.1/os-services/force-down', {
      as: 'admin',
      mv: '2.11',
      body: { host: 'compute-test', binary: 'nova-compute', forced_down: true },
    });
    try {
      const res = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
        as: 'member',
        body: { 'os-getConsoleOutput': {} },
      });
      assert.equal(res.status, 409);
      assert.deepEqual(res.body, { conflictingRequest: { code: 409, message: `Instance ${id} is not ready` } });
    } finally {
      await cloud.request('PUT', '/v2.1/os-services/force-down', {
        as: 'admin',
        mv: '2.11',
        body: { host: 'compute-test', binary: 'nova-compute', forced_down: false },
      });
    }
  });
  test('2.11 force-down marks the node down, and back up', async () => {
    const down = await cloud.request('PUT', '/v2.1/os-services/force-down', {
      as: 'admin',
      mv: '2.11',
      body: { host: 'compute-test', binary: 'nova-compute', forced_down: true },
    });
    assert.equal(down.status, 200, down.text);
    assert.deepEqual(down.body, { service: { host: 'compute-test', binary: 'nova-compute', forced_down: true } });
    const list = await cloud.request('GET', '/v2.1/os-services', { as: 'admin', mv: '2.11' });
    assert.equal(list.body.services[0].state, 'down');
    await cloud.request('PUT', '/v2.1/os-services/force-down', {
      as: 'admin',
      mv: '2.11',
      body: { host: 'compute-test', binary: 'nova-compute', forced_down: false },
    });
    assert.equal((await cloud.request('GET', '/v2.1/os-services', { as: 'admin' })).body.services[0].state, 'up');
  });
});
