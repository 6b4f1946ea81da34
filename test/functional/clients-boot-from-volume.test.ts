/**
 * Boot from volume through the stock OpenStack client (python-openstackclient from Debian):
 * `openstack volume create --image cirros --size 1 --bootable bv`, `openstack server create
 * --volume bv`, `openstack server create --image cirros --boot-from-volume 1` (the client's
 * image → volume mapping), `server show` (volumes_attached and `image` empty), the volumes
 * in-use, and what the deletes leave: the mapping with delete_on_termination gone, the other
 * volume available.
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FLAVOR,
  IMAGE,
  NETWORK,
  OPENSTACK_SKIP as skip,
  useOpenstackCli,
  TEST_TIMEOUT_MS,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-boot-from-volume' });
const CLOUD = 'stratus-demo';

async function waitFor(id: string, status: string | null) {
  for (let i = 0; i < 100; i++) {
    const r = await cli.osc(CLOUD, ['volume', 'show', '-f', 'json', id]);
    if (status === null && r.code !== 0) return null;
    if (status !== null && r.code === 0) {
      const body = JSON.parse(r.stdout) as Record<string, unknown>;
      if (body.status === status) return body;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`volume ${id} never reached ${status ?? 'deleted'}`);
}

/** `volumes_attached` as the client prints it: a list of {id} (or a string on older clients). */
const attachedIds = (shown: Record<string, unknown>): string => JSON.stringify(shown.volumes_attached ?? '');

let bv = '';
let fromVolume = '';
let fromImage = '';

test('openstack volume create --image --size 1 --bootable, then server create --volume', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await cli.json(CLOUD, ['volume', 'create', '--image', IMAGE, '--size', '1', '--bootable', 'bv']);
  bv = created.id;
  const shown = await waitFor(bv, 'available');
  assert.equal(String(shown?.bootable), 'true');
  const server = await cli.json(CLOUD, [
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--volume',
    bv,
    '--network',
    NETWORK,
    '--wait',
    'bfv1',
  ]);
  fromVolume = server.id;
  assert.equal(server.status, 'ACTIVE', JSON.stringify(server));
  const show = await cli.json(CLOUD, ['server', 'show', fromVolume]);
  assert.ok(attachedIds(show).includes(bv), `volumes_attached: ${attachedIds(show)}`);
  // Nova's view of a volume-backed server has "image": "" (the client prints it as such).
  assert.ok(!String(show.image ?? '').includes(IMAGE), `image: ${JSON.stringify(show.image)}`);
  const vol = await cli.json(CLOUD, ['volume', 'show', bv]);
  assert.equal(vol.status, 'in-use');
});

test('openstack server create --image --boot-from-volume 1: a new root volume, in-use', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const server = await cli.json(CLOUD, [
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--image',
    IMAGE,
    '--boot-from-volume',
    '1',
    '--network',
    NETWORK,
    '--wait',
    'bfv2',
  ]);
  fromImage = server.id;
  assert.equal(server.status, 'ACTIVE', JSON.stringify(server));
  const show = await cli.json(CLOUD, ['server', 'show', fromImage]);
  const list = await cli.json<Array<Record<string, unknown>>>(CLOUD, ['volume', 'list']);
  const root = list.find((v) => v.ID !== bv);
  assert.ok(root, `no new volume in ${JSON.stringify(list)}`);
  assert.equal(root.Status, 'in-use');
  assert.equal(root.Size, 1);
  assert.ok(attachedIds(show).includes(String(root.ID)), `volumes_attached: ${attachedIds(show)}`);
});

let withDot = '';
let dotVolume = '';

test('openstack server create --image --block-device source_type=blank,…,delete_on_termination=true: a data volume', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const server = await cli.json(CLOUD, [
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--image',
    IMAGE,
    '--block-device',
    'source_type=blank,destination_type=volume,volume_size=1,delete_on_termination=true',
    '--network',
    NETWORK,
    '--wait',
    'bfv3',
  ]);
  withDot = server.id;
  assert.equal(server.status, 'ACTIVE', JSON.stringify(server));
  const show = await cli.json(CLOUD, ['--os-compute-api-version', '2.67', 'server', 'show', withDot]);
  const attached = JSON.stringify(show.volumes_attached);
  assert.match(attached, /delete_on_termination/, attached);
  dotVolume = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(attached)?.[0] ?? '';
  assert.ok(dotVolume, attached);
  assert.equal((await cli.json(CLOUD, ['volume', 'show', dotVolume])).status, 'in-use');
});

test('after the deletes: the delete_on_termination volume is gone, the others are available', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const list = await cli.json<Array<Record<string, unknown>>>(CLOUD, ['volume', 'list']);
  const root = String(list.find((v) => v.ID !== bv && v.ID !== dotVolume)?.ID ?? '');
  for (const id of [withDot, fromImage, fromVolume]) await cli.ok(CLOUD, ['server', 'delete', '--wait', id]);
  await waitFor(dotVolume, null);
  // The client's --boot-from-volume sends no delete_on_termination: Nova's default, false.
  await waitFor(root, 'available');
  await waitFor(bv, 'available');
  const after = await cli.json<Array<Record<string, unknown>>>(CLOUD, ['volume', 'list']);
  assert.ok(!after.some((v) => v.ID === dotVolume), JSON.stringify(after));
});
