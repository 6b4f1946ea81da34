/**
 * Resize through the stock OpenStack client (/usr/bin/openstack) against a spawned Stratus (one
 * node; the demo cloud allows a resize to the same host, as devstack does): resize --wait,
 * confirm, revert, and a delete in VERIFY_RESIZE (docs/delete-server.md B11). Skipped when
 * /usr/bin/openstack is absent, except under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPENSTACK_SKIP as skip, TEST_TIMEOUT_MS, useOpenstackCli } from '../../src/testing/openstack-cli.js';
import { bootServer, waitServerStatus } from '../../src/testing/openstack-servers.js';

const cli = useOpenstackCli({ name: 'clients-resize' });

const boot = (name: string) => bootServer(cli, name);
const waitStatus = (id: string, want: string) => waitServerStatus(cli, 'stratus-demo', id, want);

test('openstack server resize --wait, then resize confirm', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const id = await boot('rz-confirm');
  await cli.ok('stratus-demo', ['server', 'resize', '--flavor', 'm1.small', '--wait', id]);
  const s = await waitStatus(id, 'VERIFY_RESIZE');
  assert.match(JSON.stringify(s.flavor), /m1\.small/);
  await cli.ok('stratus-demo', ['server', 'resize', 'confirm', id]);
  const done = await waitStatus(id, 'ACTIVE');
  assert.match(JSON.stringify(done.flavor), /m1\.small/);
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', id]);
});

test('openstack server resize revert: back to the old flavor', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const id = await boot('rz-revert');
  await cli.ok('stratus-demo', ['server', 'resize', '--flavor', 'm1.small', '--wait', id]);
  await waitStatus(id, 'VERIFY_RESIZE');
  await cli.ok('stratus-demo', ['server', 'resize', 'revert', id]);
  const back = await waitStatus(id, 'ACTIVE');
  assert.match(JSON.stringify(back.flavor), /m1\.tiny/);
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', id]);
});

test('openstack server resize to the same flavor: the client reports Nova’s 400', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const id = await boot('rz-same');
  const r = await cli.osc('stratus-demo', ['server', 'resize', '--flavor', 'm1.tiny', id]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /When resizing, instances must change flavor!/);
  assert.match(r.stderr, /HTTP 400/);
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', id]);
});

test('openstack server delete in VERIFY_RESIZE: gone, with its port', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const id = await boot('rz-delete');
  await cli.ok('stratus-demo', ['server', 'resize', '--flavor', 'm1.small', '--wait', id]);
  await waitStatus(id, 'VERIFY_RESIZE');
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', id]);
  const r = await cli.osc('stratus-demo', ['server', 'show', id, '-f', 'json']);
  assert.notEqual(r.code, 0, cli.describe(r));
  const ports = await cli.json<unknown[]>('stratus-demo', ['port', 'list', '--device-id', id]);
  assert.deepEqual(ports, []);
});
