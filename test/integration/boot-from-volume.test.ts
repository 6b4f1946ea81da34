// Boot from volume (Nova's block_device_mapping_v2 with Cinder): the API's checks with Nova's
// messages, the volumes the compute node makes and attaches, the view, on SQLite and PostgreSQL,
// and a process-driver guest whose disk is its root volume's file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, realpathSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestCloud, type HttpResult, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { settleVolumeWork } from '../../src/services/volume/volume-work.js';
import { volumePath } from '../../src/services/volume/volume-files.js';
import { imageDataPath } from '../../src/services/image/image-store.js';
import { DEMO_IMAGE_NAME } from '../../src/runtime/seed.js';

function assertFault(res: HttpResult, status: number, message: string) {
  const key = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound' }[status] as string;
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { [key]: { code: status, message } });
}

async function helpers(cloud: TestCloud) {
  const image = (await cloud.request('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body.images[0]
    .id as string;
  const vol = (method: string, path: string, opts: { as?: Persona; body?: unknown } = {}) => {
    const as = opts.as ?? 'member';
    return cloud.request(method, `/volume/v3/${cloud.projects[as]}${path}`, {
      as,
      body: opts.body,
      headers: { 'openstack-api-version': 'volume 3.27' },
    });
  };
  const makeVolume = async (as: Persona = 'member', extra: Record<string, unknown> = {}) => {
    const res = await vol('POST', '/volumes', { as, body: { volume: { size: 1, name: 'bv', ...extra } } });
    assert.equal(res.status, 202, res.text);
    await settleVolumeWork(cloud.stack.deps);
    return res.body.volume.id as string;
  };
  const boot = (bdms: unknown[], extra: Record<string, unknown> = {}, as: Persona = 'member', mv = '2.67') =>
    cloud.request('POST', '/v2.1/servers', {
      as,
      mv,
      body: { server: { name: 'bfv', flavorRef: '1', networks: 'none', block_device_mapping_v2: bdms, ...extra } },
    });
  const volume = async (id: string, as: Persona = 'member') => (await vol('GET', `/volumes/${id}`, { as })).body.volume;
  return { image, vol, makeVolume, boot, volume };
}

for (const target of databaseTargets()) {
  describe(`boot from volume on ${target.name}`, () => {
    let cloud: TestCloud;
    let db: { url: string; drop(): Promise<void> };
    let h: Awaited<ReturnType<typeof helpers>>;
    before(async () => {
      db = await target.url();
      cloud = await TestCloud.start({ database: db.url });
      h = await helpers(cloud);
    });
    after(async () => {
      await cloud.close();
      await db.drop();
    });

    test('validation: Nova’s messages, nothing written', async () => {
      const bogus = '9b5a4f2e-0000-4000-8000-000000000000';
      const cases: Array<[unknown[], Record<string, unknown>, string]> = [
        [
          [{ source_type: 'blank', destination_type: 'volume', uuid: bogus, volume_size: 1, boot_index: 0 }],
          {},
          'Block Device Mapping is Invalid: Invalid device UUID.',
        ],
        [
          [{ source_type: 'volume', destination_type: 'volume', boot_index: 0 }],
          {},
          'Block Device Mapping is Invalid: Missing device UUID.',
        ],
        [
          [{ source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: -1 }],
          {},
          'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.',
        ],
        [
          [
            { source_type: 'image', destination_type: 'volume', uuid: h.image, volume_size: 1, boot_index: 0 },
            { source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: 0 },
          ],
          {},
          'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.',
        ],
        [
          [{ source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: 2 }],
          { imageRef: h.image },
          'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.',
        ],
        [
          [{ source_type: 'volume', destination_type: 'volume', uuid: bogus, boot_index: 0 }],
          {},
          `Block Device Mapping is Invalid: failed to get volume ${bogus}.`,
        ],
        [
          [{ source_type: 'snapshot', destination_type: 'volume', uuid: bogus, boot_index: 0 }],
          {},
          `Block Device Mapping is Invalid: failed to get snapshot ${bogus}.`,
        ],
        [
          [{ source_type: 'image', destination_type: 'volume', uuid: bogus, volume_size: 1, boot_index: 0 }],
          {},
          `Block Device Mapping is Invalid: failed to get image ${bogus}.`,
        ],
        [
          [{ source_type: 'image', destination_type: 'volume', uuid: h.image, boot_index: 0 }],
          {},
          "Block Device Mapping is Invalid: Images with destination_type 'volume' need to have a non-zero size specified",
        ],
        [
          [{ source_type: 'blank', destination_type: 'volume', boot_index: -1 }],
          { imageRef: h.image },
          "Block Device Mapping is Invalid: Blank volumes (source: 'blank', dest: 'volume') need to have non-zero size",
        ],
        [
          [
            {
              source_type: 'image',
              destination_type: 'volume',
              uuid: h.image,
              volume_size: 1,
              boot_index: 0,
              delete_on_termination: 'maybe',
            },
          ],
          {},
          "Invalid input for field/attribute delete_on_termination. Value: maybe. 'maybe' is not of type 'boolean'",
        ],
        [
          [{ source_type: 'image', destination_type: 'volume', uuid: h.image, volume_size: 'x', boot_index: 0 }],
          {},
          "Invalid input for field/attribute volume_size. Value: x. 'x' does not match '^[0-9]+$'",
        ],
        [
          [{ source_type: 'blank', destination_type: 'local', boot_index: -1 }],
          { imageRef: h.image },
          'Block Device Mapping is Invalid: only image to local mappings can be booted as local disks.',
        ],
        [
          [{ source_type: 'volume', destination_type: 'volume', uuid: bogus, boot_index: 0, volume_type: 'x' }],
          {},
          'Block Device Mapping is Invalid: Specifying volume type to existing volume is not supported.',
        ],
      ];
      for (const [bdms, extra, message] of cases) assertFault(await h.boot(bdms, extra), 400, message);
      // JSON schema: unknown keys and wrong types.
      const unknown = await h.boot([{ source_type: 'blank', destination_type: 'volume', volume_size: 1, bogus: 1 }]);
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.badRequest.message, /Additional properties are not allowed \('bogus' was unexpected\)/);
      const badSource = await h.boot([{ source_type: 'disk', uuid: h.image }]);
      assert.equal(badSource.status, 400);
      const list = await cloud.request('GET', '/v2.1/servers', { as: 'member' });
      assert.equal(list.body.servers.length, 0);
    });

    test('an existing volume: reserved at the API, in-use once ACTIVE, image "" in the view', async () => {
      const id = await h.makeVolume('member', { imageRef: h.image });
      assert.equal((await h.volume(id)).bootable, 'true');
      const res = await h.boot([{ source_type: 'volume', destination_type: 'volume', uuid: id, boot_index: 0 }]);
      assert.equal(res.status, 202, res.text);
      const serverId = res.body.server.id as string;
      // Reserved by the create (the in-process agent may already have attached it).
      assert.match((await h.volume(id)).status, /^(reserved|attaching|in-use)$/);
      // Another server cannot take it meanwhile (Cinder's 400 through Nova's InvalidVolume).
      const second = await h.boot([{ source_type: 'volume', destination_type: 'volume', uuid: id, boot_index: 0 }]);
      assert.equal(second.status, 400);
      assert.match(
        second.body.badRequest.message,
        new RegExp(
          `^Invalid volume: Invalid input received: Invalid volume: Volume ${id} status must be available or downloading to reserve, but the current status is (reserved|attaching|in-use)\\. \\(HTTP 400\\)$`,
        ),
      );
      await cloud.drain();
      const show = await cloud.server(serverId, 'member', '2.67');
      assert.equal(show.body.server.status, 'ACTIVE', show.text);
      assert.equal(show.body.server.image, '');
      assert.deepEqual(show.body.server['os-extended-volumes:volumes_attached'], [
        { id, delete_on_termination: false },
      ]);
      const old = await cloud.server(serverId, 'member', '2.1');
      assert.deepEqual(old.body.server['os-extended-volumes:volumes_attached'], [{ id }]);
      const v = await h.volume(id);
      assert.equal(v.status, 'in-use');
      assert.equal(v.attachments.length, 1);
      assert.equal(v.attachments[0].server_id, serverId);
      assert.equal(v.attachments[0].device, '/dev/vda');
      const detail = await cloud.request('GET', '/v2.1/servers/detail', { as: 'member', mv: '2.67' });
      const row = detail.body.servers.find((s: { id: string }) => s.id === serverId);
      assert.deepEqual(row['os-extended-volumes:volumes_attached'], [{ id, delete_on_termination: false }]);
    });

    test('a volume that is not bootable, or another project’s: 400', async () => {
      const plain = await h.makeVolume();
      assertFault(
        await h.boot([{ source_type: 'volume', destination_type: 'volume', uuid: plain, boot_index: 0 }]),
        400,
        `Block Device ${plain} is not bootable.`,
      );
      // Not bootable is fine as a data disk of an image-backed server.
      const data = await h.boot([{ source_type: 'volume', destination_type: 'volume', uuid: plain }], {
        imageRef: h.image,
      });
      assert.equal(data.status, 202, data.text);
      await cloud.drain();
      assert.equal((await cloud.server(data.body.server.id, 'member')).body.server.status, 'ACTIVE');
      assert.equal((await h.volume(plain)).attachments[0].device, '/dev/vdb');
      const theirs = await h.makeVolume('other', { imageRef: h.image });
      assertFault(
        await h.boot([{ source_type: 'volume', destination_type: 'volume', uuid: theirs, boot_index: 0 }]),
        400,
        `Block Device Mapping is Invalid: failed to get volume ${theirs}.`,
      );
      assertFault(
        await h.boot([{ source_type: 'volume', destination_type: 'volume', uuid: theirs, boot_index: 0 }], {
          max_count: 2,
        }),
        400,
        'Cannot attach one or more volumes to multiple instances',
      );
      assert.equal((await h.volume(theirs, 'other')).status, 'available');
    });

    test('image → volume: the node creates a bootable volume from the image, delete_on_termination recorded', async () => {
      const res = await h.boot([
        {
          source_type: 'image',
          destination_type: 'volume',
          uuid: h.image,
          volume_size: 2,
          boot_index: 0,
          delete_on_termination: true,
        },
        { source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: -1 },
      ]);
      assert.equal(res.status, 202, res.text);
      await cloud.drain();
      const show = await cloud.server(res.body.server.id, 'member', '2.67');
      assert.equal(show.body.server.status, 'ACTIVE', show.text);
      assert.equal(show.body.server.image, '');
      const attached = show.body.server['os-extended-volumes:volumes_attached'];
      assert.equal(attached.length, 2);
      assert.equal(attached[0].delete_on_termination, true);
      assert.equal(attached[1].delete_on_termination, false);
      const root = await h.volume(attached[0].id);
      assert.equal(root.bootable, 'true');
      assert.equal(root.size, 2);
      assert.equal(root.status, 'in-use');
      assert.equal(root.volume_image_metadata.image_id, h.image);
      assert.equal(root.attachments[0].device, '/dev/vda');
      const blank = await h.volume(attached[1].id);
      assert.equal(blank.bootable, 'false');
      assert.equal(blank.status, 'in-use');
      assert.equal(blank.attachments[0].device, '/dev/vdb');
    });

    test('a failed build (spawn fault) releases its volumes: the existing one available, the delete_on_termination blank gone', async () => {
      const existing = await h.makeVolume('member', { imageRef: h.image });
      await settleVolumeWork(cloud.stack.deps);
      const inject = await cloud.request('POST', '/stratus/v1/faults', {
        as: 'admin',
        body: { fault: { host: 'compute-test', operation: 'spawn', mode: 'fail', count: 1 } },
      });
      assert.equal(inject.status, 201, inject.text);
      const res = await h.boot([
        { source_type: 'volume', destination_type: 'volume', uuid: existing, boot_index: 0 },
        { source_type: 'blank', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
      ]);
      assert.equal(res.status, 202, res.text);
      await cloud.drain();
      const show = await cloud.server(res.body.server.id, 'member', '2.67');
      assert.equal(show.body.server.status, 'ERROR', show.text);
      assert.deepEqual(show.body.server['os-extended-volumes:volumes_attached'], []);
      assert.equal((await h.volume(existing)).status, 'available');
      const sid = res.body.server.id as string;
      const mine = (await h.vol('GET', '/volumes/detail')).body.volumes as Array<{
        id: string;
        name: string;
        attachments: Array<{ server_id: string }>;
      }>;
      // nothing attached to the failed server; the blank volume it made (delete_on_termination) is gone
      assert.deepEqual(
        mine.filter((v) => v.name.startsWith(sid) || v.attachments.some((a) => a.server_id === sid)).map((v) => v.id),
        [],
      );
      assert.equal(
        (await cloud.request('DELETE', `/v2.1/servers/${res.body.server.id}`, { as: 'member' })).status,
        204,
      );
      await cloud.drain();
    });

    test('an image-backed server with a blank data volume keeps its image', async () => {
      const res = await h.boot([{ source_type: 'blank', destination_type: 'volume', volume_size: 1 }], {
        imageRef: h.image,
      });
      assert.equal(res.status, 202, res.text);
      await cloud.drain();
      const show = await cloud.server(res.body.server.id, 'member', '2.67');
      assert.equal(show.body.server.status, 'ACTIVE');
      assert.equal(show.body.server.image.id, h.image);
      assert.equal(show.body.server['os-extended-volumes:volumes_attached'].length, 1);
    });

    test('a volume-backed server: rebuild with its own image only, no rescue before 2.87, no backup or snapshot, resize keeps the volume', async () => {
      const res = await h.boot([
        { source_type: 'image', destination_type: 'volume', uuid: h.image, volume_size: 1, boot_index: 0 },
      ]);
      assert.equal(res.status, 202, res.text);
      await cloud.drain();
      const id = res.body.server.id as string;
      const act = (body: unknown, mv = '2.67') =>
        cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', mv, body });
      const images = (await cloud.request('GET', '/image/v2/images', { as: 'admin' })).body.images as Array<{
        id: string;
      }>;
      const other = images.find((i) => i.id !== h.image);
      if (other)
        assertFault(
          await act({ rebuild: { imageRef: other.id } }),
          400,
          `Image ${other.id} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`,
        );
      assertFault(
        await act({ rescue: null }),
        400,
        `Instance ${id} cannot be rescued: Cannot rescue a volume-backed instance`,
      );
      assertFault(
        await act({ rescue: { rescue_image_ref: h.image } }, '2.87'),
        400,
        `Instance ${id} cannot be rescued: Cannot rescue a volume-backed instance`,
      );
      assertFault(
        await act({ createBackup: { name: 'b', backup_type: 'daily', rotation: 1 } }),
        400,
        'Backup is not supported for volume-backed instances.',
      );
      assertFault(
        await act({ createImage: { name: 'snap' } }),
        400,
        'Stratus does not snapshot volume-backed servers: snapshot their volumes through the volume API.',
      );
      const rebuild = await act({ rebuild: { imageRef: h.image } });
      assert.equal(rebuild.status, 202, rebuild.text);
      await cloud.drain();
      let show = await cloud.server(id, 'member', '2.67');
      assert.equal(show.body.server.status, 'ACTIVE', show.text);
      assert.equal(show.body.server.image, '');
      const root = show.body.server['os-extended-volumes:volumes_attached'][0].id;
      const resize = await act({ resize: { flavorRef: '2' } });
      assert.equal(resize.status, 202, resize.text);
      await cloud.drain();
      show = await cloud.server(id, 'member', '2.67');
      assert.equal(show.body.server.status, 'VERIFY_RESIZE', show.text);
      assert.deepEqual(show.body.server['os-extended-volumes:volumes_attached'], [
        { id: root, delete_on_termination: false },
      ]);
      assert.equal((await h.volume(root)).status, 'in-use');
    });

    test('delete: the delete_on_termination root volume goes, the other volume is available again', async () => {
      const keep = await h.makeVolume();
      const res = await h.boot([
        {
          source_type: 'image',
          destination_type: 'volume',
          uuid: h.image,
          volume_size: 1,
          boot_index: 0,
          delete_on_termination: true,
        },
        { source_type: 'volume', destination_type: 'volume', uuid: keep, delete_on_termination: false },
      ]);
      assert.equal(res.status, 202, res.text);
      await cloud.drain();
      const id = res.body.server.id as string;
      const root = (await cloud.server(id, 'member', '2.67')).body.server['os-extended-volumes:volumes_attached'][0]
        .id as string;
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
      await cloud.drain();
      assert.equal((await h.vol('GET', `/volumes/${root}`)).status, 404);
      const kept = await h.volume(keep);
      assert.equal(kept.status, 'available');
      assert.deepEqual(kept.attachments, []);
    });

    test('legacy block_device_mapping (v1): the volume named vda is the root', async () => {
      const id = await h.makeVolume('member', { imageRef: h.image });
      const both = await cloud.request('POST', '/v2.1/servers', {
        as: 'member',
        body: {
          server: {
            name: 'v1',
            flavorRef: '1',
            block_device_mapping: [{ volume_id: id, device_name: 'vda' }],
            block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume', uuid: id, boot_index: 0 }],
          },
        },
      });
      assertFault(both, 400, 'Using different block_device_mapping syntaxes is not allowed in the same request.');
      const notRoot = await cloud.request('POST', '/v2.1/servers', {
        as: 'member',
        body: { server: { name: 'v1', flavorRef: '1', block_device_mapping: [{ volume_id: id, device_name: 'vdb' }] } },
      });
      assertFault(
        notRoot,
        400,
        'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.',
      );
      const res = await cloud.request('POST', '/v2.1/servers', {
        as: 'member',
        body: {
          server: {
            name: 'v1',
            flavorRef: '1',
            block_device_mapping: [{ volume_id: id, device_name: '/dev/vda', delete_on_termination: '1' }],
          },
        },
      });
      assert.equal(res.status, 202, res.text);
      await cloud.drain();
      const show = await cloud.server(res.body.server.id, 'member', '2.3');
      assert.equal(show.body.server.status, 'ACTIVE', show.text);
      assert.equal(show.body.server.image, '');
      assert.deepEqual(show.body.server['os-extended-volumes:volumes_attached'], [{ id, delete_on_termination: true }]);
      const extra = await cloud.request('POST', '/v2.1/servers', {
        as: 'member',
        body: { server: { name: 'v1', flavorRef: '1', block_device_mapping: [{ volume_id: id, uuid: 'x' }] } },
      });
      assert.equal(extra.status, 400);
      assert.match(extra.body.badRequest.message, /'uuid' was unexpected/);
    });

    test('personas: a reader cannot boot, no token is 401', async () => {
      const bdm = [{ source_type: 'image', destination_type: 'volume', uuid: h.image, volume_size: 1, boot_index: 0 }];
      const reader = await h.boot(bdm, {}, 'reader');
      assert.equal(reader.status, 403, reader.text);
      const anon = await cloud.request('POST', '/v2.1/servers', {
        body: { server: { name: 'x', flavorRef: '1', block_device_mapping_v2: bdm } },
      });
      assert.equal(anon.status, 401);
      const other = await h.boot(bdm, {}, 'other');
      assert.equal(other.status, 202, other.text);
    });

    test('Cinder refuses the volume at the node: ERROR with Nova’s build fault, nothing left behind', async () => {
      const quota = await cloud.request(
        'PUT',
        `/volume/v3/${cloud.projects.admin}/os-quota-sets/${cloud.projects.member}`,
        {
          as: 'admin',
          body: { quota_set: { gigabytes: 1 } },
        },
      );
      assert.equal(quota.status, 200, quota.text);
      const before = (await h.vol('GET', '/volumes')).body.volumes.length;
      const res = await h.boot([
        { source_type: 'image', destination_type: 'volume', uuid: h.image, volume_size: 5, boot_index: 0 },
      ]);
      assert.equal(res.status, 202, res.text);
      await cloud.drain();
      const show = await cloud.server(res.body.server.id, 'admin', '2.67');
      assert.equal(show.body.server.status, 'ERROR');
      assert.ok(
        show.body.server.fault.message.startsWith(`Build of instance ${res.body.server.id} aborted: `),
        show.body.server.fault.message,
      );
      assert.equal((await h.vol('GET', '/volumes')).body.volumes.length, before);
      await cloud.request('DELETE', `/volume/v3/${cloud.projects.admin}/os-quota-sets/${cloud.projects.member}`, {
        as: 'admin',
      });
    });

    test('a volume that ends in error: Nova’s VolumeNotCreated fault, the delete_on_termination volume cleaned up', async () => {
      // The image's data cannot be read (a directory where its file should be): the volume goes to error.
      const path = imageDataPath(cloud.stack.deps.config.data, h.image);
      mkdirSync(path, { recursive: true });
      try {
        const res = await h.boot([
          {
            source_type: 'image',
            destination_type: 'volume',
            uuid: h.image,
            volume_size: 1,
            boot_index: 0,
            delete_on_termination: true,
          },
        ]);
        assert.equal(res.status, 202, res.text);
        await cloud.drain();
        const id = res.body.server.id as string;
        const show = await cloud.server(id, 'admin', '2.67');
        assert.equal(show.body.server.status, 'ERROR');
        assert.match(
          show.body.server.fault.message,
          new RegExp(
            `^Build of instance ${id} aborted: Volume [0-9a-f-]{36} did not finish being created even after we waited 0 seconds or 1 attempts. And its status is error.$`,
          ),
        );
        assert.deepEqual(show.body.server['os-extended-volumes:volumes_attached'], []);
        const vols = (await h.vol('GET', '/volumes/detail')).body.volumes as Array<{ name: string }>;
        assert.ok(!vols.some((v) => v.name === `${id}-image-vol`));
      } finally {
        rmdirSync(path);
      }
    });
  });
}

describe('boot from volume on the process driver', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start({ driver: 'process' });
  });
  after(async () => {
    await cloud.close();
  });

  test('the guest’s disk is the root volume’s file; data volumes are linked beside it', async () => {
    const h = await helpers(cloud);
    const data = await h.makeVolume();
    const res = await h.boot([
      { source_type: 'image', destination_type: 'volume', uuid: h.image, volume_size: 1, boot_index: 0 },
      { source_type: 'volume', destination_type: 'volume', uuid: data },
    ]);
    assert.equal(res.status, 202, res.text);
    await cloud.drain();
    const id = res.body.server.id as string;
    const show = await cloud.server(id, 'member', '2.67');
    assert.equal(show.body.server.status, 'ACTIVE', show.text);
    const root = show.body.server['os-extended-volumes:volumes_attached'][0].id as string;
    const dataDir = cloud.stack.deps.config.data;
    const dir = join(dataDir, 'compute-test', 'instances', id);
    assert.ok(lstatSync(join(dir, 'disk')).isSymbolicLink());
    assert.equal(realpathSync(join(dir, 'disk')), realpathSync(volumePath(dataDir, root)));
    assert.equal(realpathSync(join(dir, 'volumes', data)), realpathSync(volumePath(dataDir, data)));
    assert.equal(lstatSync(volumePath(dataDir, root)).size, 1024 ** 3);
    // A rebuild boots the same volume again (not a fresh local disk).
    const rebuild = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { rebuild: { imageRef: h.image } },
    });
    assert.equal(rebuild.status, 202, rebuild.text);
    await cloud.drain();
    assert.equal((await cloud.server(id, 'member')).body.server.status, 'ACTIVE');
    assert.equal(realpathSync(join(dir, 'disk')), realpathSync(volumePath(dataDir, root)));
    const del = await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    assert.equal(del.status, 204);
    await cloud.drain();
    // The destroy removes the links, never the volumes' files.
    assert.ok(lstatSync(volumePath(dataDir, root)).isFile());
  });
});
