// On the process driver an attached volume is visible inside the instance directory
// (`<data>/instances/<server>/volumes/<volume>` → the volume's file), and it is gone after a
// detach and after the server's delete (the volume file itself stays, available).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { TestCloud } from '../../src/testing/kit.js';
import { settleVolumeWork } from '../../src/services/volume/volume-work.js';

describe('volumes on the process driver', () => {
  let cloud: TestCloud;
  const data = () => cloud.stack.deps.config.data;
  const link = (server: string, volume: string) => join(data(), 'compute-test', 'instances', server, 'volumes', volume);
  const status = async (id: string) =>
    (await cloud.request('GET', `/volume/v3/${cloud.projects.member}/volumes/${id}`, { as: 'member' })).body.volume
      .status;
  async function makeVolume(): Promise<string> {
    const res = await cloud.request('POST', `/volume/v3/${cloud.projects.member}/volumes`, {
      as: 'member',
      body: { volume: { size: 1 } },
    });
    await settleVolumeWork(cloud.stack.deps);
    return res.body.volume.id;
  }
  const attach = async (server: string, volumeId: string) => {
    const res = await cloud.request('POST', `/v2.1/servers/${server}/os-volume_attachments`, {
      as: 'member',
      body: { volumeAttachment: { volumeId } },
    });
    assert.equal(res.status, 200, res.text);
    await cloud.drain();
  };

  before(async () => {
    cloud = await TestCloud.start({ driver: 'process' });
  });
  after(async () => {
    await cloud.close();
  });

  test('the link appears on attach, goes on detach and on delete', async () => {
    const id = await cloud.createServer('member');
    const v = await makeVolume();
    await attach(id, v);
    assert.equal(await status(v), 'in-use');
    assert.equal(readlinkSync(link(id, v)), join(data(), 'volumes', v));
    const det = await cloud.request('DELETE', `/v2.1/servers/${id}/os-volume_attachments/${v}`, { as: 'member' });
    assert.equal(det.status, 202);
    await cloud.drain();
    assert.equal(existsSync(link(id, v)), false);
    assert.equal(await status(v), 'available');

    await attach(id, v);
    assert.equal(existsSync(link(id, v)), true);
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await cloud.drain();
    assert.equal(existsSync(join(data(), 'compute-test', 'instances', id)), false);
    assert.equal(await status(v), 'available');
    assert.equal(existsSync(join(data(), 'volumes', v)), true, 'the volume keeps its file');
  });

  test('a rebuild recreates the guest with its attached volume linked again', async () => {
    const id = await cloud.createServer('member');
    const v = await makeVolume();
    await attach(id, v);
    const image = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images[0].id;
    const rebuild = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { rebuild: { imageRef: image } },
    });
    assert.equal(rebuild.status, 202, rebuild.text);
    await cloud.drain();
    assert.equal((await cloud.server(id, 'member')).body.server.status, 'ACTIVE');
    assert.equal(readlinkSync(link(id, v)), join(data(), 'volumes', v));
    assert.equal(await status(v), 'in-use');
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await cloud.drain();
    assert.equal(await status(v), 'available');
  });
});
