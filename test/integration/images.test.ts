// Image data (Glance's PUT/GET /v2/images/{id}/file) and the server actions that make or use
// images: rebuild, createImage, shelve with its snapshot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TestCloud, type Persona } from '../../src/testing/kit.js';

let cloud: TestCloud;
before(async () => {
  cloud = await TestCloud.start();
});
after(async () => {
  await cloud.close();
});

const upload = (id: string, data: string, as: Persona = 'admin', contentType = 'application/octet-stream') =>
  cloud.request('PUT', `/image/v2/images/${id}/file`, { as, rawBody: data, headers: { 'content-type': contentType } });
const newImage = async (body: Record<string, unknown> = {}, as: Persona = 'admin') => {
  const res = await cloud.request('POST', '/image/v2/images', {
    as,
    body: { name: 'img', disk_format: 'raw', container_format: 'bare', ...body },
  });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string; status: string; size: number | null };
};
const image = async (id: string, as: Persona = 'admin') =>
  (await cloud.request('GET', `/image/v2/images/${id}`, { as })).body;

describe('image data', () => {
  test('create without data is queued with no size or hashes; upload makes it active with md5 and sha512', async () => {
    const img = await newImage();
    assert.equal(img.status, 'queued');
    assert.equal(img.size, null);
    const data = 'hello image data\n'.repeat(100);
    const put = await upload(img.id, data);
    assert.equal(put.status, 204, put.text);
    assert.equal(put.text, '');
    const shown = await image(img.id);
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, Buffer.byteLength(data));
    assert.equal(shown.checksum, createHash('md5').update(data).digest('hex'));
    assert.equal(shown.os_hash_algo, 'sha512');
    assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'));
    const got = await cloud.request('GET', `/image/v2/images/${img.id}/file`, { as: 'admin' });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/octet-stream');
    assert.equal(got.headers.get('content-md5'), shown.checksum);
    assert.equal(got.text, data);
  });

  test('409 upload to an active image (Glance: status transition not allowed)', async () => {
    const img = await newImage();
    assert.equal((await upload(img.id, 'x')).status, 204);
    const again = await upload(img.id, 'y');
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, {
      code: 409,
      title: 'Conflict',
      message: 'Image status transition from active to saving is not allowed',
    });
  });

  test('a queued image and the seeded base image (a record without data) download as 204', async () => {
    const img = await newImage();
    const queued = await cloud.request('GET', `/image/v2/images/${img.id}/file`, { as: 'admin' });
    assert.equal(queued.status, 204);
    const base = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images.find(
      (i: { name: string }) => i.name.startsWith('cirros'),
    );
    assert.equal(base.status, 'active', 'the seeded base image stays active');
    assert.equal((await cloud.request('GET', `/image/v2/images/${base.id}/file`, { as: 'member' })).status, 204);
  });

  test('415 for a body that is not application/octet-stream', async () => {
    const img = await newImage();
    const res = await upload(img.id, '{"a": 1}', 'admin', 'application/json');
    assert.equal(res.status, 415);
    assert.deepEqual(res.body, {
      code: 415,
      title: 'Unsupported Media Type',
      message: 'Content-Type must be application/octet-stream',
    });
    assert.equal((await image(img.id)).status, 'queued');
  });

  test('octet-stream elsewhere is still refused as before (415)', async () => {
    const res = await cloud.request('POST', '/v2.1/servers', {
      as: 'member',
      rawBody: 'xx',
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(res.status, 415);
  });

  test('404 for a missing or invisible image, 403 for a reader or another project it can see', async () => {
    const missing = await upload('00000000-0000-0000-0000-000000000000', 'x');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {
      code: 404,
      title: 'Not Found',
      message: 'No image found with ID 00000000-0000-0000-0000-000000000000',
    });
    const priv = await newImage({ visibility: 'private' });
    assert.equal((await upload(priv.id, 'x', 'member')).status, 404);
    assert.equal((await cloud.request('GET', `/image/v2/images/${priv.id}/file`, { as: 'member' })).status, 404);
    const pub = await newImage({ visibility: 'public' });
    const reader = await upload(pub.id, 'x', 'reader');
    assert.equal(reader.status, 403);
    assert.deepEqual(reader.body, {
      code: 403,
      title: 'Forbidden',
      message: "Policy doesn't allow stratus:image:upload to be performed.",
    });
    assert.equal((await upload(pub.id, 'x', 'member')).status, 403);
    const none = await cloud.request('PUT', `/image/v2/images/${pub.id}/file`, {
      rawBody: 'x',
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(none.status, 401);
    assert.equal((await image(pub.id)).status, 'queued');
  });

  test('a member uploads to its own project image; delete removes the data', async () => {
    const own = await cloud.request('POST', '/image/v2/images', {
      as: 'admin',
      body: { name: 'mine', owner: cloud.projects.member, visibility: 'private' },
    });
    assert.equal(own.status, 201);
    assert.equal((await upload(own.body.id, 'abc', 'member')).status, 204);
    assert.equal((await cloud.request('GET', `/image/v2/images/${own.body.id}/file`, { as: 'member' })).text, 'abc');
    assert.equal((await cloud.request('DELETE', `/image/v2/images/${own.body.id}`, { as: 'admin' })).status, 204);
    assert.equal((await cloud.request('GET', `/image/v2/images/${own.body.id}/file`, { as: 'admin' })).status, 404);
  });
});
