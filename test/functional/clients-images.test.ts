/**
 * The image-making server actions with the stock OpenStack client (/usr/bin/openstack) against
 * a spawned Stratus: rebuild, server image create and image save (the snapshot's data), shelve
 * (offloaded at once: shelved_offload_time 0) and unshelve, and the delete of a
 * SHELVED_OFFLOADED server, after which its `<name>-shelved` image is gone.
 * Skipped when /usr/bin/openstack is absent, except under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BOOT,
  IMAGE,
  OPENSTACK_SKIP as skip,
  useOpenstackCli,
  TEST_TIMEOUT_MS,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-images' });
const opts = { skip, timeout: TEST_TIMEOUT_MS };

async function waitStatus(id: string, status: string): Promise<Record<string, any>> {
  for (let i = 0; i < 300; i++) {
    const s = await cli.json('stratus-demo', ['server', 'show', id]);
    if (s.status === status && !s['OS-EXT-STS:task_state']) return s;
    await sleep(200);
  }
  assert.fail(`server ${id} never reached ${status}`);
}

const imageNames = async () =>
  (await cli.json<Array<{ Name: string }>>('stratus-admin', ['image', 'list'])).map((i) => i.Name);

let id: string;

test('server rebuild --image --wait keeps the id and comes back ACTIVE', opts, async () => {
  const created = await cli.json('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'img-s1']);
  id = created.id;
  // --wait prints "Complete" before the view, so the output is read as text.
  const out = await cli.ok('stratus-demo', ['server', 'rebuild', '--image', IMAGE, '--wait', id]);
  assert.ok(out.includes(id), out);
  const shown = await waitStatus(id, 'ACTIVE');
  assert.equal(shown.id, id);
});

test('server image create --wait makes an active snapshot; image save downloads its data', opts, async () => {
  const img = await cli.json('stratus-demo', ['server', 'image', 'create', '--name', 'img-s1-snap', '--wait', id]);
  assert.equal(img.name, 'img-s1-snap');
  const shown = await cli.json('stratus-demo', ['image', 'show', 'img-s1-snap']);
  assert.equal(shown.status, 'active');
  assert.equal(shown.properties?.image_type ?? shown.image_type, 'snapshot');
  const file = join(cli.dataDir, 'snap.raw');
  await cli.ok('stratus-demo', ['image', 'save', '--file', file, 'img-s1-snap']);
  const data = readFileSync(file);
  assert.ok(data.length > 0);
  assert.equal(createHash('md5').update(data).digest('hex'), shown.checksum);
});

test('server shelve offloads at once, unshelve brings it back and deletes the -shelved image', opts, async () => {
  await cli.ok('stratus-demo', ['server', 'shelve', id]);
  await waitStatus(id, 'SHELVED_OFFLOADED');
  assert.ok((await imageNames()).includes('img-s1-shelved'));
  await cli.ok('stratus-demo', ['server', 'unshelve', id]);
  await waitStatus(id, 'ACTIVE');
  assert.ok(!(await imageNames()).includes('img-s1-shelved'));
});

test('server delete of a SHELVED_OFFLOADED server deletes its -shelved image', opts, async () => {
  await cli.ok('stratus-demo', ['server', 'shelve', id]);
  await waitStatus(id, 'SHELVED_OFFLOADED');
  assert.ok((await imageNames()).includes('img-s1-shelved'));
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', id]);
  const list = await cli.json<Array<{ ID: string }>>('stratus-demo', ['server', 'list']);
  assert.ok(!list.some((s) => s.ID === id));
  assert.ok(!(await imageNames()).includes('img-s1-shelved'));
});
