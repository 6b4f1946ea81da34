/**
 * Quotas through the stock `openstack` CLI (python-openstackclient): `quota show` (Nova's and
 * Neutron's quotas side by side), `quota show --default`, `quota set --class`, `limits show
 * --absolute`, and a `server create` refused over quota with Nova's message, then accepted again
 * once a server is deleted. Stratus runs as a user starts it (`stratus serve`).
 *
 * `openstack quota set <project>` and `quota list` look the project up in Keystone
 * (GET /v3/projects), which Stratus does not serve yet; the class `default` sets the limit here.
 *
 * Skipped when /usr/bin/openstack is absent, except under CI, where that is a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT, OPENSTACK_SKIP as skip, useOpenstackCli, TEST_TIMEOUT_MS } from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'quotas' });

test("quota show lists Nova's (unlimited in the demo cloud), Neutron's and Cinder's defaults", {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const q = await cli.json('stratus-demo', ['quota', 'show']);
  const expected: Record<string, number> = {
    instances: -1,
    cores: -1,
    ram: -1,
    'key-pairs': -1,
    'server-groups': -1,
    // Neutron's defaults (neutron/conf/quota.py)
    networks: 100,
    subnets: 100,
    ports: 500,
    routers: 10,
    'floating-ips': 50,
    secgroups: 10,
    'secgroup-rules': 100,
    // Cinder's defaults (cinder/quota.py)
    volumes: 10,
    snapshots: 10,
    gigabytes: 1000,
  };
  for (const [k, v] of Object.entries(expected)) assert.equal(q[k], v, `${k} in ${JSON.stringify(q)}`);
  assert.equal(q.project_name, 'demo');
});

test('an admin sets the default instances limit; the demo project is held to it', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const set = await cli.osc('stratus-admin', ['quota', 'set', '--class', '--instances', '1', 'default']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal((await cli.json('stratus-demo', ['quota', 'show', '--default'])).instances, 1);
  const first = await cli.json('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'q1']);
  assert.equal(first.status, 'ACTIVE');
  const over = await cli.osc('stratus-demo', ['server', 'create', ...BOOT, 'q2']);
  assert.notEqual(over.code, 0);
  assert.match(
    over.stderr,
    /Quota exceeded for instances: Requested 1, but already used 1 of 1 instances \(HTTP 403\)/,
  );
  const limits = await cli.json('stratus-demo', ['limits', 'show', '--absolute']);
  const value = (name: string) => limits.find((l: { Name: string }) => l.Name === name)?.Value;
  assert.equal(value('maxTotalInstances'), 1);
  assert.equal(value('totalInstancesUsed'), 1);
  // The quota is released when the delete finishes.
  assert.equal((await cli.osc('stratus-demo', ['server', 'delete', '--wait', 'q1'])).code, 0);
  const again = await cli.json('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'q3']);
  assert.equal(again.status, 'ACTIVE');
  assert.equal((await cli.osc('stratus-demo', ['server', 'delete', '--wait', 'q3'])).code, 0);
  assert.equal((await cli.osc('stratus-admin', ['quota', 'set', '--class', '--instances', '-1', 'default'])).code, 0);
});
