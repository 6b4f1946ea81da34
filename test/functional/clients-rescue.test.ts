/**
 * Rescue, changePassword, os-server-password and diagnostics through the stock OpenStack
 * clients (python-openstackclient and openstacksdk from Debian): `openstack server rescue`
 * (--image, --password) and `unrescue`, `openstack server set --password` (this client takes
 * it on the command line, no tty needed) and `--no-password` (os-server-password DELETE),
 * `openstack server show --diagnostics` as admin, the SDK's get_server_password, and a delete
 * of a RESCUED server: gone from the list, its port gone.
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BOOT,
  IMAGE,
  OPENSTACK_SKIP as skip,
  useOpenstackCli,
  SDK_SKIP as skipSdk,
  TEST_TIMEOUT_MS,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-rescue' });

async function waitStatus(id: string, status: string): Promise<Record<string, any>> {
  const end = Date.now() + 120_000;
  for (;;) {
    const s = await cli.json<Record<string, any>>('stratus-demo', ['server', 'show', id]);
    if (s.status === status) return s;
    assert.ok(Date.now() < end, `server ${id} never reached ${status}: ${JSON.stringify(s)}`);
    await sleep(250);
  }
}

let id = '';

test('openstack server rescue --image --password, then unrescue', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const created = await cli.json('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'r1']);
  id = created.id;
  await cli.ok('stratus-demo', ['server', 'rescue', '--image', IMAGE, '--password', 'Resc-ue1', id]);
  const rescued = await waitStatus(id, 'RESCUE');
  assert.equal(rescued['OS-EXT-STS:vm_state'], 'rescued');
  // A second rescue is Nova's 409.
  const again = await cli.osc('stratus-demo', ['server', 'rescue', id]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /Cannot 'rescue' instance .* while it is in vm_state rescued \(HTTP 409\)/);
  await cli.ok('stratus-demo', ['server', 'unrescue', id]);
  await waitStatus(id, 'ACTIVE');
});

test('openstack server set --password; --no-password clears the posted one', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await cli.ok('stratus-demo', ['server', 'set', '--password', 'N3w-pass', id]);
  const s = await waitStatus(id, 'ACTIVE');
  assert.equal(s['OS-EXT-STS:task_state'], null);
  await cli.ok('stratus-demo', ['server', 'set', '--no-password', id]);
  // Another project's server is not found (404).
  const other = await cli.osc('stratus-alt', ['server', 'set', '--password', 'x', id]);
  assert.notEqual(other.code, 0);
});

test('openstacksdk: get_server_password is "" (no metadata service), change_server_password', {
  skip: skipSdk,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const script = `
import json, sys, openstack
conn = openstack.connect(cloud='stratus-demo')
s = conn.compute.get_server(sys.argv[1])
conn.compute.change_server_password(s, 'sdk-Pass1')
print(json.dumps({'password': conn.compute.get_server_password(s)}))
`;
  const r = await cli.python(script, [id]);
  assert.equal(r.code, 0, cli.describe(r));
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { password: '' });
});

test('openstack server show --diagnostics (admin); refused to the member', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const d = await cli.json<Record<string, any>>('stratus-admin', ['server', 'show', '--diagnostics', id]);
  assert.ok(d && typeof d === 'object', JSON.stringify(d));
  const member = await cli.osc('stratus-demo', ['server', 'show', '--diagnostics', id]);
  assert.match(member.stdout + member.stderr, /os_compute_api:os-server-diagnostics|HTTP 403/);
});

test('delete of a RESCUED server: gone, and its port too', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await cli.ok('stratus-demo', ['server', 'rescue', id]);
  await waitStatus(id, 'RESCUE');
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', id]);
  const list = await cli.json<Array<Record<string, any>>>('stratus-demo', ['server', 'list']);
  assert.ok(!list.some((s) => s.ID === id), JSON.stringify(list));
  const ports = await cli.json<unknown[]>('stratus-demo', ['port', 'list', '--device-id', id]);
  assert.deepEqual(ports, []);
});
