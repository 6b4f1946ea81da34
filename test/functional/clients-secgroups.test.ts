/**
 * Functional test of security groups with the stock openstack CLI (/usr/bin/openstack) and
 * openstacksdk, against `stratus serve`: `security group create/list/show/set/delete`,
 * `security group rule create --protocol tcp --dst-port 22 --remote-ip 0.0.0.0/0` / list /
 * delete, `server create --security-group`, `server add/remove security group`, a group in use
 * refused until its server is deleted, and `conn.network.create_security_group`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOT,
  OPENSTACK_SKIP as skip,
  SDK_SKIP,
  TEST_TIMEOUT_MS,
  useOpenstackCli,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-secgroups' });

// The tests run in order and share the group.
let group = '';

test('security group create, list, show, set; rule create, list, delete', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const g = await cli.json('stratus-demo', ['security', 'group', 'create', '--description', 'ssh in', 'cli-ssh']);
  assert.equal(g.name, 'cli-ssh');
  assert.equal(g.description, 'ssh in');
  group = g.id;
  const list = await cli.json<Array<Record<string, unknown>>>('stratus-demo', ['security', 'group', 'list']);
  assert.deepEqual(list.map((x) => x.Name).sort(), ['cli-ssh', 'default']);
  await cli.ok('stratus-demo', ['security', 'group', 'set', '--description', 'ssh from anywhere', group]);
  const shown = await cli.json('stratus-demo', ['security', 'group', 'show', group]);
  assert.equal(shown.description, 'ssh from anywhere');
  const rule = await cli.json('stratus-demo', [
    'security',
    'group',
    'rule',
    'create',
    '--protocol',
    'tcp',
    '--dst-port',
    '22',
    '--remote-ip',
    '0.0.0.0/0',
    group,
  ]);
  assert.equal(rule.protocol, 'tcp');
  assert.equal(rule.port_range_min, 22);
  assert.equal(rule.port_range_max, 22);
  assert.equal(rule.remote_ip_prefix, '0.0.0.0/0');
  // The same rule again is Neutron's 409.
  const dup = await cli.osc('stratus-demo', [
    'security',
    'group',
    'rule',
    'create',
    '--protocol',
    'tcp',
    '--dst-port',
    '22',
    '--remote-ip',
    '0.0.0.0/0',
    group,
  ]);
  assert.notEqual(dup.code, 0, cli.describe(dup));
  assert.match(dup.stderr, /Security group rule already exists/);
  const rules = await cli.json<Array<Record<string, unknown>>>('stratus-demo', [
    'security',
    'group',
    'rule',
    'list',
    group,
  ]);
  assert.equal(rules.length, 3, JSON.stringify(rules));
  await cli.ok('stratus-demo', ['security', 'group', 'rule', 'delete', rule.id]);
  const after = await cli.json<Array<Record<string, unknown>>>('stratus-demo', [
    'security',
    'group',
    'rule',
    'list',
    group,
  ]);
  assert.equal(after.length, 2, JSON.stringify(after));
  // Another project does not see the group.
  const other = await cli.osc('stratus-alt', ['security', 'group', 'show', group]);
  assert.notEqual(other.code, 0, cli.describe(other));
});

test('server create --security-group; server add/remove security group; delete frees the group', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const s = await cli.json('stratus-demo', [
    'server',
    'create',
    ...BOOT,
    '--security-group',
    'cli-ssh',
    '--wait',
    'cli-sg',
  ]);
  const names = (v: unknown) =>
    JSON.stringify(v)
      .match(/cli-ssh|default/g)
      ?.sort() ?? [];
  let shown = await cli.json('stratus-demo', ['server', 'show', s.id]);
  assert.deepEqual(names(shown.security_groups), ['cli-ssh'], JSON.stringify(shown.security_groups));
  await cli.ok('stratus-demo', ['server', 'add', 'security', 'group', s.id, 'default']);
  shown = await cli.json('stratus-demo', ['server', 'show', s.id]);
  assert.deepEqual(names(shown.security_groups), ['cli-ssh', 'default'], JSON.stringify(shown.security_groups));
  await cli.ok('stratus-demo', ['server', 'remove', 'security', 'group', s.id, 'default']);
  shown = await cli.json('stratus-demo', ['server', 'show', s.id]);
  assert.deepEqual(names(shown.security_groups), ['cli-ssh'], JSON.stringify(shown.security_groups));
  const inUse = await cli.osc('stratus-demo', ['security', 'group', 'delete', group]);
  assert.notEqual(inUse.code, 0, cli.describe(inUse));
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', s.id]);
  await cli.ok('stratus-demo', ['security', 'group', 'delete', group]);
  const list = await cli.json<Array<Record<string, unknown>>>('stratus-demo', ['security', 'group', 'list']);
  assert.deepEqual(
    list.map((x) => x.Name),
    ['default'],
  );
});

const SDK_SCRIPT = `
import json, openstack
conn = openstack.connect(cloud='stratus-demo')
sg = conn.network.create_security_group(name='sdk-sg', description='from the sdk')
rule = conn.network.create_security_group_rule(security_group_id=sg.id, direction='ingress', protocol='tcp', port_range_min=80, port_range_max=80, remote_ip_prefix='10.0.0.0/8')
found = conn.network.find_security_group('sdk-sg')
rules = sorted((r.direction, r.ether_type, r.protocol or '') for r in conn.network.security_group_rules(security_group_id=sg.id))
conn.network.delete_security_group_rule(rule)
conn.network.delete_security_group(sg)
print(json.dumps({'name': found.name, 'description': found.description, 'rules': rules, 'gone': conn.network.find_security_group('sdk-sg') is None}))
`;

test('openstacksdk: conn.network.create_security_group and its rules', {
  skip: SDK_SKIP,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const r = await cli.python(SDK_SCRIPT);
  assert.equal(r.code, 0, `openstacksdk script failed:\n${cli.describe(r)}`);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(JSON.parse(lines[lines.length - 1] ?? '{}'), {
    name: 'sdk-sg',
    description: 'from the sdk',
    rules: [
      ['egress', 'IPv4', ''],
      ['egress', 'IPv6', ''],
      ['ingress', 'IPv4', 'tcp'],
    ],
    gone: true,
  });
});
