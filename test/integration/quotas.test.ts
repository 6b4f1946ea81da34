// Quotas and limits (issue 8): os-quota-sets, os-quota-class-sets, /limits, Neutron's quota
// views, and their enforcement on server create and restore, raced on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { TEST_PG_URL, freshPostgres } from '../../src/testing/databases.js';
import { ManualClock } from '../../src/domain/clock.js';
import { DEMO_IMAGE_NAME } from '../../src/runtime/seed.js';
import { checkQuota } from '../../src/services/compute/quotas.js';
import { DomainError } from '../../src/domain/errors.js';

const ALL = [
  'cores',
  'fixed_ips',
  'floating_ips',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'injected_files',
  'instances',
  'key_pairs',
  'metadata_items',
  'ram',
  'security_group_rules',
  'security_groups',
  'server_group_members',
  'server_groups',
];
const NET = ['fixed_ips', 'floating_ips', 'security_group_rules', 'security_groups'];
const INJ = ['injected_file_content_bytes', 'injected_file_path_bytes', 'injected_files'];
const without = (drop: string[]) => ALL.filter((k) => !drop.includes(k));
const unlimited = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, -1]));
const forbidden = (message: string) => ({ forbidden: { code: 403, message } });
const badRequest = (message: string) => ({ badRequest: { code: 400, message } });
const policy = (rule: string) => forbidden(`Policy doesn't allow ${rule} to be performed.`);

let cloud: TestCloud;
let demo: string;
let alt: string;

const images = new Map<TestCloud, string>();
async function boot(c: TestCloud, as: Persona, extra: Record<string, unknown> = {}) {
  if (!images.has(c))
    images.set(
      c,
      (await c.request('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body.images[0].id,
    );
  return c.request('POST', '/v2.1/servers', {
    as,
    mv: '2.37',
    body: { server: { name: 'q', imageRef: images.get(c), flavorRef: '1', networks: 'none', ...extra } },
  });
}
const setQuota = (c: TestCloud, project: string, quota_set: Record<string, unknown>, mv?: string) =>
  c.request('PUT', `/v2.1/os-quota-sets/${project}`, { as: 'admin', body: { quota_set }, mv });
const liveServers = async (c: TestCloud, project: string) =>
  Number(
    (
      await c.stack.deps.db
        .selectFrom('servers')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('project_id', '=', project)
        .where('deleted', '=', 0)
        .executeTakeFirstOrThrow()
    ).n,
  );

before(async () => {
  cloud = await TestCloud.start();
  demo = cloud.projects.member;
  alt = cloud.projects.other;
});
after(async () => {
  await cloud.close();
});

describe('os-quota-sets show, detail and defaults', () => {
  test('the demo cloud is unlimited: every resource -1, with the project id; 2.36 and 2.57 hide resources', async () => {
    const r = await cloud.request('GET', `/v2.1/os-quota-sets/${demo}`, { as: 'member' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { quota_set: { id: demo, ...unlimited(ALL) } });
    const v236 = await cloud.request('GET', `/v2.1/os-quota-sets/${demo}`, { as: 'member', mv: '2.36' });
    assert.deepEqual(v236.body, { quota_set: { id: demo, ...unlimited(without(NET)) } });
    const v257 = await cloud.request('GET', `/v2.1/${demo}/os-quota-sets/${demo}`, { as: 'member', mv: '2.57' });
    assert.deepEqual(v257.body, { quota_set: { id: demo, ...unlimited(without([...NET, ...INJ])) } });
  });

  test('persona matrix for show and detail: project reader or admin', async () => {
    for (const path of [`/v2.1/os-quota-sets/${demo}`, `/v2.1/os-quota-sets/${demo}/detail`]) {
      const rule = path.endsWith('detail')
        ? 'os_compute_api:os-quota-sets:detail'
        : 'os_compute_api:os-quota-sets:show';
      for (const as of ['admin', 'member', 'reader'] as Persona[])
        assert.equal((await cloud.request('GET', path, { as })).status, 200, `${as} ${path}`);
      const other = await cloud.request('GET', path, { as: 'other' });
      assert.equal(other.status, 403);
      assert.deepEqual(other.body, policy(rule));
      const anon = await cloud.request('GET', path);
      assert.equal(anon.status, 401);
    }
  });

  test('detail counts instances, cores and ram of live servers; reserved is 0', async () => {
    const r = await boot(cloud, 'other', { flavorRef: '3' });
    assert.equal(r.status, 202);
    const d = await cloud.request('GET', `/v2.1/os-quota-sets/${alt}/detail`, { as: 'other', mv: '2.57' });
    assert.equal(d.status, 200);
    assert.equal(d.body.quota_set.id, alt);
    assert.deepEqual(d.body.quota_set.instances, { in_use: 1, limit: -1, reserved: 0 });
    assert.deepEqual(d.body.quota_set.cores, { in_use: 2, limit: -1, reserved: 0 });
    assert.deepEqual(d.body.quota_set.ram, { in_use: 4096, limit: -1, reserved: 0 });
    assert.deepEqual(d.body.quota_set.key_pairs, { in_use: 0, limit: -1, reserved: 0 });
    assert.deepEqual(Object.keys(d.body.quota_set).sort(), ['id', ...without([...NET, ...INJ])].sort());
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${r.body.server.id}`, { as: 'other' })).status, 204);
    await cloud.drain();
  });

  test('defaults: anyone may read them; an unknown project is 400 for an admin (Keystone says 404)', async () => {
    for (const as of ['admin', 'member', 'reader', 'other'] as Persona[]) {
      const r = await cloud.request('GET', `/v2.1/os-quota-sets/${demo}/defaults`, { as });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { quota_set: { id: demo, ...unlimited(ALL) } });
    }
    assert.equal((await cloud.request('GET', `/v2.1/os-quota-sets/${demo}/defaults`)).status, 401);
    for (const path of ['/defaults', '', '/detail']) {
      const r = await cloud.request('GET', `/v2.1/os-quota-sets/nosuchproject${path}`, { as: 'admin' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, badRequest('Project ID nosuchproject is not a valid project.'));
    }
  });

  test('query strings: unknown parameters ignored before 2.75, 400 from 2.75; user_id accepted (user-quotas.test.ts)', async () => {
    assert.equal((await cloud.request('GET', `/v2.1/os-quota-sets/${demo}?foo=1`, { as: 'member' })).status, 200);
    const strict = await cloud.request('GET', `/v2.1/os-quota-sets/${demo}?foo=1`, { as: 'member', mv: '2.75' });
    assert.equal(strict.status, 400);
    assert.deepEqual(strict.body, badRequest("Additional properties are not allowed ('foo' was unexpected)"));
    const user = await cloud.request('GET', `/v2.1/os-quota-sets/${demo}?user_id=x`, { as: 'member', mv: '2.75' });
    assert.equal(user.status, 200);
    const detail = await cloud.request('GET', `/v2.1/os-quota-sets/${demo}/detail?user_id=x`, { as: 'member' });
    assert.equal(detail.status, 200);
  });
});

describe('os-quota-sets update and delete', () => {
  test('admin sets limits (strings too); the answer has no id; members, readers and others are refused', async () => {
    const r = await setQuota(cloud, alt, { instances: 7, cores: '21', ram: -1 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { quota_set: { ...unlimited(ALL), instances: 7, cores: 21 } });
    const shown = await cloud.request('GET', `/v2.1/os-quota-sets/${alt}`, { as: 'other' });
    assert.equal(shown.body.quota_set.instances, 7);
    for (const as of ['member', 'reader', 'other'] as Persona[]) {
      const res = await cloud.request('PUT', `/v2.1/os-quota-sets/${alt}`, {
        as,
        body: { quota_set: { instances: 1 } },
      });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, policy('os_compute_api:os-quota-sets:update'));
      const del = await cloud.request('DELETE', `/v2.1/os-quota-sets/${alt}`, { as });
      assert.equal(del.status, 403);
      assert.deepEqual(del.body, policy('os_compute_api:os-quota-sets:delete'));
    }
    assert.equal((await cloud.request('PUT', `/v2.1/os-quota-sets/${alt}`, { body: { quota_set: {} } })).status, 401);
    const del = await cloud.request('DELETE', `/v2.1/os-quota-sets/${alt}`, { as: 'admin' });
    assert.equal(del.status, 202);
    assert.equal(del.text, '');
    const back = await cloud.request('GET', `/v2.1/os-quota-sets/${alt}`, { as: 'other' });
    assert.deepEqual(back.body, { quota_set: { id: alt, ...unlimited(ALL) } });
  });

  test('bad bodies are 400 with the validator message Nova gives', async () => {
    const put = (body: unknown, mv?: string) =>
      cloud.request('PUT', `/v2.1/os-quota-sets/${alt}`, { as: 'admin', body, mv });
    const cases: Array<[unknown, string, string?]> = [
      [{}, "'quota_set' is a required property"],
      [{ quota_set: {}, extra: 1 }, "Additional properties are not allowed ('extra' was unexpected)"],
      [{ quota_set: [] }, "Invalid input for field/attribute quota_set. Value: []. [] is not of type 'object'"],
      [
        { quota_set: { instances: 'ten' } },
        "Invalid input for field/attribute instances. Value: ten. 'ten' does not match '^-?[0-9]+$'",
      ],
      [
        { quota_set: { cores: -2 } },
        'Invalid input for field/attribute cores. Value: -2. -2 is less than the minimum of -1',
      ],
      [
        { quota_set: { ram: 2147483648 } },
        'Invalid input for field/attribute ram. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647',
      ],
      [
        { quota_set: { ram: '-7' } },
        'Invalid input for field/attribute ram. Value: -7. -7 is less than the minimum of -1',
      ],
      [
        { quota_set: { instances: true } },
        "Invalid input for field/attribute instances. Value: True. True is not of type 'integer', 'string'",
      ],
      [
        { quota_set: { instances: 1.5 } },
        "Invalid input for field/attribute instances. Value: 1.5. 1.5 is not of type 'integer', 'string'",
      ],
      [
        { quota_set: { instances: null } },
        "Invalid input for field/attribute instances. Value: None. None is not of type 'integer', 'string'",
      ],
      [
        { quota_set: { instances: 1, foo: 2 } },
        "Invalid input for field/attribute quota_set. Value: {'instances': 1, 'foo': 2}. Additional properties are not allowed ('foo' was unexpected)",
      ],
      [
        { quota_set: { floating_ips: 1 } },
        "Invalid input for field/attribute quota_set. Value: {'floating_ips': 1}. Additional properties are not allowed ('floating_ips' was unexpected)",
        '2.36',
      ],
      [
        { quota_set: { injected_files: 1 } },
        "Invalid input for field/attribute quota_set. Value: {'injected_files': 1}. Additional properties are not allowed ('injected_files' was unexpected)",
        '2.57',
      ],
      [
        { quota_set: { force: 1 } },
        "Invalid input for field/attribute force. Value: 1. 1 is not of type 'boolean', 'string'",
      ],
      [
        { quota_set: { force: 'maybe' } },
        "Invalid input for field/attribute force. Value: maybe. 'maybe' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']",
      ],
    ];
    for (const [body, message, mv] of cases) {
      const r = await put(body, mv);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.body, badRequest(message), JSON.stringify(body));
    }
    // Before 2.36 the nova-network resources may still be set (and shown).
    const old = await put({ quota_set: { floating_ips: 3, injected_files: 4 } });
    assert.equal(old.status, 200);
    assert.equal(old.body.quota_set.floating_ips, 3);
    assert.equal(
      (await cloud.request('PUT', `/v2.1/os-quota-sets/nosuch`, { as: 'admin', body: { quota_set: {} } })).status,
      400,
    );
    const user = await cloud.request('PUT', `/v2.1/os-quota-sets/${alt}?user_id=u`, {
      as: 'admin',
      body: { quota_set: { instances: 1 } },
    });
    assert.equal(user.status, 200); // per-user quotas: test/integration/user-quotas.test.ts
    assert.equal((await cloud.request('DELETE', `/v2.1/os-quota-sets/${alt}`, { as: 'admin' })).status, 202);
  });

  test('a limit below the usage is 400 unless forced', async () => {
    const a = await boot(cloud, 'other');
    const b = await boot(cloud, 'other');
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    const low = await setQuota(cloud, alt, { instances: 1 });
    assert.equal(low.status, 400);
    assert.deepEqual(
      low.body,
      badRequest('Quota limit 1 for instances must be greater than or equal to already used and reserved 2.'),
    );
    const cores = await setQuota(cloud, alt, { instances: 2, cores: 1 });
    assert.equal(cores.status, 400, 'nothing is written when one value is refused');
    assert.equal(
      (await cloud.request('GET', `/v2.1/os-quota-sets/${alt}`, { as: 'other' })).body.quota_set.instances,
      -1,
    );
    const forced = await setQuota(cloud, alt, { instances: 1, force: 'True' });
    assert.equal(forced.status, 200);
    assert.equal(forced.body.quota_set.instances, 1);
    const over = await boot(cloud, 'other');
    assert.equal(over.status, 403);
    assert.deepEqual(
      over.body,
      forbidden('Quota exceeded for instances: Requested 1, but already used 2 of 1 instances'),
    );
    for (const s of [a, b]) await cloud.request('DELETE', `/v2.1/servers/${s.body.server.id}`, { as: 'other' });
    await cloud.drain();
    assert.equal((await cloud.request('DELETE', `/v2.1/os-quota-sets/${alt}`, { as: 'admin' })).status, 202);
  });
});

describe('enforcement on server create', () => {
  test('instances: the create over the limit is 403 with Nova message; a delete releases at once', async () => {
    assert.equal((await setQuota(cloud, demo, { instances: 2 })).status, 200);
    const first = await boot(cloud, 'member');
    const second = await boot(cloud, 'member');
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    const third = await boot(cloud, 'member');
    assert.equal(third.status, 403);
    assert.deepEqual(
      third.body,
      forbidden('Quota exceeded for instances: Requested 1, but already used 2 of 2 instances'),
    );
    assert.equal(await liveServers(cloud, demo), 2);
    // A server being deleted still counts (Nova counts instance records until they are deleted)…
    await cloud.request('POST', '/stratus/v1/faults', {
      as: 'admin',
      body: { fault: { host: 'compute-test', operation: 'destroy', mode: 'hang' } },
    });
    assert.equal(
      (await cloud.request('DELETE', `/v2.1/servers/${first.body.server.id}`, { as: 'member' })).status,
      204,
    );
    const whileDeleting = await boot(cloud, 'member');
    assert.equal(whileDeleting.status, 403);
    // …and stops counting the moment its delete finishes.
    await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
    await cloud.drain();
    assert.equal((await cloud.server(first.body.server.id)).status, 404);
    const after = await boot(cloud, 'member');
    assert.equal(after.status, 202);
    for (const s of [second, after])
      await cloud.request('DELETE', `/v2.1/servers/${s.body.server.id}`, { as: 'member' });
    await cloud.drain();
  });

  test('cores and ram: every resource over the limit is named, with what was asked and what is held', async () => {
    assert.equal((await setQuota(cloud, demo, { instances: -1, cores: 3, ram: 4096 })).status, 200);
    const medium = await boot(cloud, 'member', { flavorRef: '3' }); // 2 vCPUs, 4096 MiB
    assert.equal(medium.status, 202);
    const two = await boot(cloud, 'member', { flavorRef: '3' });
    assert.equal(two.status, 403);
    assert.deepEqual(
      two.body,
      forbidden('Quota exceeded for cores, ram: Requested 2, 4096, but already used 2, 4096 of 3, 4096 cores, ram'),
    );
    await cloud.request('DELETE', `/v2.1/servers/${medium.body.server.id}`, { as: 'member' });
    await cloud.drain();
    assert.equal((await cloud.request('DELETE', `/v2.1/os-quota-sets/${demo}`, { as: 'admin' })).status, 202);
  });

  test('min_count..max_count: as many as fit when at least min_count do; else 403 naming the range', async () => {
    assert.equal((await setQuota(cloud, demo, { instances: 3 })).status, 200);
    const one = await boot(cloud, 'member');
    assert.equal(one.status, 202);
    const range = await boot(cloud, 'member', { min_count: 3, max_count: 4 });
    assert.equal(range.status, 403);
    assert.deepEqual(
      range.body,
      forbidden('Quota exceeded for instances: Requested 3-4, but already used 1 of 3 instances'),
    );
    const fits = await boot(cloud, 'member', { min_count: 1, max_count: 5, return_reservation_id: true });
    assert.equal(fits.status, 202);
    assert.equal(await liveServers(cloud, demo), 3);
    const list = await cloud.request('GET', `/v2.1/servers?reservation_id=${fits.body.reservation_id}`, {
      as: 'member',
    });
    assert.deepEqual(list.body.servers.map((s: { name: string }) => s.name).sort(), ['q-1', 'q-2']);
    const ids = (await cloud.request('GET', '/v2.1/servers', { as: 'member' })).body.servers.map(
      (s: { id: string }) => s.id,
    );
    for (const id of ids) await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    await cloud.drain();
    assert.equal((await cloud.request('DELETE', `/v2.1/os-quota-sets/${demo}`, { as: 'admin' })).status, 202);
  });

  test('another project is not limited by this one, and an admin booting counts in its own project', async () => {
    assert.equal((await setQuota(cloud, demo, { instances: 0 })).status, 200);
    assert.equal((await boot(cloud, 'member')).status, 403);
    const elsewhere = await boot(cloud, 'other');
    assert.equal(elsewhere.status, 202);
    await cloud.request('DELETE', `/v2.1/servers/${elsewhere.body.server.id}`, { as: 'other' });
    await cloud.drain();
    assert.equal((await cloud.request('DELETE', `/v2.1/os-quota-sets/${demo}`, { as: 'admin' })).status, 202);
  });

  test('concurrent creates on SQLite never pass the limit', async () => {
    assert.equal((await setQuota(cloud, demo, { instances: 4 })).status, 200);
    const results = await Promise.all(Array.from({ length: 12 }, () => boot(cloud, 'member')));
    assert.equal(results.filter((r) => r.status === 202).length, 4);
    assert.equal(results.filter((r) => r.status === 403).length, 8);
    assert.equal(await liveServers(cloud, demo), 4);
    const ids = (await cloud.request('GET', '/v2.1/servers', { as: 'member' })).body.servers.map(
      (s: { id: string }) => s.id,
    );
    for (const id of ids) await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    await cloud.drain();
    assert.equal((await cloud.request('DELETE', `/v2.1/os-quota-sets/${demo}`, { as: 'admin' })).status, 202);
  });
});

describe('checkQuota, for the features that own the other resources', () => {
  test('counts under the lock, refuses over the limit with Nova message, and skips unlimited resources', async () => {
    const deps = cloud.stack.deps;
    const check = (requested: number, used?: () => Promise<number>) =>
      deps.transact((tx) => checkQuota(deps, tx, demo, 'key_pairs', requested, used));
    let counted = 0;
    await check(1, async () => {
      counted++;
      return 1000;
    });
    assert.equal(counted, 0, 'an unlimited resource counts nothing');
    assert.equal((await setQuota(cloud, demo, { key_pairs: 2, metadata_items: 3 })).status, 200);
    await check(1, async () => 1);
    await assert.rejects(
      check(1, async () => 2),
      (e: unknown) =>
        e instanceof DomainError && e.kind === 'forbidden' && e.message === 'Quota exceeded, too many key pairs.',
    );
    // A limit on one request (no counter): the request alone is measured.
    await deps.transact((tx) => checkQuota(deps, tx, demo, 'metadata_items', 3));
    await assert.rejects(
      deps.transact((tx) => checkQuota(deps, tx, demo, 'metadata_items', 4)),
      (e: unknown) => e instanceof DomainError && e.message === 'Maximum number of metadata items exceeds 3',
    );
    assert.equal((await cloud.request('DELETE', `/v2.1/os-quota-sets/${demo}`, { as: 'admin' })).status, 202);
  });
});

describe('os-quota-class-sets', () => {
  test('admin only; server_groups hidden before 2.50; network ones from 2.50; personality ones from 2.57', async () => {
    const r = await cloud.request('GET', '/v2.1/os-quota-class-sets/default', { as: 'admin' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      quota_class_set: { id: 'default', ...unlimited(without(['server_groups', 'server_group_members'])) },
    });
    const v250 = await cloud.request('GET', '/v2.1/os-quota-class-sets/default', { as: 'admin', mv: '2.50' });
    assert.deepEqual(v250.body, { quota_class_set: { id: 'default', ...unlimited(without(NET)) } });
    const v257 = await cloud.request('GET', '/v2.1/os-quota-class-sets/default', { as: 'admin', mv: '2.57' });
    assert.deepEqual(v257.body, { quota_class_set: { id: 'default', ...unlimited(without([...NET, ...INJ])) } });
    for (const as of ['member', 'reader', 'other'] as Persona[]) {
      const s = await cloud.request('GET', '/v2.1/os-quota-class-sets/default', { as });
      assert.equal(s.status, 403);
      assert.deepEqual(s.body, policy('os_compute_api:os-quota-class-sets:show'));
      const u = await cloud.request('PUT', '/v2.1/os-quota-class-sets/default', {
        as,
        body: { quota_class_set: { instances: 1 } },
      });
      assert.equal(u.status, 403);
      assert.deepEqual(u.body, policy('os_compute_api:os-quota-class-sets:update'));
    }
    assert.equal((await cloud.request('GET', '/v2.1/os-quota-class-sets/default')).status, 401);
  });

  test('the class `default` sets the defaults of every project; other classes are stored only', async () => {
    const u = await cloud.request('PUT', '/v2.1/os-quota-class-sets/default', {
      as: 'admin',
      mv: '2.57',
      body: { quota_class_set: { instances: 9, server_groups: 4 } },
    });
    assert.equal(u.status, 200);
    assert.deepEqual(u.body, {
      quota_class_set: { ...unlimited(without([...NET, ...INJ])), instances: 9, server_groups: 4 },
    });
    const d = await cloud.request('GET', `/v2.1/os-quota-sets/${demo}/defaults`, { as: 'member' });
    assert.equal(d.body.quota_set.instances, 9);
    assert.equal(
      (await cloud.request('GET', `/v2.1/os-quota-sets/${alt}`, { as: 'other' })).body.quota_set.instances,
      9,
    );
    const gold = await cloud.request('PUT', '/v2.1/os-quota-class-sets/gold', {
      as: 'admin',
      body: { quota_class_set: { cores: 100 } },
    });
    assert.equal(gold.status, 200);
    assert.equal(gold.body.quota_class_set.cores, 100);
    assert.equal(
      (await cloud.request('GET', '/v2.1/os-quota-class-sets/gold', { as: 'admin' })).body.quota_class_set.cores,
      100,
    );
    assert.equal(
      (await cloud.request('GET', `/v2.1/os-quota-sets/${demo}`, { as: 'member' })).body.quota_set.cores,
      -1,
    );
    const reset = await cloud.request('PUT', '/v2.1/os-quota-class-sets/default', {
      as: 'admin',
      body: { quota_class_set: { instances: -1, server_groups: -1 } },
    });
    assert.equal(reset.status, 200);
  });

  test('bad class bodies and names are 400', async () => {
    const put = (name: string, body: unknown, mv?: string) =>
      cloud.request('PUT', `/v2.1/os-quota-class-sets/${name}`, { as: 'admin', body, mv });
    const long = 'c'.repeat(256);
    const cases: Array<[string, unknown, string, string?]> = [
      ['x', {}, "'quota_class_set' is a required property"],
      [
        'x',
        { quota_class_set: { force: true } },
        "Invalid input for field/attribute quota_class_set. Value: {'force': True}. Additional properties are not allowed ('force' was unexpected)",
      ],
      [
        'x',
        { quota_class_set: { security_groups: 1 } },
        "Invalid input for field/attribute quota_class_set. Value: {'security_groups': 1}. Additional properties are not allowed ('security_groups' was unexpected)",
        '2.50',
      ],
      [
        'x',
        { quota_class_set: { ram: 'lots' } },
        "Invalid input for field/attribute ram. Value: lots. 'lots' does not match '^-?[0-9]+$'",
      ],
      [long, { quota_class_set: { ram: 1 } }, 'quota_class_name has 256 characters, more than 255.'],
    ];
    for (const [name, body, message, mv] of cases) {
      const r = await put(name, body, mv);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.body, badRequest(message));
    }
  });
});

describe('limits', () => {
  test('absolute limits and usage of the caller project, filtered by microversion', async () => {
    assert.equal((await setQuota(cloud, alt, { instances: 5, cores: 8, ram: 8192 })).status, 200);
    const s = await boot(cloud, 'other', { flavorRef: '3' });
    assert.equal(s.status, 202);
    const r = await cloud.request('GET', '/v2.1/limits', { as: 'other' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      limits: {
        rate: [],
        absolute: {
          maxTotalRAMSize: 8192,
          maxTotalInstances: 5,
          maxTotalCores: 8,
          maxTotalKeypairs: -1,
          maxTotalFloatingIps: -1,
          maxServerMeta: -1,
          maxImageMeta: -1,
          maxPersonality: -1,
          maxPersonalitySize: -1,
          maxSecurityGroups: -1,
          maxSecurityGroupRules: -1,
          maxServerGroups: -1,
          maxServerGroupMembers: -1,
          totalRAMUsed: 4096,
          totalCoresUsed: 2,
          totalInstancesUsed: 1,
          totalFloatingIpsUsed: 0,
          totalSecurityGroupsUsed: 0,
          totalServerGroupsUsed: 0,
        },
      },
    });
    const keys = async (mv: string) =>
      Object.keys((await cloud.request('GET', '/v2.1/limits', { as: 'other', mv })).body.limits.absolute).sort();
    const base = Object.keys(r.body.limits.absolute);
    const v236 = base.filter(
      (k) =>
        ![
          'maxTotalFloatingIps',
          'maxSecurityGroups',
          'maxSecurityGroupRules',
          'totalFloatingIpsUsed',
          'totalSecurityGroupsUsed',
        ].includes(k),
    );
    assert.deepEqual(await keys('2.36'), [...v236].sort());
    const v239 = v236.filter((k) => k !== 'maxImageMeta');
    assert.deepEqual(await keys('2.39'), [...v239].sort());
    assert.deepEqual(
      await keys('2.57'),
      v239.filter((k) => !['maxPersonality', 'maxPersonalitySize'].includes(k)).sort(),
    );
    await cloud.request('DELETE', `/v2.1/servers/${s.body.server.id}`, { as: 'other' });
    await cloud.drain();
  });

  test('tenant_id: admins read another project; others are refused; 2.75 refuses unknown parameters', async () => {
    const admin = await cloud.request('GET', `/v2.1/limits?tenant_id=${alt}`, { as: 'admin' });
    assert.equal(admin.status, 200);
    assert.equal(admin.body.limits.absolute.maxTotalInstances, 5);
    const member = await cloud.request('GET', `/v2.1/limits?tenant_id=${alt}`, { as: 'member' });
    assert.equal(member.status, 403);
    assert.deepEqual(member.body, policy('os_compute_api:limits:other_project'));
    assert.equal((await cloud.request('GET', '/v2.1/limits', { as: 'reader' })).status, 200);
    assert.equal((await cloud.request('GET', `/v2.1/${demo}/limits`, { as: 'member' })).status, 200);
    assert.equal((await cloud.request('GET', '/v2.1/limits')).status, 401);
    assert.equal((await cloud.request('GET', '/v2.1/limits?foo=1', { as: 'member', mv: '2.74' })).status, 200);
    const strict = await cloud.request('GET', '/v2.1/limits?foo=1', { as: 'member', mv: '2.75' });
    assert.equal(strict.status, 400);
    assert.deepEqual(strict.body, badRequest("Additional properties are not allowed ('foo' was unexpected)"));
    assert.equal((await cloud.request('DELETE', `/v2.1/os-quota-sets/${alt}`, { as: 'admin' })).status, 202);
  });

  test('other methods on the quota paths are 405 with Allow', async () => {
    const r = await cloud.request('POST', `/v2.1/os-quota-sets/${demo}`, { as: 'admin', body: {} });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'DELETE, GET, HEAD, PUT');
    const l = await cloud.request('DELETE', '/v2.1/limits', { as: 'admin' });
    assert.equal(l.status, 405);
  });
});

describe('Neutron quotas', () => {
  const NEUTRON = [
    'network',
    'subnet',
    'port',
    'router',
    'floatingip',
    'security_group',
    'security_group_rule',
    'rbac_policy',
  ];
  test('show, default and details of one own project; another project needs get_quota (admin)', async () => {
    const r = await cloud.request('GET', `/networking/v2.0/quotas/${demo}`, { as: 'reader' });
    assert.equal(r.status, 200);
    // Neutron's defaults (neutron/conf/quota.py), enforced (test/integration/network-quotas.test.ts).
    const limits = {
      network: 100,
      subnet: 100,
      port: 500,
      router: 10,
      floatingip: 50,
      security_group: 10,
      security_group_rule: 100,
      rbac_policy: 10,
    };
    assert.deepEqual(r.body, { quota: limits });
    const d = await cloud.request('GET', `/networking/v2.0/quotas/${demo}/default`, { as: 'member' });
    assert.deepEqual(d.body, { quota: limits });
    const s = await boot(cloud, 'member', { networks: 'auto' });
    assert.equal(s.status, 202);
    for (const suffix of ['details.json', 'details']) {
      const det = await cloud.request('GET', `/networking/v2.0/quotas/${demo}/${suffix}`, { as: 'member' });
      assert.equal(det.status, 200);
      assert.deepEqual(det.body.quota.port, { used: 1, limit: 500, reserved: 0 });
      assert.deepEqual(det.body.quota.router, { used: 0, limit: 10, reserved: 0 });
      assert.deepEqual(Object.keys(det.body.quota).sort(), [...NEUTRON].sort());
    }
    const other = await cloud.request('GET', `/networking/v2.0/quotas/${demo}`, { as: 'other' });
    assert.equal(other.status, 403);
    assert.deepEqual(other.body, {
      NeutronError: {
        type: 'PolicyNotAuthorized',
        message: "Policy doesn't allow get_quota to be performed.",
        detail: '',
      },
    });
    assert.equal(
      (await cloud.request('GET', `/networking/v2.0/quotas/${demo}/details.json`, { as: 'other' })).status,
      403,
    );
    assert.equal((await cloud.request('GET', `/networking/v2.0/quotas/${demo}`, { as: 'admin' })).status, 200);
    assert.equal((await cloud.request('GET', `/networking/v2.0/quotas/${demo}`)).status, 401);
    await cloud.request('DELETE', `/v2.1/servers/${s.body.server.id}`, { as: 'member' });
    await cloud.drain();
  });

  test('the list is for admins, and empty while no project has network quotas of its own', async () => {
    const a = await cloud.request('GET', '/networking/v2.0/quotas', { as: 'admin' });
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { quotas: [] });
    const m = await cloud.request('GET', '/networking/v2.0/quotas', { as: 'member' });
    assert.equal(m.status, 403);
    assert.equal(m.body.NeutronError.type, 'PolicyNotAuthorized');
    const patch = await cloud.request('PATCH', `/networking/v2.0/quotas/${demo}`, { as: 'admin', body: { quota: {} } });
    assert.equal(patch.status, 405);
  });
});

describe('configured defaults and soft delete', () => {
  let c: TestCloud;
  const clock = new ManualClock(new Date());
  before(async () => {
    c = await TestCloud.start({ quotaInstances: 1, quotaCores: 4, reclaimInstanceInterval: 60 }, { clock });
  });
  after(async () => {
    await c.close();
  });

  test('the config sets the defaults; a soft-deleted server holds nothing; restoring must fit again', async () => {
    const d = await c.request('GET', `/v2.1/os-quota-sets/${c.projects.member}/defaults`, { as: 'member' });
    assert.equal(d.body.quota_set.instances, 1);
    assert.equal(d.body.quota_set.cores, 4);
    const first = await c.createServer('member');
    const second = await boot(c, 'member');
    assert.equal(second.status, 403);
    assert.deepEqual(
      second.body,
      forbidden('Quota exceeded for instances: Requested 1, but already used 1 of 1 instances'),
    );
    // Nova parity (InstanceList.get_counts skips SOFT_DELETED): the soft-deleted server frees its quota…
    assert.equal((await c.request('DELETE', `/v2.1/servers/${first}`, { as: 'member' })).status, 204);
    await c.drain();
    assert.equal((await c.server(first)).body.server.status, 'SOFT_DELETED');
    const limits = await c.request('GET', '/v2.1/limits', { as: 'member' });
    assert.equal(limits.body.limits.absolute.totalInstancesUsed, 0);
    const replacement = await boot(c, 'member');
    assert.equal(replacement.status, 202);
    // …so restoring it is checked like a create (compute/api.py restore).
    const restore = await c.request('POST', `/v2.1/servers/${first}/action`, { as: 'member', body: { restore: null } });
    assert.equal(restore.status, 403);
    assert.deepEqual(
      restore.body,
      forbidden('Quota exceeded for instances: Requested 1, but already used 1 of 1 instances'),
    );
    assert.equal(
      (await c.request('DELETE', `/v2.1/servers/${replacement.body.server.id}`, { as: 'member' })).status,
      204,
    );
    await c.request('POST', `/v2.1/servers/${replacement.body.server.id}/action`, {
      as: 'member',
      body: { forceDelete: null },
    });
    await c.drain();
    const ok = await c.request('POST', `/v2.1/servers/${first}/action`, { as: 'member', body: { restore: null } });
    assert.equal(ok.status, 202);
    await c.drain();
    assert.equal((await c.server(first)).body.server.status, 'ACTIVE');
  });
});

describe('concurrent creates on PostgreSQL', {
  skip: TEST_PG_URL ? false : 'STRATUS_TEST_DATABASE_URL is not set',
}, () => {
  let c: TestCloud;
  let db: { url: string; drop(): Promise<void> };
  before(async () => {
    db = await freshPostgres();
    c = await TestCloud.start({ database: db.url });
  });
  after(async () => {
    await c.close();
    await db.drop();
  });

  test('twenty creates racing for five instances: exactly five pass, the rest are 403', async () => {
    const project = c.projects.member;
    assert.equal((await setQuota(c, project, { instances: 5 })).status, 200);
    const results = await Promise.all(Array.from({ length: 20 }, () => boot(c, 'member')));
    const codes = results.map((r) => r.status);
    assert.equal(codes.filter((s) => s === 202).length, 5, codes.join(','));
    assert.equal(codes.filter((s) => s === 403).length, 15, codes.join(','));
    assert.equal(await liveServers(c, project), 5);
    for (const r of results.filter((x) => x.status === 403))
      assert.match(
        r.body.forbidden.message,
        /^Quota exceeded for instances: Requested 1, but already used 5 of 5 instances$/,
      );
  });

  test('racing multi-creates for cores never pass the limit either', async () => {
    const project = c.projects.other;
    assert.equal((await setQuota(c, project, { cores: 7 })).status, 200);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => boot(c, 'other', { flavorRef: '3', min_count: 1, max_count: 2 })),
    );
    assert.ok(results.every((r) => r.status === 202 || r.status === 403));
    const d = await c.request('GET', `/v2.1/os-quota-sets/${project}/detail`, { as: 'other' });
    assert.equal(d.body.quota_set.cores.in_use, 6);
    assert.equal(await liveServers(c, project), 3);
  });
});
