/**
 * Volumes on servers through the stock OpenStack client (python-openstackclient from Debian):
 * `openstack server add volume` (with --enable-delete-on-termination at 2.79), `server volume
 * list`, `server remove volume`, then `server delete` and `volume show`: the kept volume is
 * available, the delete_on_termination one is gone. The attach and detach are asynchronous, as
 * in Nova: the tests wait for the volume's status the way a user would.
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT, OPENSTACK_SKIP as skip, useOpenstackCli, TEST_TIMEOUT_MS } from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-volume-attach' });
const CLOUD = 'stratus-demo';

async function waitFor(id: string, status: string | null) {
  for (let i = 0; i < 150; i++) {
    const r = await cli.osc(CLOUD, ['volume', 'show', '-f', 'json', id]);
    if (status === null && r.code !== 0) return null;
    if (status !== null && r.code === 0 && (JSON.parse(r.stdout) as { status: string }).status === status) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`volume ${id} never reached ${status ?? 'deleted'}`);
}
async function newVolume(name: string): Promise<string> {
  const v = await cli.json(CLOUD, ['volume', 'create', '--size', '1', name]);
  await waitFor(v.id, 'available');
  return v.id as string;
}

test('server add volume, server volume list, server remove volume, server delete', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const server = await cli.json(CLOUD, ['server', 'create', ...BOOT, '--wait', 'va1']);
  assert.equal(server.status, 'ACTIVE');
  const keep = await newVolume('keep');
  const dot = await newVolume('dot');

  const added = await cli.json(CLOUD, ['server', 'add', 'volume', server.id, keep]);
  assert.equal(added.ID ?? added.id ?? added['Volume ID'] ?? keep, keep);
  await waitFor(keep, 'in-use');
  await cli.ok(CLOUD, [
    '--os-compute-api-version',
    '2.79',
    'server',
    'add',
    'volume',
    '--enable-delete-on-termination',
    server.id,
    dot,
  ]);
  await waitFor(dot, 'in-use');

  const list = await cli.json<Array<Record<string, unknown>>>(CLOUD, [
    '--os-compute-api-version',
    '2.79',
    'server',
    'volume',
    'list',
    server.id,
  ]);
  const byVolume = new Map(list.map((a) => [a['Volume ID'], a]));
  assert.deepEqual([...byVolume.keys()].sort(), [keep, dot].sort(), JSON.stringify(list));
  assert.equal(byVolume.get(keep)?.Device, '/dev/vdb');
  // The column exists only in newer clients (2.79's delete_on_termination).
  const dotRow = byVolume.get(dot) ?? {};
  const dotKey = Object.keys(dotRow).find((k) => /delete/i.test(k));
  if (dotKey) assert.equal(dotRow[dotKey], true, JSON.stringify(dotRow));

  const shown = await cli.json(CLOUD, ['server', 'show', server.id]);
  assert.match(JSON.stringify(shown.volumes_attached), new RegExp(keep));

  await cli.ok(CLOUD, ['server', 'remove', 'volume', server.id, keep]);
  await waitFor(keep, 'available');
  await cli.ok(CLOUD, ['server', 'add', 'volume', server.id, keep]);
  await waitFor(keep, 'in-use');

  await cli.ok(CLOUD, ['server', 'delete', '--wait', server.id]);
  await waitFor(keep, 'available');
  await waitFor(dot, null);
  const vol = await cli.json(CLOUD, ['volume', 'show', keep]);
  assert.equal(vol.status, 'available');
  assert.deepEqual(vol.attachments, []);
});
