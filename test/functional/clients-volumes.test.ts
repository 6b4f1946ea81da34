/**
 * Cinder v3 through the stock OpenStack client (python-openstackclient from Debian), which finds
 * the service as `volumev3`/`block-storage` in the catalog: `openstack volume create` (blank and
 * from the cirros image: bootable), list, show, set --name, snapshot create/list/delete, delete,
 * and the volume part of `openstack quota show`. Volume work is asynchronous, as in Cinder: the
 * tests wait for `available` (or for the volume to be gone) the way a user would.
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE, OPENSTACK_SKIP as skip, useOpenstackCli, TEST_TIMEOUT_MS } from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-volumes' });
const CLOUD = 'stratus-demo';

async function waitFor(id: string, status: string | null, kind: 'volume' | 'volume snapshot' = 'volume') {
  for (let i = 0; i < 100; i++) {
    const r = await cli.osc(CLOUD, [...kind.split(' '), 'show', '-f', 'json', id]);
    if (status === null && r.code !== 0) return null;
    if (status !== null && r.code === 0) {
      const body = JSON.parse(r.stdout) as Record<string, unknown>;
      if (body.status === status) return body;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`${kind} ${id} never reached ${status ?? 'deleted'}`);
}

let volumeId = '';

test('openstack volume create --size 1, list, show, set --name', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const created = await cli.json(CLOUD, ['volume', 'create', '--size', '1', 'v1']);
  assert.equal(created.name, 'v1');
  assert.equal(created.size, 1);
  volumeId = created.id;
  const shown = await waitFor(volumeId, 'available');
  assert.equal(shown?.type, '__DEFAULT__');
  assert.ok(existsSync(join(cli.dataDir, 'volumes', volumeId)), 'the sparse file is there');
  const list = await cli.json<Array<Record<string, unknown>>>(CLOUD, ['volume', 'list']);
  assert.deepEqual(
    list.map((v) => [v.ID, v.Name, v.Status, v.Size]),
    [[volumeId, 'v1', 'available', 1]],
  );
  await cli.ok(CLOUD, ['volume', 'set', '--name', 'v1b', volumeId]);
  assert.equal((await cli.json(CLOUD, ['volume', 'show', volumeId])).name, 'v1b');
});

test('openstack volume snapshot create, list, delete', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const snap = await cli.json(CLOUD, ['volume', 'snapshot', 'create', '--volume', volumeId, 's1']);
  await waitFor(snap.id, 'available', 'volume snapshot');
  const list = await cli.json<Array<Record<string, unknown>>>(CLOUD, ['volume', 'snapshot', 'list']);
  assert.deepEqual(
    list.map((s) => [s.ID, s.Name, s.Status]),
    [[snap.id, 's1', 'available']],
  );
  // A volume with snapshots cannot be deleted (Cinder's 400).
  const refused = await cli.osc(CLOUD, ['volume', 'delete', volumeId]);
  assert.notEqual(refused.code, 0);
  await cli.ok(CLOUD, ['volume', 'snapshot', 'delete', snap.id]);
  await waitFor(snap.id, null, 'volume snapshot');
});

test('openstack volume delete: the volume and its file go', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await cli.ok(CLOUD, ['volume', 'delete', volumeId]);
  await waitFor(volumeId, null);
  assert.ok(!existsSync(join(cli.dataDir, 'volumes', volumeId)));
});

test('openstack volume create --image: bootable, with the image metadata', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await cli.json(CLOUD, ['volume', 'create', '--size', '1', '--image', IMAGE, 'boot']);
  const shown = (await waitFor(created.id, 'available')) as Record<string, unknown>;
  assert.equal(shown.bootable, 'true');
  assert.equal((shown.volume_image_metadata as Record<string, string>).image_name, IMAGE);
  await cli.ok(CLOUD, ['volume', 'delete', created.id]);
  await waitFor(created.id, null);
});

test('openstack quota show: the volume part', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const q = await cli.json(CLOUD, ['quota', 'show']);
  assert.equal(q.volumes, 10);
  assert.equal(q.gigabytes, 1000);
  assert.equal(q.snapshots, 10);
});
