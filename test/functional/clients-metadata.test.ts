/**
 * Server metadata and tags through the stock openstack CLI (python-openstackclient): server
 * create --property/--tag (2.52), server set/unset --property and --tag (2.26), server show,
 * server list --tags/--not-tags, and the refusals a user sees (another project, a bad tag, a
 * missing key), against a spawned `stratus serve`.
 *
 * Skipped when /usr/bin/openstack is absent, except under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT, OPENSTACK_SKIP as skip, useOpenstackCli, TEST_TIMEOUT_MS } from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-md' });

// ---------------------------------------------------------------------------------------------
// The tests run in order and share md1.

let md1 = '';
const v226 = ['--os-compute-api-version', '2.26'];

test('server create --property --tag (2.52) shows both', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const created = await cli.json('stratus-demo', [
    '--os-compute-api-version',
    '2.52',
    'server',
    'create',
    ...BOOT,
    '--property',
    'k1=v1',
    '--property',
    'k2=v2',
    '--tag',
    't2',
    '--tag',
    't1',
    '--wait',
    'md1',
  ]);
  md1 = created.id;
  assert.equal(created.status, 'ACTIVE', JSON.stringify(created));
  assert.deepEqual(created.properties, { k1: 'v1', k2: 'v2' });
  assert.deepEqual(created.tags, ['t1', 't2']);
});

test('server set/unset --property and --tag, then server show', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await cli.ok('stratus-demo', ['server', 'set', '--property', 'k3=v3', '--property', 'k2=changed', md1]);
  await cli.ok('stratus-demo', ['server', 'unset', '--property', 'k1', md1]);
  await cli.ok('stratus-demo', [...v226, 'server', 'set', '--tag', 't3', md1]);
  await cli.ok('stratus-demo', [...v226, 'server', 'unset', '--tag', 't1', md1]);
  const shown = await cli.json('stratus-demo', [...v226, 'server', 'show', md1]);
  assert.deepEqual(shown.properties, { k2: 'changed', k3: 'v3' });
  assert.deepEqual(shown.tags, ['t2', 't3']);
});

test('server list --tags and --not-tags (2.26)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const names = async (args: string[]) =>
    (await cli.json<Array<{ Name: string }>>('stratus-demo', [...v226, 'server', 'list', ...args, '-c', 'Name'])).map(
      (s) => s.Name,
    );
  assert.deepEqual(await names(['--tags', 't2,t3']), ['md1']);
  assert.deepEqual(await names(['--tags', 't1']), []);
  assert.deepEqual(await names(['--not-tags', 't2']), []);
  assert.deepEqual(await names(['--not-tags', 'zz']), ['md1']);
});

test('refusals: a bad tag (400), a missing key (404), another project (not found)', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const bad = await cli.osc('stratus-demo', [...v226, 'server', 'set', '--tag', 'a,b', md1]);
  assert.notEqual(bad.code, 0, cli.describe(bad));
  assert.match(
    bad.stderr,
    /Tag 'a,b' is invalid\. It must be a non empty string without characters '\/' and ','.*\(HTTP 400\)/,
  );
  const missing = await cli.osc('stratus-demo', ['server', 'unset', '--property', 'nope', md1]);
  assert.notEqual(missing.code, 0, cli.describe(missing));
  assert.match(missing.stderr, /Metadata item was not found \(HTTP 404\)/);
  const other = await cli.osc('stratus-alt', ['server', 'set', '--property', 'a=b', md1]);
  assert.notEqual(other.code, 0, cli.describe(other));
  assert.match(other.stderr, /No server with a name or ID of/);
  const shown = await cli.json('stratus-demo', [...v226, 'server', 'show', md1]);
  assert.deepEqual(shown.properties, { k2: 'changed', k3: 'v3' });
  assert.deepEqual(shown.tags, ['t2', 't3']);
});

test('server delete (demo)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', md1]);
});
