/**
 * Flavors through the stock openstack CLI (python-openstackclient): `openstack flavor create`
 * (public and --private, --property, --description, --id), `flavor list` (--all, --private,
 * --min-ram, --limit/--marker), `flavor show`, `flavor set/unset --property`, `flavor set
 * --description`, `flavor delete`, and a demo project that sees and boots a private flavor only
 * once admin shares it (through openstacksdk: `flavor set --project` needs Keystone's
 * GET /v3/projects/{id}, which Stratus does not serve).
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLIENT_TIMEOUT_MS,
  IMAGE,
  OPENSTACK_SKIP as skip,
  SDK_SKIP as skipSdk,
  TEST_TIMEOUT_MS,
  useOpenstackCli,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-flavors' });

// ---------------------------------------------------------------------------------------------
// The tests run in order.

let demoProject = '';

/** os-flavor-access add/remove as admin through openstacksdk; the access list it answers. */
async function sdkAccess(op: 'add' | 'remove', flavorId: string, project: string): Promise<void> {
  const script = [
    'import sys, openstack',
    "c = openstack.connect(cloud='stratus-admin')",
    'op, flavor, project = sys.argv[1:4]',
    "getattr(c.compute, 'flavor_%s_tenant_access' % op)(flavor, project)",
    "print(sorted(a['tenant_id'] for a in c.compute.get_flavor_access(flavor)))",
  ].join('\n');
  const r = await cli.python(script, [op, flavorId, project], CLIENT_TIMEOUT_MS);
  assert.equal(r.code, 0, `sdk failed:\n${cli.describe(r)}`);
  assert.equal(r.stdout.trim(), op === 'add' ? `['${project}']` : '[]');
}

test('openstack flavor create: public and private, with properties and a description', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const pub = await cli.json('stratus-admin', [
    '--os-compute-api-version',
    '2.61',
    'flavor',
    'create',
    '--ram',
    '128',
    '--vcpus',
    '1',
    '--disk',
    '1',
    '--swap',
    '16',
    '--property',
    'hw:cpu_policy=shared',
    '--description',
    'a small one',
    'f-pub',
  ]);
  assert.equal(pub.name, 'f-pub');
  assert.match(pub.id, /^[0-9a-f-]{36}$/);
  assert.equal(pub.ram, 128);
  assert.equal(pub.swap, 16);
  assert.equal(pub.description, 'a small one');
  assert.equal(pub['os-flavor-access:is_public'], true);
  const shown = await cli.json('stratus-demo', ['--os-compute-api-version', '2.61', 'flavor', 'show', 'f-pub']);
  assert.deepEqual(shown.properties, { 'hw:cpu_policy': 'shared' });

  const priv = await cli.json('stratus-admin', [
    'flavor',
    'create',
    '--id',
    'f-priv-id',
    '--ram',
    '64',
    '--vcpus',
    '1',
    '--disk',
    '0',
    '--private',
    'f-priv',
  ]);
  assert.equal(priv.id, 'f-priv-id');
  assert.equal(priv['os-flavor-access:is_public'], false);
  const dup = await cli.osc('stratus-admin', [
    'flavor',
    'create',
    '--ram',
    '64',
    '--vcpus',
    '1',
    '--disk',
    '0',
    'f-priv',
  ]);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /Flavor with name f-priv already exists\./);
  const denied = await cli.osc('stratus-demo', [
    'flavor',
    'create',
    '--ram',
    '64',
    '--vcpus',
    '1',
    '--disk',
    '0',
    'f-x',
  ]);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /os_compute_api:os-flavor-manage:create/);
});

test('openstack flavor list: --all, --private, --min-ram, --limit/--marker', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const names = async (cloud: string, args: string[]) =>
    (await cli.json<Array<{ Name: string }>>(cloud, ['flavor', 'list', ...args])).map((f) => f.Name);
  const demo = await names('stratus-demo', []);
  assert.ok(demo.includes('f-pub') && demo.includes('m1.tiny'));
  assert.ok(!demo.includes('f-priv'));
  assert.ok((await names('stratus-admin', ['--all'])).includes('f-priv'));
  assert.deepEqual(await names('stratus-admin', ['--private']), ['f-priv']);
  assert.deepEqual(await names('stratus-demo', ['--min-ram', '8192']), ['m1.large', 'm1.xlarge']);
  const page = await cli.json<Array<{ ID: string }>>('stratus-demo', [
    'flavor',
    'list',
    '--limit',
    '2',
    '--marker',
    '1',
  ]);
  // The page is the two ids after '1' in id order, whatever the generated id of f-pub sorts as.
  const all = (await cli.json<Array<{ ID: string }>>('stratus-demo', ['flavor', 'list'])).map((f) => f.ID).sort();
  assert.deepEqual(
    page.map((f) => f.ID),
    all.filter((id) => id > '1').slice(0, 2),
  );
});

test('flavor access (openstacksdk) shares a private flavor; the demo project sees it and boots with it', {
  skip: skipSdk,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const before = await cli.osc('stratus-demo', ['flavor', 'show', 'f-priv-id']);
  assert.notEqual(before.code, 0);
  assert.match(before.stderr, /f-priv-id/);
  demoProject = (await cli.json('stratus-demo', ['token', 'issue'])).project_id;
  // `openstack flavor set --project` first looks the project up with Keystone's
  // GET /v3/projects/{id}, which Stratus does not serve: the grant goes through openstacksdk.
  await sdkAccess('add', 'f-priv-id', demoProject);
  const shown = await cli.json('stratus-admin', ['flavor', 'show', 'f-priv']);
  assert.match(String(shown.access_project_ids), new RegExp(demoProject), 'flavor show lists the access');
  assert.equal((await cli.json('stratus-demo', ['flavor', 'show', 'f-priv-id'])).name, 'f-priv');
  const server = await cli.json('stratus-demo', [
    'server',
    'create',
    '--flavor',
    'f-priv-id',
    '--image',
    IMAGE,
    '--network',
    'private',
    '--wait',
    'priv-vm',
  ]);
  assert.equal(server.status, 'ACTIVE');
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', 'priv-vm']);
  await sdkAccess('remove', 'f-priv-id', demoProject);
  assert.notEqual((await cli.osc('stratus-demo', ['flavor', 'show', 'f-priv-id'])).code, 0);
});

test('openstack flavor set/unset --property and --description; flavor delete', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await cli.ok('stratus-admin', [
    'flavor',
    'set',
    '--property',
    'hw:mem_page_size=large',
    '--property',
    'a=b',
    'f-pub',
  ]);
  await cli.ok('stratus-admin', ['flavor', 'unset', '--property', 'a', 'f-pub']);
  await cli.ok('stratus-admin', [
    '--os-compute-api-version',
    '2.55',
    'flavor',
    'set',
    '--description',
    'changed',
    'f-pub',
  ]);
  const shown = await cli.json('stratus-admin', ['--os-compute-api-version', '2.61', 'flavor', 'show', 'f-pub']);
  assert.deepEqual(shown.properties, { 'hw:cpu_policy': 'shared', 'hw:mem_page_size': 'large' });
  assert.equal(shown.description, 'changed');
  await cli.ok('stratus-admin', ['flavor', 'delete', 'f-pub', 'f-priv']);
  const names = (await cli.json<Array<{ Name: string }>>('stratus-admin', ['flavor', 'list', '--all'])).map(
    (f) => f.Name,
  );
  assert.ok(!names.includes('f-pub') && !names.includes('f-priv'));
  const gone = await cli.osc('stratus-admin', ['flavor', 'show', 'f-pub']);
  assert.notEqual(gone.code, 0);
});
