/**
 * Functional test of availability zones and host aggregates with the stock openstack CLI
 * (/usr/bin/openstack), against `stratus serve --zone az-cli --name cli-node`: `availability zone
 * list` (compute zones; Cinder's `nova` through its os-availability-zone; the network zone through
 * Neutron's availability_zone extension), `--long` as admin (hosts and services),
 * the fallback to the summary for a member, the aggregate commands, and a server created in the
 * zone an aggregate gives the node.
 *
 * Skipped when /usr/bin/openstack is absent, except under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT, OPENSTACK_SKIP as skip, useOpenstackCli, TEST_TIMEOUT_MS } from '../../src/testing/openstack-cli.js';

const NODE = 'cli-node';
const ZONE = 'az-cli';

const cli = useOpenstackCli({ name: 'clients-zones', args: ['--name', NODE, '--zone', ZONE] });

// ---------------------------------------------------------------------------------------------
// The tests run in order and share the aggregate.

test('availability zone list: the --zone of the node and the network zone', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  for (const cloud of ['stratus-admin', 'stratus-demo']) {
    const zones = await cli.json<Array<Record<string, string>>>(cloud, ['availability', 'zone', 'list']);
    assert.deepEqual(
      zones,
      [
        { 'Zone Name': ZONE, 'Zone Status': 'available' },
        // Cinder's zone, then Neutron's (the client lists compute, volume, network in turn).
        { 'Zone Name': 'nova', 'Zone Status': 'available' },
        { 'Zone Name': 'nova', 'Zone Status': 'available' },
      ],
      cloud,
    );
  }
  const compute = await cli.json<Array<Record<string, string>>>('stratus-admin', [
    'availability',
    'zone',
    'list',
    '--compute',
    '--long',
  ]);
  assert.equal(compute.length, 1, JSON.stringify(compute));
  assert.equal(compute[0]['Zone Name'], ZONE);
  assert.equal(compute[0]['Host Name'], NODE);
  assert.equal(compute[0]['Service Name'], 'nova-compute');
  assert.match(compute[0]['Service Status'], /^enabled :-\) \d{4}-/);
  const network = await cli.json<Array<Record<string, string>>>('stratus-demo', [
    'availability',
    'zone',
    'list',
    '--network',
    '--long',
  ]);
  assert.deepEqual(
    network.map((z) => [z['Zone Name'], z['Zone Resource']]),
    [['nova', 'network']],
  );
});

test('aggregate create, add host, set property, show, list; the node moves to its zone', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await cli.json('stratus-admin', ['aggregate', 'create', '--zone', 'az-agg', 'agg-cli']);
  assert.equal(created.name, 'agg-cli');
  assert.equal(created.availability_zone, 'az-agg');
  await cli.json('stratus-admin', ['aggregate', 'add', 'host', 'agg-cli', NODE]);
  await cli.ok('stratus-admin', ['aggregate', 'set', '--property', 'ssd=true', 'agg-cli']);
  const shown = await cli.json('stratus-admin', ['aggregate', 'show', 'agg-cli']);
  assert.deepEqual(shown.hosts, [NODE], JSON.stringify(shown));
  assert.equal(shown.availability_zone, 'az-agg');
  assert.equal(JSON.stringify(shown.properties).includes('ssd'), true, JSON.stringify(shown));
  const list = await cli.json<Array<Record<string, unknown>>>('stratus-admin', ['aggregate', 'list']);
  assert.ok(
    list.some((a) => a.Name === 'agg-cli'),
    JSON.stringify(list),
  );
  const zones = await cli.json<Array<Record<string, string>>>('stratus-demo', [
    'availability',
    'zone',
    'list',
    '--compute',
  ]);
  assert.deepEqual(zones, [{ 'Zone Name': 'az-agg', 'Zone Status': 'available' }]);
  const refused = await cli.osc('stratus-demo', ['aggregate', 'list']);
  assert.notEqual(refused.code, 0, cli.describe(refused));
  assert.match(refused.stderr, /os_compute_api:os-aggregates:index/);
});

test('server create --availability-zone: an unknown zone is refused, the aggregate zone is used', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const refused = await cli.osc('stratus-demo', ['server', 'create', ...BOOT, '--availability-zone', 'nowhere', 'z0']);
  assert.notEqual(refused.code, 0, cli.describe(refused));
  assert.match(refused.stderr, /The requested availability zone is not available/);
  const created = await cli.json('stratus-demo', [
    'server',
    'create',
    ...BOOT,
    '--availability-zone',
    'az-agg',
    '--wait',
    'z1',
  ]);
  assert.equal(created.status, 'ACTIVE');
  assert.equal(created['OS-EXT-AZ:availability_zone'], 'az-agg', JSON.stringify(created));
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', created.id]);
});

test('aggregate remove host, unset, delete', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const full = await cli.osc('stratus-admin', ['aggregate', 'delete', 'agg-cli']);
  assert.notEqual(full.code, 0, cli.describe(full));
  await cli.json('stratus-admin', ['aggregate', 'remove', 'host', 'agg-cli', NODE]);
  await cli.ok('stratus-admin', ['aggregate', 'unset', '--property', 'ssd', 'agg-cli']);
  await cli.ok('stratus-admin', ['aggregate', 'delete', 'agg-cli']);
  const list = await cli.json<Array<Record<string, unknown>>>('stratus-admin', ['aggregate', 'list']);
  assert.deepEqual(list, []);
  const zones = await cli.json<Array<Record<string, string>>>('stratus-demo', [
    'availability',
    'zone',
    'list',
    '--compute',
  ]);
  assert.deepEqual(zones, [{ 'Zone Name': ZONE, 'Zone Status': 'available' }]);
});
