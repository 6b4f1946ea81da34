// Image data (Glance's PUT/GET /v2/images/{id}/file) and the server actions that make or use
// images: rebuild, createImage, shelve with its snapshot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

const action = (id: string, body: unknown, as: Persona = 'member', mv = '2.1') =>
  cloud.request('POST', `/v2.1/servers/${id}/action`, { as, body, mv });
/** An active public image whose guests run `command` (process driver). */
async function bootableImage(props: Record<string, string> = {}): Promise<string> {
  const img = await newImage({ visibility: 'public', os_distro: 'cirros', ...props });
  assert.equal((await upload(img.id, 'base image')).status, 204);
  return img.id;
}
const statusOf = async (id: string) => (await cloud.server(id)).body.server;
const imagesOf = async (serverId: string) =>
  (await cloud.request('GET', '/image/v2/images', { as: 'admin' })).body.images.filter(
    (i: { instance_uuid?: string }) => i.instance_uuid === serverId,
  );

describe('rebuild', () => {
  test('202 with the server view and adminPass; REBUILD, then ACTIVE on the new image, same id and addresses', async () => {
    const id = await cloud.createServer();
    const before = await statusOf(id);
    const img = await bootableImage({ stratus_command: 'exec sleep 60' });
    const res = await action(id, { rebuild: { imageRef: img, name: 'rebuilt', metadata: { a: 'b' } } });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.server.id, id);
    assert.equal(res.body.server.name, 'rebuilt');
    assert.equal(res.body.server.status, 'REBUILD');
    assert.equal(typeof res.body.server.adminPass, 'string');
    assert.equal(res.body.server.image.id, img);
    await cloud.drain();
    const after = await statusOf(id);
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after['OS-EXT-STS:task_state'], null);
    assert.deepEqual(after.metadata, { a: 'b' });
    assert.deepEqual(after.addresses, before.addresses);
    const events = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'member' });
    assert.ok(events.body.instanceActions.some((a: { action: string }) => a.action === 'rebuild'));
  });

  test('a stopped server is rebuilt and stays SHUTOFF; ERROR is rebuilt to ACTIVE', async () => {
    const img = await bootableImage();
    const id = await cloud.createServer();
    assert.equal((await action(id, { 'os-stop': null })).status, 202);
    await cloud.drain();
    assert.equal((await action(id, { rebuild: { imageRef: img } })).status, 202);
    await cloud.drain();
    assert.equal((await statusOf(id)).status, 'SHUTOFF');
    const err = await cloud.createServer();
    await action(err, { 'os-resetState': { state: 'error' } }, 'admin');
    assert.equal((await action(err, { rebuild: { imageRef: img } })).status, 202);
    await cloud.drain();
    assert.equal((await statusOf(err)).status, 'ACTIVE');
  });

  test('400 for an unknown or inactive image, bad input and keys of other microversions', async () => {
    const id = await cloud.createServer();
    const missing = await action(id, { rebuild: { imageRef: '00000000-0000-0000-0000-000000000001' } });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { badRequest: { code: 400, message: 'Cannot find image for rebuild' } });
    const queued = await newImage({ visibility: 'public' });
    const inactive = await action(id, { rebuild: { imageRef: queued.id } });
    assert.deepEqual(inactive.body, { badRequest: { code: 400, message: `Image ${queued.id} is not active.` } });
    const noRef = await action(id, { rebuild: { name: 'x' } });
    assert.equal(noRef.status, 400);
    assert.deepEqual(noRef.body, {
      badRequest: {
        code: 400,
        message: "Invalid input for field/attribute rebuild. Value: {'name': 'x'}. 'imageRef' is a required property",
      },
    });
    const img = await bootableImage();
    const early = await action(id, { rebuild: { imageRef: img, key_name: 'k' } }, 'member', '2.53');
    assert.equal(early.status, 400);
    assert.match(early.body.badRequest.message, /Additional properties are not allowed \('key_name' was unexpected\)/);
    const personality = await action(id, { rebuild: { imageRef: img, personality: [] } }, 'member', '2.57');
    assert.match(personality.body.badRequest.message, /'personality' was unexpected/);
    const badName = await action(id, { rebuild: { imageRef: img, name: 5 } });
    assert.deepEqual(badName.body, {
      badRequest: { code: 400, message: "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'" },
    });
    const noKey = await action(id, { rebuild: { imageRef: img, key_name: 'nope' } }, 'member', '2.54');
    assert.deepEqual(noKey.body, { badRequest: { code: 400, message: 'Invalid key_name provided.' } });
    assert.equal((await statusOf(id)).status, 'ACTIVE', 'nothing changed');
  });

  test('404 for a deleted or another project server, 403 reader, 409 wrong state or locked', async () => {
    const img = await bootableImage();
    const id = await cloud.createServer();
    const reader = await action(id, { rebuild: { imageRef: img } }, 'reader');
    assert.equal(reader.status, 403);
    assert.deepEqual(reader.body, {
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:rebuild to be performed." },
    });
    const other = await action(id, { rebuild: { imageRef: img } }, 'other');
    assert.deepEqual(other.body, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    assert.equal((await action(id, { pause: null })).status, 202);
    await cloud.drain();
    const paused = await action(id, { rebuild: { imageRef: img } });
    assert.deepEqual(paused.body, {
      conflictingRequest: {
        code: 409,
        message: `Cannot 'rebuild' instance ${id} while it is in vm_state paused`,
      },
    });
    const locked = await cloud.createServer();
    await action(locked, { lock: null }, 'admin');
    const l = await action(locked, { rebuild: { imageRef: img } });
    assert.deepEqual(l.body, { conflictingRequest: { code: 409, message: `Instance ${locked} is locked` } });
    const gone = await cloud.createServer();
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${gone}`, { as: 'member' })).status, 204);
    await cloud.drain();
    const deleted = await action(gone, { rebuild: { imageRef: img } });
    assert.deepEqual(deleted.body, { itemNotFound: { code: 404, message: `Instance ${gone} could not be found.` } });
    const noToken = await cloud.request('POST', `/v2.1/servers/${id}/action`, { body: { rebuild: { imageRef: img } } });
    assert.equal(noToken.status, 401);
  });

  test('a delete during the rebuild supersedes it: the server is gone and no guest is left', async () => {
    const img = await bootableImage();
    const id = await cloud.createServer();
    assert.equal((await action(id, { rebuild: { imageRef: img } })).status, 202);
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await cloud.drain();
    assert.equal((await cloud.server(id)).status, 404);
    assert.equal(await cloud.stack.agents[0].driver.power(id), 'missing');
  });
});

describe('createImage', () => {
  test('2.45: 202 {"image_id"}; the snapshot image is active with the disk data and the base properties', async () => {
    const id = await cloud.createServer();
    const res = await action(id, { createImage: { name: 'snap', metadata: { k: 'v' } } }, 'member', '2.45');
    assert.equal(res.status, 202, res.text);
    const imageId = res.body.image_id;
    assert.equal(res.headers.get('location'), null);
    // The agent may already be at work: image_snapshot → image_pending_upload → image_uploading.
    const ts = (await statusOf(id))['OS-EXT-STS:task_state'];
    assert.ok([null, 'image_snapshot', 'image_pending_upload', 'image_uploading'].includes(ts), ts);
    assert.ok(['queued', 'saving', 'active'].includes((await image(imageId, 'member')).status));
    await cloud.drain();
    const img = await image(imageId, 'member');
    assert.equal(img.status, 'active');
    assert.equal(img.name, 'snap');
    assert.equal(img.image_type, 'snapshot');
    assert.equal(img.instance_uuid, id);
    assert.equal(img.os_distro, 'cirros', 'inherited from the base image');
    assert.equal(img.k, 'v');
    assert.equal(img.owner, cloud.projects.member);
    assert.equal(img.visibility, 'private');
    const data = await cloud.request('GET', `/image/v2/images/${imageId}/file`, { as: 'member' });
    assert.match(data.text, new RegExp(`^fake disk of ${id}`));
    assert.equal(img.checksum, createHash('md5').update(data.text).digest('hex'));
    assert.equal((await statusOf(id))['OS-EXT-STS:task_state'], null);
    assert.equal((await statusOf(id)).status, 'ACTIVE');
  });

  test('before 2.45: 202 with no body and the Location of the image', async () => {
    const id = await cloud.createServer();
    const res = await action(id, { createImage: { name: 'snap-old' } });
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
    assert.match(res.headers.get('location') ?? '', /\/image\/v2\/images\/[0-9a-f-]{36}$/);
    await cloud.drain();
  });

  test('400 bad body, 403 reader, 404 other project, 409 wrong state; a locked server can be snapshotted', async () => {
    const id = await cloud.createServer();
    const noName = await action(id, { createImage: {} });
    assert.deepEqual(noName.body, {
      badRequest: {
        code: 400,
        message: "Invalid input for field/attribute createImage. Value: {}. 'name' is a required property",
      },
    });
    const reader = await action(id, { createImage: { name: 'x' } }, 'reader');
    assert.deepEqual(reader.body, {
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:create_image to be performed." },
    });
    assert.equal((await action(id, { createImage: { name: 'x' } }, 'other')).status, 404);
    await action(id, { 'os-resetState': { state: 'error' } }, 'admin');
    const err = await action(id, { createImage: { name: 'x' } });
    assert.deepEqual(err.body, {
      conflictingRequest: { code: 409, message: `Cannot 'createImage' instance ${id} while it is in vm_state error` },
    });
    const locked = await cloud.createServer();
    await action(locked, { lock: null }, 'admin');
    assert.equal((await action(locked, { createImage: { name: 'l' } })).status, 202);
    await cloud.drain();
  });

  test('a delete during the snapshot deletes the image it was making', async () => {
    const id = await cloud.createServer();
    const res = await action(id, { createImage: { name: 'doomed' } }, 'member', '2.45');
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await cloud.drain();
    assert.equal((await cloud.server(id)).status, 404);
    assert.equal((await cloud.request('GET', `/image/v2/images/${res.body.image_id}`, { as: 'admin' })).status, 404);
  });
});

describe('shelve', () => {
  test('shelve snapshots into <name>-shelved and offloads at once (shelved_offload_time 0); unshelve deletes it', async () => {
    const id = await cloud.createServer('member', { name: 'shelf' });
    assert.equal((await action(id, { shelve: null })).status, 202);
    await cloud.drain();
    const s = await statusOf(id);
    assert.equal(s.status, 'SHELVED_OFFLOADED');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], null);
    const [img] = await imagesOf(id);
    assert.equal(img.name, 'shelf-shelved');
    assert.equal(img.status, 'active');
    assert.equal(await cloud.stack.agents[0].driver.power(id), 'missing', 'the node let go of the guest');
    assert.equal((await action(id, { unshelve: null })).status, 202);
    await cloud.drain();
    assert.equal((await statusOf(id)).status, 'ACTIVE');
    assert.deepEqual(await imagesOf(id), []);
  });

  test('a delete of a SHELVED_OFFLOADED server deletes its snapshot image', async () => {
    const id = await cloud.createServer('member', { name: 'gone' });
    await action(id, { shelve: null });
    await cloud.drain();
    assert.equal((await imagesOf(id)).length, 1);
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await cloud.drain();
    assert.equal((await cloud.server(id)).status, 404);
    assert.deepEqual(await imagesOf(id), []);
  });
});

describe('shelve with shelved_offload_time -1', () => {
  let kept: TestCloud;
  before(async () => {
    kept = await TestCloud.start({ shelvedOffloadTime: -1 });
  });
  after(async () => {
    await kept.close();
  });
  test('SHELVED stays on its node; a delete of it deletes the snapshot image', async () => {
    const id = await kept.createServer('member', { name: 'kept' });
    assert.equal(
      (await kept.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { shelve: null } })).status,
      202,
    );
    await kept.drain();
    const s = (await kept.server(id)).body.server;
    assert.equal(s.status, 'SHELVED');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'compute-test');
    const list = async () =>
      (await kept.request('GET', '/image/v2/images', { as: 'admin' })).body.images.filter(
        (i: { name: string }) => i.name === 'kept-shelved',
      );
    assert.equal((await list()).length, 1);
    assert.equal((await kept.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await kept.drain();
    assert.equal((await kept.server(id)).status, 404);
    assert.deepEqual(await list(), []);
    assert.equal(await kept.stack.agents[0].driver.power(id), 'missing');
  });
});

describe('with the process driver', () => {
  let pc: TestCloud;
  let flavor: string;
  before(async () => {
    pc = await TestCloud.start({ driver: 'process' });
    // A flavor without disk: the snapshot then copies only what the guest wrote.
    const f = await pc.request('POST', '/v2.1/flavors', {
      as: 'admin',
      body: { flavor: { name: 'tiny0', ram: 64, vcpus: 1, disk: 0, id: 'tiny0' } },
    });
    assert.equal(f.status, 200, f.text);
    flavor = f.body.flavor.id;
  });
  after(async () => {
    await pc?.close();
  });
  const imageWith = async (command: string) => {
    const img = await pc.request('POST', '/image/v2/images', {
      as: 'admin',
      body: {
        name: 'cmd',
        visibility: 'public',
        disk_format: 'raw',
        container_format: 'bare',
        stratus_command: command,
      },
    });
    const put = await pc.request('PUT', `/image/v2/images/${img.body.id}/file`, {
      as: 'admin',
      rawBody: 'x',
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.status, 204);
    return img.body.id as string;
  };
  const console = async (id: string) =>
    (
      await pc.request('POST', `/v2.1/servers/${id}/action`, {
        as: 'member',
        body: { 'os-getConsoleOutput': {} },
      })
    ).body.output as string;
  const until = async (cond: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(await cond());
  };

  test('createImage: the snapshot image holds a copy of the instance disk file', async () => {
    const id = await pc.createServer('member', { flavorRef: flavor, networks: 'none' });
    const disk = join(pc.stack.deps.config.data, pc.stack.agents[0].host, 'instances', id, 'disk');
    writeFileSync(disk, 'what the guest wrote\n');
    const res = await pc.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      mv: '2.45',
      body: { createImage: { name: 'pd-snap' } },
    });
    assert.equal(res.status, 202, res.text);
    await pc.drain();
    const data = await pc.request('GET', `/image/v2/images/${res.body.image_id}/file`, { as: 'member' });
    assert.equal(data.status, 200);
    assert.equal(data.text, readFileSync(disk, 'utf8'));
    await pc.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    await pc.drain();
  });

  test('rebuild destroys the guest and starts it again with the new image command', async () => {
    const first = await imageWith('echo first-image; exec sleep 60');
    const second = await imageWith('echo second-image; exec sleep 60');
    const id = await pc.createServer('member', { flavorRef: flavor, networks: 'none', imageRef: first });
    await until(async () => (await console(id)).includes('first-image'));
    const res = await pc.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { rebuild: { imageRef: second } },
    });
    assert.equal(res.status, 202, res.text);
    await pc.drain();
    assert.equal((await pc.server(id)).body.server.status, 'ACTIVE');
    await until(async () => (await console(id)).includes('second-image'));
    assert.ok(!(await console(id)).includes('first-image'), 'a new guest: the old console is gone');
    assert.equal(await pc.stack.agents[0].driver.power(id), 'running');
    await pc.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    await pc.drain();
    assert.equal(await pc.stack.agents[0].driver.power(id), 'missing');
  });
});

describe('views and metadata as Nova', () => {
  test('rebuild before 2.75 answers the reduced view; from 2.75 the show view', async () => {
    const img = await bootableImage();
    const id = await cloud.createServer();
    const old = await action(id, { rebuild: { imageRef: img } }, 'member', '2.74');
    assert.equal(old.status, 202);
    assert.ok(!('OS-EXT-STS:vm_state' in old.body.server));
    assert.ok('key_name' in old.body.server, '2.54+ names the key');
    for (const list of Object.values(old.body.server.addresses) as Array<Array<Record<string, unknown>>>)
      for (const a of list) assert.deepEqual(Object.keys(a).sort(), ['addr', 'version']);
    await cloud.drain();
    const full = await action(id, { rebuild: { imageRef: img } }, 'member', '2.75');
    assert.equal(full.body.server['OS-EXT-STS:task_state'], 'rebuilding');
    await cloud.drain();
    // From 2.57 user_data is a top-level key, and an admin's view has no OS-EXT-SRV-ATTR:user_data
    // beside it (Tempest's ServersAdmin275Test schema).
    const admin = await action(id, { rebuild: { imageRef: img, user_data: 'aGk=' } }, 'admin', '2.75');
    assert.equal(admin.status, 202, admin.text);
    assert.equal(admin.body.server.user_data, 'aGk=');
    assert.ok(!('OS-EXT-SRV-ATTR:user_data' in admin.body.server));
    assert.ok('OS-EXT-SRV-ATTR:host' in admin.body.server);
    await cloud.drain();
  });

  test("createImage: the request's metadata wins over the snapshot's own properties; a bad key is 400", async () => {
    const id = await cloud.createServer();
    const res = await action(id, { createImage: { name: 's', metadata: { image_type: 'test' } } }, 'member', '2.45');
    await cloud.drain();
    assert.equal((await image(res.body.image_id)).image_type, 'test');
    const bad = await action(id, { createImage: { name: 's', metadata: { ['k'.repeat(256)]: 'v' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.badRequest.message, /^Invalid input for field\/attribute metadata\./);
  });
});
