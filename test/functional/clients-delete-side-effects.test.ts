/**
 * Issue 13's whole story through the stock OpenStack client (Debian's python-openstackclient):
 * create a volume, boot a server from it and mark it delete_on_termination (2.85), attach a second volume,
 * add a floating IP and a security group, delete the server — then the second volume is
 * available, the first gone, and the floating IP free (associated again at once to another
 * server).
 *
 * Skipped when /usr/bin/openstack is absent, except under CI, where that is a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOT,
  FLAVOR,
  IMAGE,
  NETWORK,
  OPENSTACK_SKIP as skip,
  useOpenstackCli,
  TEST_TIMEOUT_MS,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-delete-side-effects' });
const CLOUD = 'stratus-demo';

/** Polls `volume show` until its status is `status` (null: until the volume is gone). */
async function volumeReaches(id: string, status: string | null): Promise<Record<string, unknown> | null> {
  let last = '';
  for (let i = 0; i < 150; i++) {
    const r = await cli.osc(CLOUD, ['volume', 'show', '-f', 'json', id]);
    if (status === null && r.code !== 0) return null;
    if (r.code === 0) {
      const body = JSON.parse(r.stdout) as Record<string, unknown>;
      last = String(body.status);
      if (body.status === status) return body;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`volume ${id} never reached ${status ?? 'deleted'} (last: ${last})`);
}

test('boot from a volume with delete_on_termination, attach another, floating IP and group; delete: one volume gone, one available, the IP free', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const root = (await cli.json(CLOUD, ['volume', 'create', '--image', IMAGE, '--size', '1', '--bootable', 'se-root']))
    .id;
  await volumeReaches(root, 'available');
  const data = (await cli.json(CLOUD, ['volume', 'create', '--size', '1', 'se-data'])).id;
  await volumeReaches(data, 'available');
  const group = (await cli.json(CLOUD, ['security', 'group', 'create', 'se-web'])).id;

  const server = await cli.json(CLOUD, [
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--volume',
    root,
    '--network',
    NETWORK,
    '--wait',
    'se-server',
  ]);
  assert.equal(server.status, 'ACTIVE', JSON.stringify(server));
  const sid = server.id as string;
  // the client's --volume maps the root volume without delete_on_termination; 2.85 sets it
  const dot = await cli.osc(CLOUD, [
    '--os-compute-api-version',
    '2.85',
    'server',
    'volume',
    'update',
    '--delete-on-termination',
    sid,
    root,
  ]);
  assert.equal(dot.code, 0, dot.stderr);

  const attach = await cli.osc(CLOUD, ['server', 'add', 'volume', sid, data]);
  assert.equal(attach.code, 0, attach.stderr);
  await volumeReaches(data, 'in-use');
  assert.equal((await volumeReaches(root, 'in-use'))?.status, 'in-use');

  const fip = await cli.json(CLOUD, ['floating', 'ip', 'create', 'public']);
  const address = fip.floating_ip_address as string;
  const add = await cli.osc(CLOUD, ['server', 'add', 'floating', 'ip', sid, address]);
  assert.equal(add.code, 0, add.stderr);
  const sg = await cli.osc(CLOUD, ['server', 'add', 'security', 'group', sid, 'se-web']);
  assert.equal(sg.code, 0, sg.stderr);
  const shown = await cli.json(CLOUD, ['server', 'show', sid]);
  assert.match(JSON.stringify(shown.addresses), new RegExp(address.replace(/\./g, '\\.')));
  assert.match(JSON.stringify(shown.security_groups), /se-web/);
  assert.equal((await cli.json(CLOUD, ['floating', 'ip', 'show', fip.id])).status, 'ACTIVE');

  const del = await cli.osc(CLOUD, ['server', 'delete', '--wait', sid]);
  assert.equal(del.code, 0, del.stderr);

  // the boot volume had delete_on_termination: gone; the attached one is available again
  assert.equal(await volumeReaches(root, null), null);
  assert.equal((await volumeReaches(data, 'available'))?.status, 'available');
  // the floating IP is kept, free (no port), and associates with the next server at once
  const freed = await cli.json(CLOUD, ['floating', 'ip', 'show', fip.id]);
  assert.deepEqual([freed.port_id ?? null, freed.fixed_ip_address ?? null, freed.status], [null, null, 'DOWN']);
  const next = await cli.json(CLOUD, ['server', 'create', ...BOOT, '--wait', 'se-next']);
  const again = await cli.osc(CLOUD, ['server', 'add', 'floating', 'ip', next.id, address]);
  assert.equal(again.code, 0, again.stderr);
  // the group is no longer in use by a port of the deleted server: it can go once the next server leaves
  for (const args of [
    ['server', 'delete', '--wait', next.id],
    ['floating', 'ip', 'delete', fip.id],
    ['security', 'group', 'delete', group],
    ['volume', 'delete', data],
  ]) {
    const r = await cli.osc(CLOUD, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
});
