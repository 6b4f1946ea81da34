/**
 * Cold and live migration through the stock OpenStack client (/usr/bin/openstack) against a
 * spawned Stratus with two in-process compute agents: `server migrate --wait` then
 * `server resize confirm`, `server migrate --live-migration`, `server migration list`. Skipped
 * when /usr/bin/openstack is absent, except under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPENSTACK_SKIP as skip, TEST_TIMEOUT_MS, useOpenstackCli } from '../../src/testing/openstack-cli.js';
import { bootServer, serverMigrationList, showServer, waitServerStatus } from '../../src/testing/openstack-servers.js';

const cli = useOpenstackCli({ name: 'clients-migrate', args: ['--agents', '2'] });

const boot = (name: string) => bootServer(cli, name);
const show = (id: string) => showServer(cli, 'stratus-admin', id);
const waitStatus = (id: string, want: string) => waitServerStatus(cli, 'stratus-admin', id, want);

test('openstack server migrate --wait, then resize confirm: on the other node', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const id = await boot('mig-cold');
  const src = (await show(id))['OS-EXT-SRV-ATTR:host'];
  await cli.ok('stratus-admin', ['server', 'migrate', '--wait', id]);
  await waitStatus(id, 'VERIFY_RESIZE');
  await cli.ok('stratus-admin', ['server', 'resize', 'confirm', id]);
  const done = await waitStatus(id, 'ACTIVE');
  assert.notEqual(done['OS-EXT-SRV-ATTR:host'], src);
  const list = await serverMigrationList(cli, id);
  assert.equal(list.length, 1, JSON.stringify(list));
  assert.equal(list[0].Status, 'confirmed');
  assert.equal(list[0].Type, 'migration');
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', id]);
});

test('openstack server migrate --live-migration: ACTIVE on the other node, no confirm', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const id = await boot('mig-live');
  const src = (await show(id))['OS-EXT-SRV-ATTR:host'];
  await cli.ok('stratus-admin', [
    '--os-compute-api-version',
    '2.30',
    'server',
    'migrate',
    '--live-migration',
    '--wait',
    id,
  ]);
  let s = await show(id);
  for (let i = 0; i < 60 && (s.status !== 'ACTIVE' || s['OS-EXT-SRV-ATTR:host'] === src); i++) {
    await new Promise((r) => setTimeout(r, 500));
    s = await show(id);
  }
  assert.equal(s.status, 'ACTIVE');
  assert.notEqual(s['OS-EXT-SRV-ATTR:host'], src);
  const list = await serverMigrationList(cli, id, ['--type', 'live-migration']);
  assert.equal(list[0].Status, 'completed', JSON.stringify(list));
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', id]);
});
