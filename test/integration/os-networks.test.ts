// os-networks (nova/api/openstack/compute/networks.py): the nova-network era reads, answered from
// Neutron up to 2.35 (Tempest's admin test_networks), and the writes Nova removed (410).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';

let cloud: TestCloud;
before(async () => {
  cloud = await TestCloud.start({ agents: 0 });
});
after(async () => {
  await cloud.close();
});

test('list and show by label and id; admins see the admin fields (null with Neutron); 404; gone from 2.36', async () => {
  const member = await cloud.request('GET', '/v2.1/os-networks', { as: 'reader' });
  assert.equal(member.status, 200, member.text);
  const priv = member.body.networks.find((n: { label: string }) => n.label === 'private');
  assert.ok(priv, JSON.stringify(member.body));
  assert.equal(priv.cidr, null);
  assert.equal('bridge' in priv, false);
  const admin = (await cloud.request('GET', '/v2.1/os-networks', { as: 'admin' })).body.networks;
  assert.equal(admin.find((n: { id: string }) => n.id === priv.id).bridge, null);
  const show = await cloud.request('GET', `/v2.1/os-networks/${priv.id}`, { as: 'member' });
  assert.deepEqual([show.status, show.body.network.label], [200, 'private']);
  const missing = await cloud.request('GET', '/v2.1/os-networks/nope', { as: 'member' });
  assert.deepEqual(
    [missing.status, missing.body],
    [404, { itemNotFound: { code: 404, message: 'Network not found' } }],
  );
  assert.equal((await cloud.request('GET', '/v2.1/os-networks', { as: 'member', mv: '2.36' })).status, 404);
  assert.equal((await cloud.request('GET', '/v2.1/os-networks', {})).status, 401);
});

test('the writes are 410 at every microversion', async () => {
  for (const [method, path] of [
    ['POST', '/v2.1/os-networks'],
    ['POST', '/v2.1/os-networks/add'],
    ['DELETE', '/v2.1/os-networks/x'],
    ['POST', '/v2.1/os-networks/x/action'],
  ] as const) {
    const res = await cloud.request(method, path, { as: 'admin', body: method === 'POST' ? {} : undefined });
    assert.equal(res.status, 410, `${method} ${path}: ${res.text}`);
  }
});
