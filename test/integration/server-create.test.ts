// Server create's fields per microversion (personality, security_groups, config_drive, access IPs,
// adminPass, return_reservation_id, scheduler hints, trusted certs, host/hypervisor_hostname,
// hostname, block_device_mapping_v2), Nova's headers, the update view and the ip/ip6 list
// filters, on SQLite and PostgreSQL: status and exact body of every answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCloud, UUID_RE, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { DEMO_IMAGE_NAME } from '../../src/runtime/seed.js';

const fault = (key: string, code: number, message: string) => ({ [key]: { code, message } });
const bad = (message: string) => fault('badRequest', 400, message);
const forbidden = (message: string) => fault('forbidden', 403, message);
const policy = (rule: string) => forbidden(`Policy doesn't allow ${rule} to be performed.`);
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unexpected = (key: string) =>
  bad(`Invalid input for field/attribute server. Additional properties are not allowed ('${key}' was unexpected)`);

for (const target of databaseTargets()) {
  describe(`server create fields (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let image: string;
    const create = (server: Record<string, unknown>, opts: { as?: Persona; mv?: string; top?: object } = {}) =>
      cloud.request('POST', '/v2.1/servers', {
        as: opts.as ?? 'member',
        mv: opts.mv ?? '2.37',
        body: { server: { name: 'c', imageRef: image, flavorRef: '1', networks: 'none', ...server }, ...opts.top },
      });
    const created = async (server: Record<string, unknown>, opts: Parameters<typeof create>[1] = {}) => {
      const res = await create(server, opts);
      assert.equal(res.status, 202, res.text);
      return res;
    };

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
      image = (await cloud.request('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body.images[0]
        .id;
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    // --- personality --------------------------------------------------------------------
    test('personality (≤ 2.56) is stored and handed to the driver; from 2.57 it is unexpected', async () => {
      const files = [
        { path: '/etc/motd', contents: b64('hello') },
        { path: '/root/x', contents: b64('\u0000bin') },
      ];
      const res = await created({ personality: files }, { mv: '2.56' });
      const id = res.body.server.id;
      await cloud.drain();
      assert.deepEqual(JSON.parse((await cloud.row(id))!.personality), files);
      assert.deepEqual(await cloud.stack.agents[0].driver.injectedFiles(id), files);
      const late = await create({ personality: files }, { mv: '2.57' });
      assert.equal(late.status, 400);
      assert.deepEqual(late.body, unexpected('personality'));
    });

    test('personality limits: 5 files, 255-character paths, 10240 base64 characters (403)', async () => {
      const six = Array.from({ length: 6 }, (_, i) => ({ path: `/f${i}`, contents: b64('x') }));
      let res = await create({ personality: six });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, forbidden('Personality file limit exceeded'));
      res = await create({ personality: [{ path: `/${'p'.repeat(255)}`, contents: b64('x') }] });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, forbidden('Personality file path exceeds maximum 255'));
      res = await create({ personality: [{ path: '/big', contents: 'A'.repeat(10244) }] });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, forbidden('Personality file content exceeds maximum 10240'));
      await created({
        personality: Array.from({ length: 5 }, (_, i) => ({ path: `/f${i}`, contents: 'A'.repeat(10240) })),
      });
    });

    test('personality: contents must be base64, items take only path and contents', async () => {
      let res = await create({ personality: [{ path: '/a', contents: 'not base64!' }] });
      assert.equal(res.status, 400);
      assert.deepEqual(
        res.body,
        bad("Invalid input for field/attribute contents. Value: not base64!. 'not base64!' is not a 'base64'"),
      );
      res = await create({ personality: [{ path: '/a', contents: b64('x'), mode: 1 }] });
      assert.equal(res.status, 400);
      assert.match(res.body.badRequest.message, /'mode' was unexpected/);
    });

    // --- security groups ----------------------------------------------------------------
    test('security_groups: default is accepted and echoed; another name is 400; bad shape 400', async () => {
      const res = await created({ security_groups: [{ name: 'default' }] });
      assert.deepEqual(res.body.server.security_groups, [{ name: 'default' }]);
      const plain = await created({});
      assert.deepEqual(plain.body.server.security_groups, [{ name: 'default' }]);
      const unknown = await create({ security_groups: [{ name: 'web' }] });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body, bad('Security group web not found.'));
      const shape = await create({ security_groups: [{ name: 'default', id: 'x' }] });
      assert.equal(shape.status, 400);
      assert.match(shape.body.badRequest.message, /'id' was unexpected/);
    });

    // --- adminPass, reservation id, config drive, user data, hints ------------------------
    test('adminPass is returned: the given one, else a generated one', async () => {
      assert.equal((await created({ adminPass: 'S3cret!' })).body.server.adminPass, 'S3cret!');
      assert.match((await created({})).body.server.adminPass, /^.{12}$/);
      const res = await created({});
      assert.deepEqual(Object.keys(res.body.server).sort(), [
        'OS-DCF:diskConfig',
        'adminPass',
        'id',
        'links',
        'security_groups',
      ]);
      assert.match(res.body.server.id, UUID_RE);
    });

    test('return_reservation_id: 202 {"reservation_id": "r-…"} with min/max_count; Nova booleans', async () => {
      for (const v of [true, 'True', '1']) {
        const res = await created({ return_reservation_id: v, min_count: 2, max_count: '3' });
        assert.deepEqual(Object.keys(res.body), ['reservation_id']);
        assert.match(res.body.reservation_id, /^r-[0-9a-f]{8}$/);
        const list = await cloud.request('GET', `/v2.1/servers?reservation_id=${res.body.reservation_id}`, {
          as: 'member',
        });
        assert.equal(list.body.servers.length, 3);
      }
      const res = await create({ return_reservation_id: 'maybe' });
      assert.equal(res.status, 400);
      const minMax = await create({ min_count: 3, max_count: 2 });
      assert.equal(minMax.status, 400);
      assert.deepEqual(minMax.body, bad('min_count must be <= max_count'));
    });

    test('config_drive: Nova booleans, shown as "True" or ""; anything else 400', async () => {
      const on = (await created({ config_drive: 'yes' })).body.server.id;
      const off = (await created({ config_drive: false })).body.server.id;
      assert.equal((await cloud.server(on)).body.server.config_drive, 'True');
      assert.equal((await cloud.server(off)).body.server.config_drive, '');
      const res = await create({ config_drive: 'sometimes' });
      assert.equal(res.status, 400);
      assert.match(
        res.body.badRequest.message,
        /^Invalid input for field\/attribute config_drive\. Value: sometimes\. 'sometimes' is not one of \[True, /,
      );
    });

    test("user_data, description, key-less create and scheduler hints of Nova's shape are accepted", async () => {
      const group = await cloud.request('POST', '/v2.1/os-server-groups', {
        as: 'member',
        body: { server_group: { name: 'hint', policies: ['anti-affinity'] } },
      });
      assert.equal(group.status, 200, group.text);
      await created(
        { user_data: b64('#!/bin/sh'), description: 'd' },
        { top: { 'os:scheduler_hints': { group: group.body.server_group.id, foo: 'bar' } } },
      );
      await created({}, { top: { 'OS-SCH-HNT:scheduler_hints': { same_host: ['a'] } } });
      const res = await create({}, { top: { 'os:scheduler_hints': { group: 'not-a-uuid' } } });
      assert.equal(res.status, 400);
      const top = await create({}, { top: { extra: 1 } });
      assert.equal(top.status, 400);
      assert.match(top.body.badRequest.message, /'extra' was unexpected/);
      const unknown = await create({ colour: 'blue' });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.badRequest.message, /'colour' was unexpected/);
    });

    // --- access IPs --------------------------------------------------------------------
    test('accessIPv4 must be IPv4, accessIPv6 IPv6 (stored compact); PUT checks them too', async () => {
      const res = await created({
        accessIPv4: '1.1.1.1',
        accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2',
      });
      const id = res.body.server.id;
      const show = (await cloud.server(id, 'member', '2.1')).body.server;
      assert.equal(show.accessIPv4, '1.1.1.1');
      assert.equal(show.accessIPv6, '::babe:dc0c:1602');
      let bad4 = await create({ accessIPv4: '1.1.1' });
      assert.equal(bad4.status, 400);
      assert.deepEqual(
        bad4.body,
        bad("Invalid input for field/attribute accessIPv4. Value: 1.1.1. '1.1.1' is not a 'ipv4'"),
      );
      const bad6 = await create({ accessIPv6: '1.1.1.1' });
      assert.equal(bad6.status, 400);
      assert.deepEqual(
        bad6.body,
        bad("Invalid input for field/attribute accessIPv6. Value: 1.1.1.1. '1.1.1.1' is not a 'ipv6'"),
      );
      const put = await cloud.request('PUT', `/v2.1/servers/${id}`, {
        as: 'member',
        body: { server: { accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.3' } },
      });
      assert.equal(put.status, 200);
      assert.equal(put.body.server.accessIPv6, '::babe:dc0c:1603');
      bad4 = await cloud.request('PUT', `/v2.1/servers/${id}`, { as: 'member', body: { server: { accessIPv4: 'x' } } });
      assert.equal(bad4.status, 400);
      assert.deepEqual(bad4.body, bad("Invalid input for field/attribute accessIPv4. Value: x. 'x' is not a 'ipv4'"));
    });

    // --- trusted certs -----------------------------------------------------------------
    test('trusted_image_certificates (2.63): stored and shown; before 2.63 unexpected; bad shapes 400', async () => {
      const id = (await created({ trusted_image_certificates: ['cert-1', 'cert-2'] }, { mv: '2.63' })).body.server.id;
      assert.deepEqual((await cloud.server(id, 'member', '2.63')).body.server.trusted_image_certificates, [
        'cert-1',
        'cert-2',
      ]);
      const plain = (await created({}, { mv: '2.63' })).body.server.id;
      assert.equal((await cloud.server(plain, 'member', '2.63')).body.server.trusted_image_certificates, null);
      const early = await create({ trusted_image_certificates: ['c'] }, { mv: '2.62' });
      assert.equal(early.status, 400);
      assert.deepEqual(early.body, unexpected('trusted_image_certificates'));
      for (const v of [[], ['a', 'a'], [''], 'cert']) {
        const res = await create({ trusted_image_certificates: v }, { mv: '2.63' });
        assert.equal(res.status, 400, JSON.stringify(v));
      }
    });

    // --- host / hypervisor_hostname ----------------------------------------------------
    test('host and hypervisor_hostname (2.74): admin only, the host must exist, not with zone:host', async () => {
      const host = cloud.stack.agents[0].host;
      const res = await created({ host, hypervisor_hostname: host }, { as: 'admin', mv: '2.74' });
      await cloud.drain();
      assert.equal((await cloud.server(res.body.server.id)).body.server['OS-EXT-SRV-ATTR:host'], host);
      for (const as of ['member', 'reader', 'other'] as Persona[]) {
        const r = await create({ host }, { as, mv: '2.74' });
        assert.equal(r.status, 403, as);
        // Nova checks servers:create first: a reader is refused that rule.
        assert.deepEqual(
          r.body,
          policy(as === 'reader' ? 'os_compute_api:servers:create' : 'compute:servers:create:requested_destination'),
        );
      }
      let r = await create({ host: 'nowhere' }, { as: 'admin', mv: '2.74' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, bad('Compute host nowhere could not be found.'));
      r = await create({ hypervisor_hostname: 'nowhere' }, { as: 'admin', mv: '2.74' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, bad('Compute host nowhere could not be found.'));
      r = await create({ host, availability_zone: `nova:${host}` }, { as: 'admin', mv: '2.74' });
      assert.equal(r.status, 400);
      assert.deepEqual(
        r.body,
        bad(
          'One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.',
        ),
      );
      r = await create({ host }, { as: 'admin', mv: '2.73' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, unexpected('host'));
      r = await create({ host: 'bad host!' }, { as: 'admin', mv: '2.74' });
      assert.equal(r.status, 400);
    });

    // --- hostname ------------------------------------------------------------------------
    test("hostname (2.90): stored; Nova's pattern before 2.94; not with max_count > 1; unexpected before", async () => {
      const id = (await created({ hostname: 'my-host' }, { mv: '2.90' })).body.server.id;
      assert.equal((await cloud.server(id, 'member', '2.90')).body.server['OS-EXT-SRV-ATTR:hostname'], 'my-host');
      let r = await create({ hostname: 'my.host' }, { mv: '2.90' });
      assert.equal(r.status, 400);
      assert.deepEqual(
        r.body,
        bad(
          "Invalid input for field/attribute hostname. Value: my.host. 'my.host' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'",
        ),
      );
      await created({ hostname: 'my.host' }, { mv: '2.94' });
      r = await create({ hostname: 'h1', max_count: 2 }, { mv: '2.90' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, bad('Unable to allocate a single hostname to multiple instances'));
      r = await create({ hostname: 'h1' }, { mv: '2.89' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, unexpected('hostname'));
    });

    // --- block_device_mapping_v2 ----------------------------------------------------------
    test('block_device_mapping_v2: image→local boot_index 0 boots; volume sources checked against Cinder (boot-from-volume.test.ts boots them)', async () => {
      const local = { source_type: 'image', destination_type: 'local', boot_index: 0, uuid: image };
      await created({ block_device_mapping_v2: [local] });
      let r = await create({ block_device_mapping_v2: [{ ...local, boot_index: 1 }] });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, bad('Block Device Mapping is Invalid: Mapping image to local is not supported.'));
      const vol = '00000000-0000-4000-8000-00000000000a';
      r = await create({
        block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume', boot_index: 0, uuid: vol }],
      });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, bad(`Block Device Mapping is Invalid: failed to get volume ${vol}.`));
      r = await create({
        block_device_mapping_v2: [{ source_type: 'snapshot', destination_type: 'volume', uuid: vol }],
      });
      assert.deepEqual(r.body, bad(`Block Device Mapping is Invalid: failed to get snapshot ${vol}.`));
      r = await create({
        block_device_mapping_v2: [{ source_type: 'image', destination_type: 'volume', uuid: image }],
      });
      assert.equal(r.status, 400);
      assert.deepEqual(
        r.body,
        bad(
          "Block Device Mapping is Invalid: Images with destination_type 'volume' need to have a non-zero size specified",
        ),
      );
      r = await create({ block_device_mapping_v2: [{ source_type: 'volume' }] });
      assert.deepEqual(r.body, bad('Block Device Mapping is Invalid: Missing device UUID.'));
      r = await create({ block_device_mapping_v2: [{ source_type: 'blank', uuid: vol }] });
      assert.deepEqual(r.body, bad('Block Device Mapping is Invalid: Invalid device UUID.'));
      r = await create({ block_device_mapping_v2: [{ source_type: 'floppy' }] });
      assert.equal(r.status, 400);
      r = await create({ block_device_mapping_v2: [{ ...local, shiny: true }] });
      assert.equal(r.status, 400);
      assert.match(r.body.badRequest.message, /'shiny' was unexpected/);
    });

    // --- headers -----------------------------------------------------------------------
    test('headers: JSON bodies are application/json; faults add charset=UTF-8; empty 202 typed', async () => {
      const list = await cloud.request('GET', '/v2.1/servers', { as: 'member' });
      assert.equal(list.headers.get('content-type'), 'application/json');
      const missing = await cloud.request('GET', '/v2.1/servers/00000000-0000-0000-0000-000000000000', {
        as: 'member',
      });
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get('content-type'), 'application/json; charset=UTF-8');
      const id = (await created({})).body.server.id;
      await cloud.drain();
      const lock = await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { lock: null } });
      assert.equal(lock.status, 202);
      assert.equal(lock.text, '');
      assert.equal(lock.headers.get('content-type'), 'application/json');
      assert.equal(lock.headers.get('content-length'), '0');
      assert.equal(lock.headers.get('openstack-api-version'), 'compute 2.1');
      assert.equal(lock.headers.get('x-openstack-nova-api-version'), '2.1');
      assert.match(lock.headers.get('vary') ?? '', /OpenStack-API-Version.*X-OpenStack-Nova-API-Version/);
      assert.ok(lock.headers.get('x-compute-request-id'));
    });

    test('headers: a 400 for an unparsable microversion has no version headers; a 406 has them', async () => {
      const res = await cloud.request('GET', '/v2.1/servers', { as: 'member', mv: 'abc' });
      assert.equal(res.status, 400);
      assert.deepEqual(
        res.body,
        bad('API Version String abc is of invalid format. Must be of format MajorNum.MinorNum.'),
      );
      assert.equal(res.headers.get('openstack-api-version'), null);
      assert.equal(res.headers.get('x-openstack-nova-api-version'), null);
      assert.equal(res.headers.get('vary'), null);
      const high = await cloud.request('GET', '/v2.1/servers', { as: 'member', mv: '2.999' });
      assert.equal(high.status, 406);
      assert.equal(high.headers.get('openstack-api-version'), 'compute 2.999');
      assert.equal(high.headers.get('content-type'), 'application/json; charset=UTF-8');
    });

    test('headers: Keystone answers carry Vary: X-Auth-Token and application/json', async () => {
      const res = await cloud.request('POST', '/identity/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: 'demo', domain: { id: 'default' }, password: 'secret' } },
            },
          },
        },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.headers.get('vary'), 'X-Auth-Token');
      assert.equal(res.headers.get('content-type'), 'application/json');
      const denied = await cloud.request('GET', '/identity/v3/auth/tokens', { as: 'member' });
      assert.equal(denied.headers.get('vary'), 'X-Auth-Token');
    });

    // --- update view, list filters ----------------------------------------------------------
    test("PUT answers Nova's update view before 2.75, the full view from 2.75", async () => {
      const id = await cloud.createServer('member', { networks: 'auto' });
      const omitted = [
        'OS-EXT-AZ:availability_zone',
        'config_drive',
        'key_name',
        'OS-SRV-USG:launched_at',
        'OS-SRV-USG:terminated_at',
        'security_groups',
        'OS-EXT-STS:task_state',
        'OS-EXT-STS:vm_state',
        'OS-EXT-STS:power_state',
        'os-extended-volumes:volumes_attached',
        'OS-EXT-SRV-ATTR:host',
      ];
      const put = (mv: string, as: Persona = 'admin') =>
        cloud.request('PUT', `/v2.1/servers/${id}`, { as, mv, body: { server: { name: 'renamed' } } });
      const early = await put('2.74');
      assert.equal(early.status, 200);
      for (const k of omitted) assert.equal(k in early.body.server, false, k);
      assert.equal(early.body.server.name, 'renamed');
      for (const addrs of Object.values(early.body.server.addresses) as Array<Array<Record<string, unknown>>>)
        for (const a of addrs) assert.deepEqual(Object.keys(a).sort(), ['addr', 'version']);
      assert.equal('server_groups' in early.body.server, true);
      assert.equal('server_groups' in (await put('2.70')).body.server, false);
      const late = await put('2.75');
      for (const k of omitted) assert.equal(k in late.body.server, true, k);
    });

    test('GET /servers?ip= and ?ip6= match fixed addresses by regex; tenant_id without all_tenants is ignored', async () => {
      const id = await cloud.createServer('member', { networks: 'auto' });
      const show = (await cloud.server(id, 'member', '2.1')).body.server;
      const addr = (Object.values(show.addresses)[0] as Array<{ addr: string }>)[0].addr;
      const ids = async (q: string, as: Persona = 'member') =>
        ((await cloud.request('GET', `/v2.1/servers?${q}`, { as })).body.servers as Array<{ id: string }>).map(
          (s) => s.id,
        );
      assert.deepEqual(await ids(`ip=${encodeURIComponent(addr.replace(/\./g, '\\.'))}`), [id]);
      assert.ok((await ids(`ip=${addr.split('.').slice(0, 2).join('.')}`)).includes(id));
      assert.deepEqual(await ids('ip=^255\\.'), []);
      assert.deepEqual(await ids('ip6=.'), []);
      const badRe = await cloud.request('GET', '/v2.1/servers?ip=(', { as: 'member' });
      assert.equal(badRe.status, 400);
      assert.deepEqual(badRe.body, bad('Invalid filter field: ip.'));
      // Nova (lp:#1185290): an admin's tenant_id without all_tenants lists the admin's own project.
      const memberProject = cloud.projects.member;
      assert.equal((await ids(`tenant_id=${memberProject}`, 'admin')).includes(id), false);
      assert.equal((await ids(`tenant_id=${memberProject}&all_tenants=1`, 'admin')).includes(id), true);
    });
  });
}

describe('personality with the process driver', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start({ driver: 'process' });
  });
  after(async () => {
    await cloud?.close();
  });

  test('the files are written under <instance dir>/personality/<path>', async () => {
    const id = await cloud.createServer('member', {
      networks: 'none',
      personality: [{ path: '/etc/motd', contents: b64('welcome') }],
    });
    const host = cloud.stack.agents[0].host;
    const file = join(cloud.stack.deps.config.data, host, 'instances', id, 'personality', 'etc', 'motd');
    assert.ok(existsSync(file), file);
    assert.equal(readFileSync(file, 'utf8'), 'welcome');
    assert.deepEqual(await cloud.stack.agents[0].driver.injectedFiles(id), [
      { path: '/etc/motd', contents: b64('welcome') },
    ]);
    await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    await cloud.drain();
  });
});

describe('enable_instance_password off', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start({ enableInstancePassword: 0 });
  });
  after(async () => {
    await cloud?.close();
  });

  test('the create response has no adminPass (Nova: CONF.api.enable_instance_password)', async () => {
    const image = (await cloud.request('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body
      .images[0].id;
    const res = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      body: { server: { name: 'p', imageRef: image, flavorRef: '1', adminPass: 'given' } },
    });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(Object.keys(res.body.server).sort(), ['OS-DCF:diskConfig', 'id', 'links', 'security_groups']);
  });
});
