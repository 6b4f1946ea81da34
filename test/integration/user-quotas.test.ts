// Per-user quotas (Nova's legacy DbQuotaDriver, nova/api/openstack/compute/quota_sets.py with
// ?user_id=): the user's view, the settable range of a user's limit and of the project's, the
// removal of a user's limits, and their enforcement on create and resize.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import { DEMO_IMAGE_NAME } from '../../src/runtime/seed.js';

const forbidden = (message: string) => ({ forbidden: { code: 403, message } });
const badRequest = (message: string) => ({ badRequest: { code: 400, message } });
const policy = (rule: string) => forbidden(`Policy doesn't allow ${rule} to be performed.`);

let cloud: TestCloud;
let demo: string;
let demoUser: string;
let second: { id: string; token: string };
let image: string;

const qs = (project: string, user?: string, suffix = '') =>
  `/v2.1/os-quota-sets/${project}${suffix}${user ? `?user_id=${user}` : ''}`;
const put = (project: string, user: string | undefined, quota_set: Record<string, unknown>) =>
  cloud.request('PUT', qs(project, user), { as: 'admin', body: { quota_set } });
const boot = (opts: { as?: 'member'; token?: string }, flavorRef = '1') =>
  cloud.request('POST', '/v2.1/servers', {
    ...opts,
    body: { server: { name: 'uq', imageRef: image, flavorRef, networks: 'none' } },
  });
const remove = async (...ids: string[]) => {
  for (const id of ids) await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'admin' });
  await cloud.drain();
};

before(async () => {
  cloud = await TestCloud.start();
  demo = cloud.projects.member;
  const ks = (method: string, path: string, body?: unknown) =>
    cloud.request(method, `/identity/v3${path}`, { as: 'admin', body });
  demoUser = (await ks('GET', '/users?name=demo')).body.users[0].id;
  // A second member of the demo project, so that one user's limits can be told from the other's.
  const user = await ks('POST', '/users', { user: { name: 'demo2', password: 'secret', default_project_id: demo } });
  assert.equal(user.status, 201, user.text);
  const member = (await ks('GET', '/roles?name=member')).body.roles[0].id;
  assert.equal((await ks('PUT', `/projects/${demo}/users/${user.body.user.id}/roles/${member}`)).status, 204);
  second = { id: user.body.user.id, token: (await cloud.issueToken('demo2', 'demo')).token };
  image = (await cloud.request('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body.images[0].id;
});
after(async () => {
  await cloud.close();
});

describe('os-quota-sets with user_id', () => {
  test("a user's limits default to the project's; PUT ?user_id sets the user's only; show and detail give the user's view", async () => {
    assert.equal((await put(demo, undefined, { instances: 10, ram: 51200 })).status, 200);
    const before = await cloud.request('GET', qs(demo, demoUser), { as: 'member' });
    assert.equal(before.status, 200);
    assert.equal(before.body.quota_set.id, demo);
    assert.equal(before.body.quota_set.instances, 10);
    assert.equal(before.body.quota_set.ram, 51200);

    const set = await put(demo, demoUser, { instances: '4', ram: 2048 });
    assert.equal(set.status, 200);
    assert.equal(set.body.quota_set.id, undefined); // as for the project: no id in the answer
    assert.equal(set.body.quota_set.instances, 4);
    assert.equal(set.body.quota_set.ram, 2048);
    assert.equal(set.body.quota_set.cores, -1); // not set for the user: the project's

    const mine = await cloud.request('GET', qs(demo, demoUser), { as: 'reader' });
    assert.equal(mine.status, 200);
    assert.equal(mine.body.quota_set.instances, 4);
    const project = await cloud.request('GET', qs(demo), { as: 'member' });
    assert.equal(project.body.quota_set.instances, 10);
    const other = await cloud.request('GET', qs(demo, second.id), { as: 'member' });
    assert.equal(other.body.quota_set.instances, 10);

    // Usage in the user's detail: the user's servers only.
    const a = await boot({ as: 'member' });
    const b = await boot({ token: second.token });
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    await cloud.drain();
    const detail = await cloud.request('GET', qs(demo, demoUser, '/detail'), { as: 'member' });
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.quota_set.instances, { limit: 4, in_use: 1, reserved: 0 });
    assert.deepEqual(detail.body.quota_set.ram, { limit: 2048, in_use: 512, reserved: 0 });
    const whole = await cloud.request('GET', qs(demo, undefined, '/detail'), { as: 'member' });
    assert.deepEqual(whole.body.quota_set.instances, { limit: 10, in_use: 2, reserved: 0 });
    await remove(a.body.server.id, b.body.server.id);
    assert.equal((await cloud.request('DELETE', qs(demo), { as: 'admin' })).status, 202);
  });

  test("a user's limit: at most what the project has not given to its users plus the user's own, at least what the user holds", async () => {
    assert.equal((await put(demo, undefined, { instances: 5 })).status, 200);
    assert.equal((await put(demo, demoUser, { instances: 3 })).status, 200);
    // 5 - 3 given to demo = 2 left for demo2.
    const over = await put(demo, second.id, { instances: 3 });
    assert.equal(over.status, 400);
    assert.deepEqual(over.body, badRequest('Quota limit 3 for instances must be less than or equal to 2.'));
    const unlimited = await put(demo, second.id, { instances: -1 });
    assert.equal(unlimited.status, 400);
    assert.deepEqual(unlimited.body, badRequest('Quota limit -1 for instances must be less than or equal to 2.'));
    assert.equal((await put(demo, second.id, { instances: 2 })).status, 200);
    // demo's own 3 counts towards demo's maximum: 5 - (3 + 2) + 3 = 3.
    assert.equal((await put(demo, demoUser, { instances: 3 })).status, 200);
    const raise = await put(demo, demoUser, { instances: 4 });
    assert.equal(raise.status, 400);
    assert.deepEqual(raise.body, badRequest('Quota limit 4 for instances must be less than or equal to 3.'));
    // force skips the range (Nova's force_update).
    const forced = await put(demo, demoUser, { instances: 4, force: true });
    assert.equal(forced.status, 200);
    assert.equal(forced.body.quota_set.instances, 4);
    // The project's limit cannot go below what its users' limits add up to (4 + 2)…
    assert.equal((await put(demo, undefined, { instances: 10 })).status, 200);
    const low = await put(demo, undefined, { instances: 5 });
    assert.equal(low.status, 400);
    assert.deepEqual(
      low.body,
      badRequest('Quota limit 5 for instances must be greater than or equal to already used and reserved 6.'),
    );
    // A user's minimum is what the user holds.
    const s = await boot({ token: second.token });
    assert.equal(s.status, 202);
    const zero = await put(demo, second.id, { instances: 0 });
    assert.equal(zero.status, 400);
    assert.deepEqual(
      zero.body,
      badRequest('Quota limit 0 for instances must be greater than or equal to already used and reserved 1.'),
    );
    await remove(s.body.server.id);
    assert.equal((await cloud.request('DELETE', qs(demo), { as: 'admin' })).status, 202);
  });

  test("DELETE ?user_id removes the user's limits only; DELETE of the project removes its users' too", async () => {
    assert.equal((await put(demo, undefined, { instances: 8 })).status, 200);
    assert.equal((await put(demo, demoUser, { instances: 2 })).status, 200);
    assert.equal((await put(demo, second.id, { instances: 3 })).status, 200);
    const del = await cloud.request('DELETE', qs(demo, demoUser), { as: 'admin' });
    assert.equal(del.status, 202);
    assert.equal(del.text, '');
    assert.equal((await cloud.request('GET', qs(demo, demoUser), { as: 'admin' })).body.quota_set.instances, 8);
    assert.equal((await cloud.request('GET', qs(demo, second.id), { as: 'admin' })).body.quota_set.instances, 3);
    assert.equal((await cloud.request('GET', qs(demo), { as: 'admin' })).body.quota_set.instances, 8);
    assert.equal((await cloud.request('DELETE', qs(demo), { as: 'admin' })).status, 202);
    assert.equal((await cloud.request('GET', qs(demo, second.id), { as: 'admin' })).body.quota_set.instances, -1);
  });

  test('policy: only admins write; readers of the project see; another project is refused; no token is 401', async () => {
    for (const as of ['member', 'reader', 'other'] as const) {
      const w = await cloud.request('PUT', qs(demo, demoUser), { as, body: { quota_set: { instances: 1 } } });
      assert.equal(w.status, 403, as);
      assert.deepEqual(w.body, policy('os_compute_api:os-quota-sets:update'));
      const d = await cloud.request('DELETE', qs(demo, demoUser), { as });
      assert.equal(d.status, 403, as);
      assert.deepEqual(d.body, policy('os_compute_api:os-quota-sets:delete'));
    }
    const o = await cloud.request('GET', qs(demo, demoUser), { as: 'other' });
    assert.equal(o.status, 403);
    assert.deepEqual(o.body, policy('os_compute_api:os-quota-sets:show'));
    const od = await cloud.request('GET', qs(demo, demoUser, '/detail'), { as: 'other' });
    assert.equal(od.status, 403);
    assert.deepEqual(od.body, policy('os_compute_api:os-quota-sets:detail'));
    assert.equal((await cloud.request('GET', qs(demo, demoUser))).status, 401);
    // Bad input with a user is the same 400 as without.
    const bad = await put(demo, demoUser, { instances: 'many' });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body,
      badRequest("Invalid input for field/attribute instances. Value: many. 'many' does not match '^-?[0-9]+$'"),
    );
    const nosuch = await cloud.request('PUT', qs('nosuchproject', demoUser), {
      as: 'admin',
      body: { quota_set: { instances: 1 } },
    });
    assert.equal(nosuch.status, 400);
    assert.deepEqual(nosuch.body, badRequest('Project ID nosuchproject is not a valid project.'));
  });
});

describe("enforcement of a user's limits", () => {
  test('create: the user is held to its own limit in an unlimited project; the other user is not', async () => {
    assert.equal((await put(demo, demoUser, { instances: 1 })).status, 200);
    const first = await boot({ as: 'member' });
    assert.equal(first.status, 202);
    const two = await boot({ as: 'member' });
    assert.equal(two.status, 403);
    assert.deepEqual(
      two.body,
      forbidden('Quota exceeded for instances: Requested 1, but already used 1 of 1 instances'),
    );
    const theirs = await boot({ token: second.token });
    assert.equal(theirs.status, 202);
    await remove(first.body.server.id, theirs.body.server.id);
    assert.equal((await boot({ as: 'member' })).status, 202);
    await cloud.drain();
    const held = await cloud.request('GET', '/v2.1/servers', { as: 'member' });
    await remove(...held.body.servers.map((s: { id: string }) => s.id));
    assert.equal((await cloud.request('DELETE', qs(demo, demoUser), { as: 'admin' })).status, 202);
  });

  test("resize: an upsize must fit the server owner's cores and ram too", async () => {
    assert.equal((await put(demo, demoUser, { cores: 1 })).status, 200);
    const s = await boot({ as: 'member' }); // m1.tiny: 1 vCPU
    assert.equal(s.status, 202);
    await cloud.drain();
    const id = s.body.server.id;
    const resize = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { resize: { flavorRef: '3' } }, // 2 vCPUs
    });
    assert.equal(resize.status, 403);
    assert.deepEqual(resize.body, forbidden('Quota exceeded for cores: Requested 1, but already used 1 of 1 cores'));
    assert.equal((await cloud.request('DELETE', qs(demo, demoUser), { as: 'admin' })).status, 202);
    await remove(id);
  });
});

describe("restore: the owner's limits hold, whoever restores", () => {
  let c: TestCloud;
  before(async () => {
    c = await TestCloud.start({ reclaimInstanceInterval: 60 });
  });
  after(async () => {
    await c.close();
  });

  test("an admin restoring a soft-deleted server is held to its owner's instances limit (Nova's ids_from_instance)", async () => {
    const project = c.projects.member;
    const owner = (await c.request('GET', '/identity/v3/users?name=demo', { as: 'admin' })).body.users[0].id;
    const set = await c.request('PUT', `/v2.1/os-quota-sets/${project}?user_id=${owner}`, {
      as: 'admin',
      body: { quota_set: { instances: 1 } },
    });
    assert.equal(set.status, 200);
    const first = await c.createServer('member');
    assert.equal((await c.request('DELETE', `/v2.1/servers/${first}`, { as: 'member' })).status, 204);
    await c.drain();
    assert.equal((await c.server(first)).body.server.status, 'SOFT_DELETED');
    const replacement = await c.createServer('member'); // the soft-deleted one holds nothing
    const restore = await c.request('POST', `/v2.1/servers/${first}/action`, { as: 'admin', body: { restore: null } });
    assert.equal(restore.status, 403);
    assert.deepEqual(
      restore.body,
      forbidden('Quota exceeded for instances: Requested 1, but already used 1 of 1 instances'),
    );
    await c.request('DELETE', `/v2.1/servers/${replacement}`, { as: 'member' });
    await c.request('POST', `/v2.1/servers/${replacement}/action`, { as: 'admin', body: { forceDelete: null } });
    await c.drain();
    const ok = await c.request('POST', `/v2.1/servers/${first}/action`, { as: 'admin', body: { restore: null } });
    assert.equal(ok.status, 202, ok.text);
  });
});
