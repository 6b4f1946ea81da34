// Availability zones (os-availability-zone, server create's availability_zone, `--zone`) and host
// aggregates (os-aggregates), on SQLite and PostgreSQL: status and exact body of every answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, UUID_RE, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { DEMO_IMAGE_NAME } from '../../src/runtime/seed.js';

const fault = (key: string, code: number, message: string) => ({ [key]: { code, message } });
const bad = (message: string) => fault('badRequest', 400, message);
const notFound = (message: string) => fault('itemNotFound', 404, message);
const conflicting = (message: string) => fault('conflictingRequest', 409, message);
const forbidden = (rule: string) => fault('forbidden', 403, `Policy doesn't allow ${rule} to be performed.`);
const USEC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const NON_ADMINS: Persona[] = ['member', 'reader', 'other'];
const H1 = 'compute-test-1';
const H2 = 'compute-test-2';

for (const target of databaseTargets()) {
  describe(`availability zones and aggregates (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let image: string;
    let seq = 0;
    const uniq = (p: string) => `${p}-${++seq}`;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const createAgg = async (name: string, zone?: string | null) => {
      const res = await req('POST', '/v2.1/os-aggregates', {
        as: 'admin',
        mv: '2.41',
        body: { aggregate: zone === undefined ? { name } : { name, availability_zone: zone } },
      });
      assert.equal(res.status, 200, res.text);
      return res.body.aggregate as { id: number; uuid: string; name: string };
    };
    const action = (id: number | string, body: unknown, as: Persona = 'admin') =>
      req('POST', `/v2.1/os-aggregates/${id}/action`, { as, body });
    const zones = async () =>
      (await req('GET', '/v2.1/os-availability-zone', { as: 'member' })).body.availabilityZoneInfo as Array<{
        zoneName: string;
        zoneState: { available: boolean };
      }>;
    const boot = (as: Persona, availability_zone: string) =>
      req('POST', '/v2.1/servers', {
        as,
        mv: '2.37',
        body: { server: { name: 'az', imageRef: image, flavorRef: '1', networks: 'none', availability_zone } },
      });
    /** Empties every aggregate (host lists and all), so each test starts from the --zone layout. */
    const reset = async () => {
      for (const a of (await req('GET', '/v2.1/os-aggregates', { as: 'admin' })).body.aggregates) {
        for (const h of a.hosts) await action(a.id, { remove_host: { host: h } });
        await req('DELETE', `/v2.1/os-aggregates/${a.id}`, { as: 'admin' });
      }
    };

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ agents: 2, zone: 'az1', database: db.url });
      image = (await req('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body.images[0].id;
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    // --- os-availability-zone -------------------------------------------------------------
    test('list: every persona sees the --zone of the nodes; no token is 401', async () => {
      for (const as of ['admin', ...NON_ADMINS] as Persona[]) {
        const res = await req('GET', '/v2.1/os-availability-zone', { as });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, {
          availabilityZoneInfo: [{ zoneName: 'az1', zoneState: { available: true }, hosts: null }],
        });
      }
      assert.equal((await req('GET', '/v2.1/os-availability-zone')).status, 401);
    });

    test('detail: admin sees hosts and their nova-compute state; others 403', async () => {
      const res = await req('GET', '/v2.1/os-availability-zone/detail', { as: 'admin' });
      assert.equal(res.status, 200);
      const [zone] = res.body.availabilityZoneInfo;
      assert.equal(res.body.availabilityZoneInfo.length, 1);
      assert.deepEqual(Object.keys(zone), ['zoneName', 'zoneState', 'hosts']);
      assert.equal(zone.zoneName, 'az1');
      assert.deepEqual(Object.keys(zone.hosts).sort(), [H1, H2]);
      const svc = zone.hosts[H1]['nova-compute'];
      assert.equal(svc.available, true);
      assert.equal(svc.active, true);
      assert.match(svc.updated_at, USEC);
      for (const as of NON_ADMINS) {
        const r = await req('GET', '/v2.1/os-availability-zone/detail', { as });
        assert.equal(r.status, 403);
        assert.deepEqual(r.body, forbidden('os_compute_api:os-availability-zone:detail'));
      }
      assert.equal((await req('GET', '/v2.1/os-availability-zone/detail')).status, 401);
    });

    test('405 with Allow for other methods', async () => {
      const res = await req('POST', '/v2.1/os-availability-zone', { as: 'admin', body: {} });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
    });

    test('an aggregate zone wins over --zone; a zone whose hosts are all disabled is not available', async () => {
      await reset();
      const agg = await createAgg(uniq('zone-b'), 'azb');
      assert.equal((await action(agg.id, { add_host: { host: H2 } })).status, 200);
      assert.deepEqual(await zones(), [
        { zoneName: 'az1', zoneState: { available: true }, hosts: null },
        { zoneName: 'azb', zoneState: { available: true }, hosts: null },
      ]);
      // os-services shows the zone a service is in (Nova's set_availability_zones), not the --zone.
      const svc = (await req('GET', `/v2.1/os-services?host=${H2}`, { as: 'admin', mv: '2.53' })).body.services[0];
      assert.equal(svc.zone, 'azb');
      const disabled = await req('PUT', `/v2.1/os-services/${svc.id}`, {
        as: 'admin',
        mv: '2.53',
        body: { status: 'disabled' },
      });
      assert.equal(disabled.status, 200, disabled.text);
      try {
        assert.deepEqual(await zones(), [
          { zoneName: 'az1', zoneState: { available: true }, hosts: null },
          { zoneName: 'azb', zoneState: { available: false }, hosts: null },
        ]);
        const detail = (await req('GET', '/v2.1/os-availability-zone/detail', { as: 'admin' })).body;
        assert.deepEqual(Object.keys(detail.availabilityZoneInfo[0].hosts), [H1]);
        assert.deepEqual(detail.availabilityZoneInfo[1], {
          zoneName: 'azb',
          zoneState: { available: false },
          hosts: null,
        });
        // Nova: only zones with an enabled service may be asked for.
        const res = await boot('member', 'azb');
        assert.equal(res.status, 400);
        assert.deepEqual(res.body, bad('The requested availability zone is not available'));
      } finally {
        await req('PUT', `/v2.1/os-services/${svc.id}`, { as: 'admin', mv: '2.53', body: { status: 'enabled' } });
      }
      await reset();
    });

    // --- server create with availability_zone --------------------------------------------
    test('create: an unknown zone is 400; a known one places on its hosts and shows it', async () => {
      await reset();
      const unknown = await boot('member', 'nowhere');
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body, bad('The requested availability zone is not available'));
      const agg = await createAgg(uniq('zone-c'), 'azc');
      assert.equal((await action(agg.id, { add_host: { host: H2 } })).status, 200);
      for (const [zone, host] of [
        ['azc', H2],
        ['az1', H1],
      ]) {
        const res = await boot('member', zone);
        assert.equal(res.status, 202, res.text);
        await cloud.drain();
        const s = (await cloud.server(res.body.server.id)).body.server;
        assert.equal(s.status, 'ACTIVE');
        assert.equal(s['OS-EXT-AZ:availability_zone'], zone);
        assert.equal(s['OS-EXT-SRV-ATTR:host'], host);
        const mine = (await cloud.server(res.body.server.id, 'member')).body.server;
        assert.equal(mine['OS-EXT-AZ:availability_zone'], zone);
        assert.equal((await req('DELETE', `/v2.1/servers/${res.body.server.id}`, { as: 'member' })).status, 204);
      }
      await cloud.drain();
      // Without a zone, the server shows the zone of the host it landed on.
      const id = await cloud.createServer('member');
      const s = (await cloud.server(id)).body.server;
      assert.equal(s['OS-EXT-AZ:availability_zone'], s['OS-EXT-SRV-ATTR:host'] === H2 ? 'azc' : 'az1');
      await req('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
      await cloud.drain();
      await reset();
    });

    test('create: zone:host forces a host for admins (create:forced_host), 403 for members; bad forms 400', async () => {
      const res = await boot('admin', `az1:${H2}`);
      assert.equal(res.status, 202, res.text);
      await cloud.drain();
      const s = (await cloud.server(res.body.server.id)).body.server;
      assert.equal(s['OS-EXT-SRV-ATTR:host'], H2);
      assert.equal(s['OS-EXT-AZ:availability_zone'], 'az1');
      await req('DELETE', `/v2.1/servers/${res.body.server.id}`, { as: 'admin' });
      const node = await boot('admin', `az1::${H1}`);
      assert.equal(node.status, 202);
      await cloud.drain();
      assert.equal((await cloud.server(node.body.server.id)).body.server['OS-EXT-SRV-ATTR:host'], H1);
      await req('DELETE', `/v2.1/servers/${node.body.server.id}`, { as: 'admin' });
      const member = await boot('member', `az1:${H2}`);
      assert.equal(member.status, 403);
      assert.deepEqual(member.body, forbidden('os_compute_api:servers:create:forced_host'));
      const parse = await boot('admin', 'a:b:c:d');
      assert.equal(parse.status, 400);
      assert.deepEqual(parse.body, bad('Invalid input received: Unable to parse availability_zone'));
      // An unknown forced host is Nova's NoValidHost: the server goes to ERROR.
      const none = await boot('admin', 'az1:no-such-host');
      assert.equal(none.status, 202);
      const e = (await cloud.server(none.body.server.id)).body.server;
      assert.equal(e.status, 'ERROR');
      assert.equal(e.fault.message, 'No valid host was found. ');
      // Nova's _validate_host_availability_zone drops the zone of a host in no aggregate.
      assert.equal(e['OS-EXT-AZ:availability_zone'], '');
      await req('DELETE', `/v2.1/servers/${none.body.server.id}`, { as: 'admin' });
      await cloud.drain();
    });

    // --- os-aggregates: policy ----------------------------------------------------------
    test('every aggregate API is admin-only (403 naming the rule), 401 without a token', async () => {
      const agg = await createAgg(uniq('policy'));
      const calls: Array<[string, string, unknown, string]> = [
        ['GET', '/v2.1/os-aggregates', undefined, 'index'],
        ['POST', '/v2.1/os-aggregates', { aggregate: { name: 'nope' } }, 'create'],
        ['GET', `/v2.1/os-aggregates/${agg.id}`, undefined, 'show'],
        ['PUT', `/v2.1/os-aggregates/${agg.id}`, { aggregate: { name: 'nope' } }, 'update'],
        ['DELETE', `/v2.1/os-aggregates/${agg.id}`, undefined, 'delete'],
        ['POST', `/v2.1/os-aggregates/${agg.id}/action`, { add_host: { host: H1 } }, 'add_host'],
        ['POST', `/v2.1/os-aggregates/${agg.id}/action`, { remove_host: { host: H1 } }, 'remove_host'],
        ['POST', `/v2.1/os-aggregates/${agg.id}/action`, { set_metadata: { metadata: { a: 'b' } } }, 'set_metadata'],
      ];
      for (const [method, path, body, name] of calls) {
        for (const as of NON_ADMINS) {
          const res = await req(method, path, { as, body });
          assert.equal(res.status, 403, `${as} ${method} ${path}`);
          assert.deepEqual(res.body, forbidden(`os_compute_api:os-aggregates:${name}`));
        }
        assert.equal((await req(method, path, { body })).status, 401);
      }
      // Nothing changed.
      const shown = await req('GET', `/v2.1/os-aggregates/${agg.id}`, { as: 'admin' });
      assert.equal(shown.body.aggregate.name, agg.name);
      assert.deepEqual(shown.body.aggregate.hosts, []);
      assert.deepEqual(shown.body.aggregate.metadata, {});
      assert.equal((await req('DELETE', `/v2.1/os-aggregates/${agg.id}`, { as: 'admin' })).status, 200);
    });

    // --- os-aggregates: CRUD ------------------------------------------------------------
    test('create: 200 without hosts/metadata, uuid from 2.41; list and show with hosts and metadata', async () => {
      const name = uniq('crud');
      const old = await req('POST', '/v2.1/os-aggregates', {
        as: 'admin',
        body: { aggregate: { name, availability_zone: 'azx' } },
      });
      assert.equal(old.status, 200);
      const a = old.body.aggregate;
      assert.deepEqual(Object.keys(a).sort(), [
        'availability_zone',
        'created_at',
        'deleted',
        'deleted_at',
        'id',
        'name',
        'updated_at',
      ]);
      assert.equal(a.availability_zone, 'azx');
      assert.equal(a.deleted, false);
      assert.equal(a.deleted_at, null);
      assert.equal(a.updated_at, null);
      assert.match(a.created_at, USEC);
      assert.equal(typeof a.id, 'number');
      const shown = await req('GET', `/v2.1/os-aggregates/${a.id}`, { as: 'admin', mv: '2.41' });
      assert.equal(shown.status, 200);
      assert.match(shown.body.aggregate.uuid, UUID_RE);
      assert.deepEqual(shown.body.aggregate, {
        ...a,
        hosts: [],
        metadata: { availability_zone: 'azx' },
        uuid: shown.body.aggregate.uuid,
      });
      const v240 = await req('GET', `/v2.1/os-aggregates/${a.id}`, { as: 'admin', mv: '2.40' });
      assert.equal('uuid' in v240.body.aggregate, false);
      const listed = await req('GET', '/v2.1/os-aggregates', { as: 'admin', mv: '2.41' });
      assert.equal(listed.status, 200);
      assert.deepEqual(
        listed.body.aggregates.find((x: { id: number }) => x.id === a.id),
        shown.body.aggregate,
      );
      // Without a zone: availability_zone null; the name is trimmed (normalize_name).
      const plain = await createAgg(uniq('plain'));
      const p = (await req('GET', `/v2.1/os-aggregates/${plain.id}`, { as: 'admin' })).body.aggregate;
      assert.equal(p.availability_zone, null);
      assert.deepEqual(p.metadata, {});
      for (const id of [a.id, plain.id]) await req('DELETE', `/v2.1/os-aggregates/${id}`, { as: 'admin' });
    });

    test('create: a taken name is 409; ids are never reused', async () => {
      const name = uniq('dup');
      const first = await createAgg(name);
      const again = await req('POST', '/v2.1/os-aggregates', { as: 'admin', body: { aggregate: { name } } });
      assert.equal(again.status, 409);
      assert.deepEqual(again.body, conflicting(`Aggregate ${name} already exists.`));
      assert.equal((await req('DELETE', `/v2.1/os-aggregates/${first.id}`, { as: 'admin' })).status, 200);
      const next = await createAgg(name);
      assert.ok(next.id > first.id);
      await req('DELETE', `/v2.1/os-aggregates/${next.id}`, { as: 'admin' });
    });

    test('create and update: bad bodies are 400', async () => {
      const bodies: Array<[unknown, string]> = [
        [{}, "'aggregate' is a required property"],
        [{ aggregate: {} }, "'name' is a required property"],
        [{ aggregate: { name: 'x', extra: 1 } }, "Additional properties are not allowed ('extra' was unexpected)"],
        [{ aggregate: { name: 'x' }, more: 1 }, "Additional properties are not allowed ('more' was unexpected)"],
      ];
      for (const [body, message] of bodies) {
        const res = await req('POST', '/v2.1/os-aggregates', { as: 'admin', body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, bad(message));
      }
      for (const body of [
        { aggregate: { name: 5 } },
        { aggregate: { name: '' } },
        { aggregate: { name: 'x'.repeat(256) } },
        { aggregate: { name: ' lead' } },
        { aggregate: { name: 'x', availability_zone: 'a:b' } },
        { aggregate: { name: 'x', availability_zone: '' } },
        { aggregate: { name: 'x', availability_zone: 7 } },
        { aggregate: [] },
      ]) {
        const res = await req('POST', '/v2.1/os-aggregates', { as: 'admin', body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(Object.keys(res.body).join(), 'badRequest');
        assert.equal(res.body.badRequest.code, 400);
      }
      const agg = await createAgg(uniq('upd-bad'));
      for (const body of [{}, { aggregate: {} }, { aggregate: { uuid: 'x' } }, { aggregate: { name: '   ' } }]) {
        const res = await req('PUT', `/v2.1/os-aggregates/${agg.id}`, { as: 'admin', body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.badRequest.code, 400);
      }
      await req('DELETE', `/v2.1/os-aggregates/${agg.id}`, { as: 'admin' });
    });

    test('bad and unknown ids: 400 "id must be an integer", 404 "Aggregate <id> could not be found."', async () => {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['PUT', '', { aggregate: { name: 'x' } }],
        ['DELETE', '', undefined],
        ['POST', '/action', { set_metadata: { metadata: {} } }],
      ] as const) {
        const badId = await req(method, `/v2.1/os-aggregates/abc${suffix}`, { as: 'admin', body });
        assert.equal(badId.status, 400, `${method} ${suffix}`);
        assert.deepEqual(badId.body, bad('Invalid input received: id must be an integer'));
        for (const id of ['999999', '99999999999999999999', '0', '-1']) {
          const res = await req(method, `/v2.1/os-aggregates/${id}${suffix}`, { as: 'admin', body });
          assert.equal(res.status, 404, `${method} ${id}${suffix}`);
          assert.deepEqual(res.body, notFound(`Aggregate ${id} could not be found.`));
        }
      }
      const patch = await req('PATCH', '/v2.1/os-aggregates/1', { as: 'admin', body: {} });
      assert.equal(patch.status, 405);
      assert.equal(patch.headers.get('allow'), 'DELETE, GET, HEAD, PUT');
    });

    test('update: rename (409 for a taken name), zone change, updated_at set', async () => {
      const a = await createAgg(uniq('upd-a'));
      const b = await createAgg(uniq('upd-b'));
      const taken = await req('PUT', `/v2.1/os-aggregates/${a.id}`, {
        as: 'admin',
        body: { aggregate: { name: b.name } },
      });
      assert.equal(taken.status, 409);
      assert.deepEqual(taken.body, conflicting(`Aggregate ${b.name} already exists.`));
      const name = uniq('renamed');
      const res = await req('PUT', `/v2.1/os-aggregates/${a.id}`, {
        as: 'admin',
        body: { aggregate: { name: `  ${name} `, availability_zone: 'azu' } },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.aggregate.name, name);
      assert.equal(res.body.aggregate.availability_zone, 'azu');
      assert.deepEqual(res.body.aggregate.metadata, { availability_zone: 'azu' });
      assert.match(res.body.aggregate.updated_at, USEC);
      // Same name again is fine (it is its own).
      const same = await req('PUT', `/v2.1/os-aggregates/${a.id}`, { as: 'admin', body: { aggregate: { name } } });
      assert.equal(same.status, 200);
      const empty = await req('PUT', `/v2.1/os-aggregates/${a.id}`, {
        as: 'admin',
        body: { aggregate: { availability_zone: null } },
      });
      assert.equal(empty.status, 400);
      assert.deepEqual(
        empty.body,
        bad(
          `Cannot update aggregate ${a.id}. Reason: Aggregate ${name} does not support empty named availability zone.`,
        ),
      );
      for (const id of [a.id, b.id]) await req('DELETE', `/v2.1/os-aggregates/${id}`, { as: 'admin' });
    });

    test('add_host / remove_host: unknown host 404, twice 409, not a member 404; delete of a non-empty aggregate 400', async () => {
      await reset();
      const agg = await createAgg(uniq('hosts'));
      const unknown = await action(agg.id, { add_host: { host: 'no-such-host' } });
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body, notFound('Compute host no-such-host could not be found.'));
      const unknownAgg = await action(999999, { add_host: { host: H1 } });
      assert.equal(unknownAgg.status, 404);
      assert.deepEqual(unknownAgg.body, notFound('Aggregate 999999 could not be found.'));
      const added = await action(agg.id, { add_host: { host: H1 } });
      assert.equal(added.status, 200);
      assert.deepEqual(added.body.aggregate.hosts, [H1]);
      const twice = await action(agg.id, { add_host: { host: H1 } });
      assert.equal(twice.status, 409);
      assert.deepEqual(twice.body, conflicting(`Aggregate ${agg.id} already has host ${H1}.`));
      const full = await req('DELETE', `/v2.1/os-aggregates/${agg.id}`, { as: 'admin' });
      assert.equal(full.status, 400);
      assert.deepEqual(
        full.body,
        bad(`Cannot remove host from aggregate ${agg.id}. Reason: Host aggregate is not empty.`),
      );
      for (const [id, host] of [
        [agg.id, H2],
        [agg.id, 'no-such-host'],
        [999999, H1],
      ] as const) {
        const res = await action(id, { remove_host: { host } });
        assert.equal(res.status, 404, `${id} ${host}`);
        assert.deepEqual(res.body, notFound(`Cannot remove host ${host} in aggregate ${id}`));
      }
      const removed = await action(agg.id, { remove_host: { host: H1 } });
      assert.equal(removed.status, 200);
      assert.deepEqual(removed.body.aggregate.hosts, []);
      const del = await req('DELETE', `/v2.1/os-aggregates/${agg.id}`, { as: 'admin' });
      assert.equal(del.status, 200);
      assert.equal(del.text, '');
      const gone = await req('GET', `/v2.1/os-aggregates/${agg.id}`, { as: 'admin' });
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, notFound(`Aggregate ${agg.id} could not be found.`));
    });

    test('a host can be in one zone only: add_host 409, set_metadata and update 400', async () => {
      await reset();
      const a = await createAgg(uniq('zone-one'), 'az-one');
      const b = await createAgg(uniq('zone-two'), 'az-two');
      const plain = await createAgg(uniq('no-zone'));
      assert.equal((await action(a.id, { add_host: { host: H1 } })).status, 200);
      const add = await action(b.id, { add_host: { host: H1 } });
      assert.equal(add.status, 409);
      assert.deepEqual(
        add.body,
        conflicting(
          `Cannot add host to aggregate ${b.id}. Reason: One or more hosts already in availability zone(s) ['az-one'].`,
        ),
      );
      // An aggregate without a zone may hold it; it then may not take another zone.
      assert.equal((await action(plain.id, { add_host: { host: H1 } })).status, 200);
      const meta = await action(plain.id, { set_metadata: { metadata: { availability_zone: 'az-two' } } });
      assert.equal(meta.status, 400);
      assert.deepEqual(
        meta.body,
        bad(
          `Cannot update metadata of aggregate ${plain.id}. Reason: One or more hosts already in availability zone(s) ['az-one'].`,
        ),
      );
      const upd = await req('PUT', `/v2.1/os-aggregates/${plain.id}`, {
        as: 'admin',
        body: { aggregate: { availability_zone: 'az-two' } },
      });
      assert.equal(upd.status, 400);
      assert.deepEqual(
        upd.body,
        bad(
          `Cannot update aggregate ${plain.id}. Reason: One or more hosts already in availability zone(s) ['az-one'].`,
        ),
      );
      // The same zone is no conflict.
      const sameZone = await action(plain.id, { set_metadata: { metadata: { availability_zone: 'az-one' } } });
      assert.equal(sameZone.status, 200, sameZone.text);
      await reset();
    });

    test('set_metadata merges, null removes a key, an empty zone is 400, bad bodies 400', async () => {
      const agg = await createAgg(uniq('meta'));
      const set = await action(agg.id, { set_metadata: { metadata: { a: '1', b: '2' } } });
      assert.equal(set.status, 200);
      assert.deepEqual(set.body.aggregate.metadata, { a: '1', b: '2' });
      assert.match(set.body.aggregate.updated_at, USEC);
      const merged = await action(agg.id, { set_metadata: { metadata: { a: null, c: '3', nothere: null } } });
      assert.deepEqual(merged.body.aggregate.metadata, { b: '2', c: '3' });
      const emptyZone = await action(agg.id, { set_metadata: { metadata: { availability_zone: '' } } });
      assert.equal(emptyZone.status, 400);
      assert.deepEqual(
        emptyZone.body,
        bad(
          `Cannot update metadata of aggregate ${agg.id}. Reason: Aggregate ${agg.name} does not support empty named availability zone.`,
        ),
      );
      const cases: Array<[unknown, string]> = [
        [{ set_metadata: {} }, "'metadata' is a required property"],
        [{ set_metadata: { metadata: {}, x: 1 } }, "Additional properties are not allowed ('x' was unexpected)"],
        [
          { set_metadata: { metadata: { 'bad/key': 'v' } } },
          "Additional properties are not allowed ('bad/key' was unexpected)",
        ],
        [
          { set_metadata: { metadata: { k: 5 } } },
          "Invalid input for field/attribute k. Value: 5. 5 is not of type 'string', 'null'",
        ],
        [
          { set_metadata: { metadata: 'x' } },
          `Invalid input for field/attribute metadata. Value: "x". "x" is not of type 'object'`,
        ],
        [
          { set_metadata: null },
          "Invalid input for field/attribute set_metadata. Value: null. null is not of type 'object'",
        ],
        [{ add_host: {} }, "'host' is a required property"],
        [
          { add_host: { host: 'a b' } },
          `Invalid input for field/attribute host. Value: "a b". "a b" does not match '^[a-zA-Z0-9-._]*$'`,
        ],
        [{ remove_host: { host: 3 } }, "Invalid input for field/attribute host. Value: 3. 3 is not of type 'string'"],
        [{ add_host: { host: '' } }, 'Invalid input for field/attribute host. Value: "". "" is too short'],
        [{ nope: {} }, 'There is no such action: nope'],
        [{}, 'Malformed request body'],
        [{ add_host: { host: H1 }, remove_host: { host: H1 } }, 'Malformed request body'],
      ];
      for (const [body, message] of cases) {
        const res = await action(agg.id, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, bad(message));
      }
      const long = await action(agg.id, { set_metadata: { metadata: { k: 'v'.repeat(256) } } });
      assert.equal(long.status, 400);
      assert.equal(
        (await req('GET', `/v2.1/os-aggregates/${agg.id}`, { as: 'admin' })).body.aggregate.metadata.k,
        undefined,
      );
      await req('DELETE', `/v2.1/os-aggregates/${agg.id}`, { as: 'admin' });
    });

    test('servers keep their zone: a host with servers may not change zone (409 add, 409 remove, 400 metadata)', async () => {
      await reset();
      const res = await boot('member', `az1`);
      assert.equal(res.status, 202);
      await cloud.drain();
      const host = (await cloud.server(res.body.server.id)).body.server['OS-EXT-SRV-ATTR:host'] as string;
      const agg = await createAgg(uniq('move'), 'az-move');
      const add = await action(agg.id, { add_host: { host } });
      assert.equal(add.status, 409);
      assert.deepEqual(
        add.body,
        conflicting(
          `Cannot add host to aggregate ${agg.id}. Reason: The host cannot be added to the aggregate as the availability zone of the host would change from 'az1' to 'az-move' but the host already has 1 instance(s). Changing the AZ of an existing instance is not supported by this action. Move the instances away from this host then try again. If you need to move the instances between AZs then you can use shelve_offload and unshelve to achieve this..`, // Nova's msg_fmt adds the second period
        ),
      );
      // Same zone as the node's --zone: nothing moves.
      const same = await createAgg(uniq('same'), 'az1');
      assert.equal((await action(same.id, { add_host: { host } })).status, 200);
      const meta = await action(same.id, { set_metadata: { metadata: { availability_zone: 'az-other' } } });
      assert.equal(meta.status, 400);
      assert.deepEqual(
        meta.body,
        bad(
          `Cannot update metadata of aggregate ${same.id}. Reason: One or more hosts contain instances in this zone.`,
        ),
      );
      assert.equal((await action(same.id, { remove_host: { host } })).status, 200);
      await req('DELETE', `/v2.1/servers/${res.body.server.id}`, { as: 'member' });
      await cloud.drain();
      // Without servers the host may move.
      assert.equal((await action(agg.id, { add_host: { host } })).status, 200);
      await reset();
    });
  });
}

describe('--zone, Neutron zones and removed APIs', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud.close();
  });

  test('the default zone is nova; a node restarted with another --zone moves there', async () => {
    const res = await cloud.request('GET', '/v2.1/os-availability-zone', { as: 'member' });
    assert.deepEqual(res.body, {
      availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }],
    });
    const id = await cloud.createServer('member');
    assert.equal((await cloud.server(id)).body.server['OS-EXT-AZ:availability_zone'], 'nova');
    const agent = cloud.stack.agents[0];
    await agent.stop();
    (cloud.stack.deps.config as { zone: string }).zone = 'moved';
    await agent.start();
    const after = await cloud.request('GET', '/v2.1/os-availability-zone', { as: 'member' });
    assert.deepEqual(after.body.availabilityZoneInfo, [
      { zoneName: 'moved', zoneState: { available: true }, hosts: null },
    ]);
    // The server keeps the zone it was created in (Nova: instance.availability_zone).
    assert.equal((await cloud.server(id)).body.server['OS-EXT-AZ:availability_zone'], 'nova');
  });

  test('Neutron: the availability_zone extension and GET /v2.0/availability_zones', async () => {
    const ext = await cloud.request('GET', '/networking/v2.0/extensions', { as: 'member' });
    assert.equal(ext.status, 200);
    assert.ok(ext.body.extensions.some((e: { alias: string }) => e.alias === 'availability_zone'));
    const res = await cloud.request('GET', '/networking/v2.0/availability_zones', { as: 'member' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { availability_zones: [{ name: 'nova', resource: 'network', state: 'available' }] });
    const filtered = await cloud.request('GET', '/networking/v2.0/availability_zones?resource=router', {
      as: 'member',
    });
    assert.deepEqual(filtered.body, { availability_zones: [] });
    const fields = await cloud.request('GET', '/networking/v2.0/availability_zones?fields=name', { as: 'member' });
    assert.deepEqual(fields.body, { availability_zones: [{ name: 'nova' }] });
    assert.equal((await cloud.request('GET', '/networking/v2.0/availability_zones')).status, 401);
    const post = await cloud.request('POST', '/networking/v2.0/availability_zones', { as: 'admin', body: {} });
    assert.equal(post.status, 405);
  });

  test("removed APIs answer 410 computeFault with webob's text; 401 without a token; 405 for other methods", async () => {
    const gone = fault('computeFault', 410, 'This resource is no longer available.  No forwarding address is given.');
    const cases: Array<[string, string]> = [
      ['GET', '/v2.1/os-agents'],
      ['POST', '/v2.1/os-agents'],
      ['PUT', '/v2.1/os-agents/1'],
      ['DELETE', '/v2.1/os-agents/1'],
      ['GET', '/v2.1/os-cells'],
      ['GET', '/v2.1/os-cells/detail'],
      ['GET', '/v2.1/os-cells/x/capacities'],
      ['POST', '/v2.1/os-certificates'],
      ['GET', '/v2.1/os-certificates/root'],
      ['GET', '/v2.1/os-cloudpipe'],
      ['GET', '/v2.1/os-fixed-ips/10.0.0.1'],
      ['POST', '/v2.1/os-fixed-ips/10.0.0.1/action'],
      ['GET', '/v2.1/os-floating-ip-dns'],
      ['GET', '/v2.1/os-floating-ip-dns/d/entries/e'],
      ['GET', '/v2.1/os-floating-ips-bulk'],
      ['GET', '/v2.1/os-fping'],
      ['POST', '/v2.1/os-networks'],
      ['POST', '/v2.1/os-networks/add'],
      ['DELETE', '/v2.1/os-networks/1'],
      ['GET', '/v2.1/os-security-group-default-rules'],
      ['POST', '/v2.1/os-tenant-networks'],
      ['GET', '/v2.1/servers/11111111-2222-3333-4444-555555555555/os-virtual-interfaces'],
    ];
    for (const [method, path] of cases) {
      for (const as of ['admin', 'member'] as Persona[]) {
        const res = await cloud.request(method, path, {
          as,
          body: method === 'POST' || method === 'PUT' ? {} : undefined,
        });
        assert.equal(res.status, 410, `${as} ${method} ${path}`);
        assert.deepEqual(res.body, gone);
      }
      assert.equal((await cloud.request(method, path)).status, 401, `${method} ${path}`);
    }
    const projectScoped = await cloud.request('GET', `/v2.1/${cloud.projects.member}/os-fping`, { as: 'member' });
    assert.equal(projectScoped.status, 410);
    const wrong = await cloud.request('DELETE', '/v2.1/os-fping', { as: 'admin' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD');
  });
});
