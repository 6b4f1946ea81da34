/**
 * Server create's wider fields through the stock OpenStack client (python-openstackclient from
 * Debian): `openstack server create` with --file (personality), --config-drive True,
 * --user-data, --hint and --min/--max, `server show` of what was stored, and `server list --ip`.
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BOOT,
  OPENSTACK_SKIP as skip,
  TEST_TIMEOUT_MS,
  useOpenstackCli,
  WAIT_TIMEOUT_MS,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-create' });

// ---------------------------------------------------------------------------------------------
// The tests run in order.

let serverId = '';

test('openstack server create --file --config-drive --user-data --hint: ACTIVE, stored', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const motd = join(cli.dataDir, 'motd');
  writeFileSync(motd, 'hello from stratus\n');
  const userData = join(cli.dataDir, 'user-data');
  writeFileSync(userData, '#!/bin/sh\necho hi\n');
  const group = await cli.json('stratus-demo', ['server', 'group', 'create', '--policy', 'anti-affinity', 'c-group']);
  const created = await cli.json('stratus-demo', [
    'server',
    'create',
    ...BOOT,
    '--file',
    `/etc/motd=${motd}`,
    '--config-drive',
    'True',
    '--user-data',
    userData,
    '--hint',
    `group=${group.id}`,
    '--wait',
    'c-files',
  ]);
  assert.equal(created.status, 'ACTIVE', JSON.stringify(created));
  serverId = created.id;
  const shown = await cli.json('stratus-demo', ['server', 'show', serverId]);
  assert.equal(shown.config_drive, 'True');
});

test('openstack server create --file refused at 2.57 (personality removed)', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const f = join(cli.dataDir, 'f');
  writeFileSync(f, 'x');
  const r = await cli.osc('stratus-demo', [
    '--os-compute-api-version',
    '2.57',
    'server',
    'create',
    ...BOOT,
    '--file',
    `/etc/f=${f}`,
    'c-late',
  ]);
  assert.notEqual(r.code, 0, cli.describe(r));
  assert.match(r.stderr, /personality|file/i, cli.describe(r));
});

test('openstack server create --min 2 --max 2: two servers', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await cli.ok('stratus-demo', ['server', 'create', ...BOOT, '--min', '2', '--max', '2', 'c-multi'], WAIT_TIMEOUT_MS);
  const list = await cli.json<Array<Record<string, string>>>('stratus-demo', ['server', 'list', '--name', 'c-multi']);
  assert.equal(list.length, 2, JSON.stringify(list));
});

test('openstack server list --ip: by fixed address', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const shown = await cli.json('stratus-demo', ['server', 'show', serverId]);
  const addresses = JSON.stringify(shown.addresses);
  const ip = /(\d+\.\d+\.\d+\.\d+)/.exec(addresses)?.[1];
  assert.ok(ip, `no address in ${addresses}`);
  const list = await cli.json<Array<Record<string, string>>>('stratus-demo', ['server', 'list', '--ip', `${ip}$`]);
  assert.deepEqual(
    list.map((s) => s.ID),
    [serverId],
  );
  const none = await cli.json<Array<Record<string, string>>>('stratus-demo', ['server', 'list', '--ip', '^203\\.']);
  assert.deepEqual(none, []);
});
