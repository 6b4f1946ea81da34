// Glance's image_size_cap (config imageSizeCap): an upload past the cap stops while it streams
// and is 413 with Glance's message (image_data.py: ImageSizeLimitExceeded), the partial file is
// removed and the image is queued again, so a smaller upload can follow.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestCloud } from '../../src/testing/kit.js';
import { defaults } from '../../src/config/config.js';

const CAP = 1024;
let cloud: TestCloud;
before(async () => {
  cloud = await TestCloud.start({ imageSizeCap: CAP });
});
after(async () => {
  await cloud.close();
});

const upload = (id: string, body: string | ReadableStream<Uint8Array>) =>
  fetch(`${cloud.url}/image/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': cloud.tokens.admin, 'content-type': 'application/octet-stream' },
    body,
    duplex: 'half',
  } as RequestInit);
const newImage = async () => {
  const res = await cloud.request('POST', '/image/v2/images', {
    as: 'admin',
    body: { name: 'capped', disk_format: 'raw', container_format: 'bare' },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
};
const image = async (id: string) => (await cloud.request('GET', `/image/v2/images/${id}`, { as: 'admin' })).body;
/** The files of the image store that belong to `id` (its data, or a partial upload). */
const filesOf = (id: string) => {
  const dir = join(cloud.stack.deps.config.data, 'images');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.includes(id)) : [];
};
const TOO_LARGE = {
  code: 413,
  title: 'Request Entity Too Large',
  message: 'The incoming image is too large: The provided image is too large.',
};

describe('image size cap', () => {
  test('the default cap is Glance’s: 1 TiB', () => {
    assert.equal(defaults().imageSizeCap, 1024 ** 4);
  });

  test('exactly the cap is accepted', async () => {
    const id = await newImage();
    const res = await upload(id, 'x'.repeat(CAP));
    assert.equal(res.status, 204, await res.text());
    const img = await image(id);
    assert.deepEqual([img.status, img.size], ['active', CAP]);
  });

  test('one byte over: 413 with Glance’s body, no file left, the image queued; a smaller upload then succeeds', async () => {
    const id = await newImage();
    const res = await upload(id, 'x'.repeat(CAP + 1));
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), TOO_LARGE);
    const img = await image(id);
    assert.deepEqual([img.status, img.size], ['queued', null]);
    assert.deepEqual(filesOf(id), []);
    const retry = await upload(id, 'small');
    assert.equal(retry.status, 204);
    assert.equal((await image(id)).status, 'active');
  });

  test('a stream far over the cap is refused while it streams: the server stops before the end', async () => {
    const id = await newImage();
    const chunk = new Uint8Array(512).fill(7);
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 64 MiB if nobody stopped reading: the upload must fail long before.
        if (sent >= 64 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await upload(id, endless).catch((e: Error) => e);
    if (res instanceof Response) {
      assert.equal(res.status, 413);
      assert.deepEqual(await res.json(), TOO_LARGE);
    }
    assert.ok(sent < 64 * 1024 * 1024, `the whole stream was read (${sent} bytes)`);
    assert.equal((await image(id)).status, 'queued');
    assert.deepEqual(filesOf(id), []);
  });
});
