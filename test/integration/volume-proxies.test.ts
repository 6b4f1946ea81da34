// The 2.1 block storage proxies, os-volumes and os-snapshots (nova/api/openstack/compute/volumes.py,
// snapshots.py): Nova's views and faults over Cinder, the 2.35/2.36 edge, the personas.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type HttpResult, type Persona } from '../../src/testing/kit.js';
import { settleVolumeWork } from '../../src/services/volume/volume-work.js';

function assertFault(res: HttpResult, status: number, message: string) {
  const key = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound' }[status] as string;
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { [key]: { code: status, message } });
}

describe('os-volumes and os-snapshots proxies', () => {
  let cloud: TestCloud;
  const nova = (method: string, path: string, opts: { as?: Persona; body?: unknown; mv?: string } = {}) =>
    cloud.request(method, `/v2.1${path}`, { as: opts.as ?? 'member', body: opts.body, mv: opts.mv ?? '2.35' });
  const settle = () => settleVolumeWork(cloud.stack.deps);
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud.close();
  });

  test('create, show, list, detail, delete a volume in Nova’s view', async () => {
    const res = await nova('POST', '/os-volumes', {
      body: { volume: { size: '1', display_name: 'pv', display_description: 'd', metadata: { a: 'b' } } },
    });
    assert.equal(res.status, 200, res.text);
    const v = res.body.volume;
    assert.match(res.headers.get('location') ?? '', new RegExp(`/v2\\.1/os-volumes/${v.id}$`));
    assert.deepEqual(Object.keys(v).sort(), [
      'attachments',
      'availabilityZone',
      'createdAt',
      'displayDescription',
      'displayName',
      'id',
      'metadata',
      'size',
      'snapshotId',
      'status',
      'volumeType',
    ]);
    assert.equal(v.displayName, 'pv');
    assert.equal(v.size, 1);
    assert.deepEqual(v.attachments, [{}]);
    assert.deepEqual(v.metadata, { a: 'b' });
    assert.equal(v.availabilityZone, 'nova');
    await settle();
    const show = await nova('GET', `/os-volumes/${v.id}`);
    assert.equal(show.status, 200);
    assert.equal(show.body.volume.status, 'available');
    const list = await nova('GET', '/os-volumes');
    assert.ok(list.body.volumes.some((x: { id: string }) => x.id === v.id));
    const detail = await nova('GET', '/os-volumes/detail?limit=1&offset=0');
    assert.equal(detail.body.volumes.length, 1);
    const reader = await nova('GET', `/os-volumes/${v.id}`, { as: 'reader' });
    assert.equal(reader.status, 200);
    // Another project's volume is not found; Cinder's 404 in Nova's words.
    assertFault(await nova('GET', `/os-volumes/${v.id}`, { as: 'other' }), 404, `Volume ${v.id} could not be found.`);
    assertFault(
      await nova('DELETE', `/os-volumes/${v.id}`, { as: 'other' }),
      404,
      `Volume ${v.id} could not be found.`,
    );
    assertFault(
      await nova('DELETE', `/os-volumes/${v.id}`, { as: 'reader' }),
      403,
      "Policy doesn't allow os_compute_api:os-volumes:delete to be performed.",
    );
    const del = await nova('DELETE', `/os-volumes/${v.id}`);
    assert.equal(del.status, 202);
    assert.equal(del.text, '');
    await settle();
    assertFault(await nova('GET', `/os-volumes/${v.id}`), 404, `Volume ${v.id} could not be found.`);
  });

  test('bad input: Nova’s schema messages, never a 500', async () => {
    const missing = await nova('POST', '/os-volumes', { body: { volume: {} } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.badRequest.message, /'size' is a required property/);
    const extra = await nova('POST', '/os-volumes', { body: { volume: { size: 1, shiny: true } } });
    assert.equal(extra.status, 400);
    assert.match(extra.body.badRequest.message, /'shiny' was unexpected/);
    const typed = await nova('POST', '/os-volumes', { body: { volume: { size: 'big' } } });
    assert.equal(typed.status, 400);
    const zero = await nova('POST', '/os-volumes', { body: { volume: { size: 0 } } });
    assert.equal(zero.status, 400);
    // Tempest's test_create_volume_with_size_zero sends the string.
    assertFault(
      await nova('POST', '/os-volumes', { body: { volume: { size: '0' } } }),
      400,
      'Invalid input received: Invalid input received: Invalid volume size provided for create request: 0 (size argument must be an integer (or string representation of an integer) and greater than zero). (HTTP 400)',
    );
    const badLimit = await nova('GET', '/os-volumes?limit=-1');
    assertFault(badLimit, 400, "Invalid input for field/attribute limit. Value: -1. '-1' does not match '^[0-9]+$'");
    assertFault(
      await nova('POST', '/os-volumes', { body: { volume: { size: 1, snapshot_id: 'nope' } } }),
      404,
      'Snapshot nope could not be found.',
    );
    assertFault(
      await nova('POST', '/os-volumes', { body: { volume: { size: 1, availability_zone: 'mars' } } }),
      400,
      "Invalid input received: Invalid input received: Availability zone 'mars' is invalid. (HTTP 400)",
    );
    assertFault(
      await nova('POST', '/os-volumes', { as: 'reader', body: { volume: { size: 1 } } }),
      403,
      "Policy doesn't allow os_compute_api:os-volumes:create to be performed.",
    );
    assertFault(await nova('GET', '/os-volumes/not-a-uuid'), 404, 'Volume not-a-uuid could not be found.');
    const anon = await cloud.request('GET', '/v2.1/os-volumes');
    assert.equal(anon.status, 401);
    // What Nova's looser schema lets through, Cinder's API refuses; Nova passes its 400 on.
    for (const volume of [
      { size: 1, metadata: { a: { b: 1 } } },
      { size: 1, display_name: 'n'.repeat(300) },
      { size: 1, metadata: { ['k'.repeat(300)]: 'v' } },
      { size: '99999999999999999999999' },
    ]) {
      const res = await nova('POST', '/os-volumes', { body: { volume } });
      assert.equal(res.status, 400, `${JSON.stringify(volume).slice(0, 80)}: ${res.text}`);
      assert.match(
        res.body.badRequest.message,
        /^Invalid input received: Invalid input for field\/attribute .* \(HTTP 400\)$/,
      );
    }
  });

  test('snapshots: create, show, list, detail, delete; force and bad volumes', async () => {
    const v = (await nova('POST', '/os-volumes', { body: { volume: { size: 1 } } })).body.volume;
    await settle();
    const res = await nova('POST', '/os-snapshots', {
      body: { snapshot: { volume_id: v.id, display_name: 'ps', display_description: 'dd', force: 'false' } },
    });
    assert.equal(res.status, 200, res.text);
    const s = res.body.snapshot;
    assert.deepEqual(Object.keys(s).sort(), [
      'createdAt',
      'displayDescription',
      'displayName',
      'id',
      'size',
      'status',
      'volumeId',
    ]);
    assert.equal(s.volumeId, v.id);
    assert.equal(s.size, 1);
    await settle();
    assert.equal((await nova('GET', `/os-snapshots/${s.id}`)).body.snapshot.status, 'available');
    assert.ok((await nova('GET', '/os-snapshots')).body.snapshots.some((x: { id: string }) => x.id === s.id));
    assert.equal((await nova('GET', '/os-snapshots/detail', { as: 'reader' })).status, 200);
    assertFault(
      await nova('GET', `/os-snapshots/${s.id}`, { as: 'other' }),
      404,
      `Snapshot ${s.id} could not be found.`,
    );
    // Cinder refuses to delete a volume with snapshots: Nova's InvalidInput over its 400.
    const busy = await nova('DELETE', `/os-volumes/${v.id}`);
    assert.equal(busy.status, 400);
    assert.match(busy.body.badRequest.message, /^Invalid input received: Invalid volume: Volume status must be/);
    assertFault(
      await nova('POST', '/os-snapshots', { body: { snapshot: { volume_id: v.id, force: 'perhaps' } } }),
      400,
      "Invalid input for field/attribute force. Value: perhaps. 'perhaps' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']",
    );
    const noVol = await nova('POST', '/os-snapshots', { body: { snapshot: {} } });
    assert.equal(noVol.status, 400);
    assert.match(noVol.body.badRequest.message, /'volume_id' is a required property/);
    const gone = '00000000-0000-4000-8000-000000000001';
    assertFault(
      await nova('POST', '/os-snapshots', { body: { snapshot: { volume_id: gone } } }),
      404,
      `Volume ${gone} could not be found.`,
    );
    assertFault(
      await nova('DELETE', `/os-snapshots/${s.id}`, { as: 'reader' }),
      403,
      "Policy doesn't allow os_compute_api:os-volumes:snapshots:delete to be performed.",
    );
    assert.equal((await nova('DELETE', `/os-snapshots/${s.id}`)).status, 202);
    await settle();
    assertFault(await nova('GET', `/os-snapshots/${s.id}`), 404, `Snapshot ${s.id} could not be found.`);
    assertFault(await nova('DELETE', `/os-snapshots/${s.id}`), 404, `Snapshot ${s.id} could not be found.`);
  });

  test('an attached volume shows its server; 2.36 removes the proxies (404)', async () => {
    const image = (await cloud.request('GET', '/image/v2/images', { as: 'admin' })).body.images[0].id;
    const boot = await nova('POST', '/servers', {
      mv: '2.37',
      body: {
        server: {
          name: 'pv',
          flavorRef: '1',
          networks: 'none',
          block_device_mapping_v2: [
            { source_type: 'image', destination_type: 'volume', uuid: image, volume_size: 1, boot_index: 0 },
          ],
        },
      },
    });
    assert.equal(boot.status, 202, boot.text);
    await cloud.drain();
    const server = await cloud.server(boot.body.server.id, 'member', '2.35');
    const volId = server.body.server['os-extended-volumes:volumes_attached'][0].id;
    const show = await nova('GET', `/os-volumes/${volId}`);
    assert.equal(show.body.volume.status, 'in-use');
    assert.deepEqual(show.body.volume.attachments, [
      { id: volId, volumeId: volId, serverId: boot.body.server.id, device: '/dev/vda' },
    ]);
    for (const [method, path] of [
      ['GET', '/os-volumes'],
      ['GET', '/os-volumes/detail'],
      ['GET', `/os-volumes/${volId}`],
      ['DELETE', `/os-volumes/${volId}`],
      ['GET', '/os-snapshots'],
      ['GET', '/os-snapshots/detail'],
      ['GET', `/os-snapshots/${volId}`],
      ['DELETE', `/os-snapshots/${volId}`],
    ])
      assertFault(await nova(method, path, { mv: '2.36' }), 404, 'The resource could not be found.');
    assertFault(
      await nova('POST', '/os-volumes', { mv: '2.36', body: { volume: { size: 1 } } }),
      404,
      'The resource could not be found.',
    );
    assertFault(
      await nova('POST', '/os-snapshots', { mv: '2.36', body: { snapshot: { volume_id: volId } } }),
      404,
      'The resource could not be found.',
    );
    const put = await nova('PUT', '/os-volumes');
    assert.equal(put.status, 405);
  });
});
