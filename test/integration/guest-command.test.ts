// The `stratus_command` image property names the program a process-driver guest runs on its
// compute node, so only admins set it: a member who could would run commands on the host
// (found in review: create an image with it, boot it). Refused on image create, on the image
// metadata proxy and on createImage's metadata; keeping the value an admin set is allowed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';

let cloud: TestCloud;
before(async () => {
  cloud = await TestCloud.start();
});
after(async () => {
  await cloud.close();
});

const PROTECTED = "Property 'stratus_command' is protected.";

test('a member may not create an image with stratus_command (403); an admin may', async () => {
  const body = { name: 'cmd', disk_format: 'raw', container_format: 'bare', stratus_command: 'id' };
  const member = await cloud.request('POST', '/image/v2/images', { as: 'member', body });
  assert.equal(member.status, 403, member.text);
  assert.equal(member.body.message, PROTECTED);
  const admin = await cloud.request('POST', '/image/v2/images', { as: 'admin', body });
  assert.equal(admin.status, 201, admin.text);
});

test("the image metadata proxy: a member may not add or change it (in Nova's words), may keep or drop it", async () => {
  const own = await cloud.request('POST', '/image/v2/images', {
    as: 'member',
    body: { name: 'mine', disk_format: 'raw', container_format: 'bare' },
  });
  assert.equal(own.status, 201, own.text);
  const base = `/v2.1/images/${own.body.id}/metadata`;
  const add = await cloud.request('POST', base, { as: 'member', body: { metadata: { stratus_command: 'id' } } });
  // Nova's proxy answers any Glance 403 in its own words.
  const notAuthorized = { forbidden: { code: 403, message: `Not authorized for image ${own.body.id}.` } };
  assert.deepEqual([add.status, add.body], [403, notAuthorized]);
  const put = await cloud.request('PUT', base, { as: 'member', body: { metadata: { stratus_command: 'id' } } });
  assert.equal(put.status, 403, put.text);
  // An admin sets it; the member may keep it unchanged while changing other keys, or drop it.
  assert.equal(
    (await cloud.request('PUT', base, { as: 'admin', body: { metadata: { stratus_command: 'exec sleep 1' } } })).status,
    200,
  );
  const keep = await cloud.request('PUT', base, {
    as: 'member',
    body: { metadata: { stratus_command: 'exec sleep 1', role: 'web' } },
  });
  assert.equal(keep.status, 200, keep.text);
  const change = await cloud.request('PUT', base, { as: 'member', body: { metadata: { stratus_command: 'id' } } });
  assert.equal(change.status, 403, change.text);
  const drop = await cloud.request('PUT', base, { as: 'member', body: { metadata: { role: 'web' } } });
  assert.equal(drop.status, 200, drop.text);
});

test('createImage: a member may not put stratus_command in the snapshot metadata', async () => {
  const id = await cloud.createServer('member');
  const res = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
    as: 'member',
    body: { createImage: { name: 'snap', metadata: { stratus_command: 'id' } } },
  });
  assert.deepEqual([res.status, res.body], [403, { forbidden: { code: 403, message: PROTECTED } }]);
});
