/**
 * Functional test of server groups with the stock openstack CLI (/usr/bin/openstack), against
 * `stratus serve --agents 2` (two compute nodes): `server group create/list/show/delete` with
 * each policy, `server create --hint group=<id>` placing an anti-affinity group's members on
 * different nodes, the third member failing with NoValidHost, and a deleted server leaving the
 * group.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOT,
  OPENSTACK_SKIP as skip,
  TEST_TIMEOUT_MS,
  useOpenstackCli,
  WAIT_TIMEOUT_MS,
} from '../../src/testing/openstack-cli.js';

const NODE = 'cli-sg';

const cli = useOpenstackCli({ name: 'clients-groups', args: ['--name', NODE, '--agents', '2'] });

// ---------------------------------------------------------------------------------------------
// The tests run in order and share the groups.

const groups: Record<string, string> = {};

async function boot(name: string, group: string, wait = true): Promise<Record<string, any>> {
  const args = ['server', 'create', ...BOOT];
  args.push('--hint', `group=${group}`, ...(wait ? ['--wait'] : []), name);
  return cli.json('stratus-demo', args, WAIT_TIMEOUT_MS);
}

test('server group create, list, show with each policy', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  for (const policy of ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']) {
    const g = await cli.json('stratus-demo', ['server', 'group', 'create', '--policy', policy, `sg-${policy}`]);
    assert.equal(g.name, `sg-${policy}`);
    assert.equal(JSON.stringify(g).includes(policy), true, JSON.stringify(g));
    groups[policy] = g.id;
  }
  const list = await cli.json<Array<Record<string, unknown>>>('stratus-demo', ['server', 'group', 'list']);
  assert.deepEqual(
    list.map((g) => g.Name).sort(),
    Object.keys(groups)
      .map((p) => `sg-${p}`)
      .sort(),
  );
  const shown = await cli.json('stratus-demo', ['server', 'group', 'show', groups['anti-affinity']]);
  assert.equal(shown.id, groups['anti-affinity']);
  const all = await cli.json<Array<Record<string, unknown>>>('stratus-admin', [
    'server',
    'group',
    'list',
    '--all-projects',
  ]);
  assert.equal(all.length, 4, JSON.stringify(all));
  const missing = await cli.osc('stratus-demo', ['server', 'group', 'show', '9d1f0fe3-5b1a-4d3c-8a0e-111111111111']);
  assert.notEqual(missing.code, 0, cli.describe(missing));
});

test('server create --hint group: anti-affinity members on two nodes, a third is ERROR', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const g = groups['anti-affinity'];
  const a = await boot('sg-a', g);
  const b = await boot('sg-b', g);
  assert.equal(a.status, 'ACTIVE');
  assert.equal(b.status, 'ACTIVE');
  const hostOf = async (id: string) =>
    (await cli.json('stratus-admin', ['server', 'show', id]))['OS-EXT-SRV-ATTR:host'] as string;
  assert.notEqual(await hostOf(a.id), await hostOf(b.id));
  const c = await boot('sg-c', g, false);
  const shown = await cli.json('stratus-demo', ['server', 'show', c.id]);
  assert.equal(shown.status, 'ERROR', JSON.stringify(shown));
  assert.match(JSON.stringify(shown.fault), /No valid host was found/);
  const group = await cli.json('stratus-demo', ['server', 'group', 'show', g]);
  assert.deepEqual([...group.members].sort(), [a.id, b.id, c.id].sort(), JSON.stringify(group));
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', a.id, c.id]);
  const after = await cli.json('stratus-demo', ['server', 'group', 'show', g]);
  assert.deepEqual(after.members, [b.id], JSON.stringify(after));
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', b.id]);
});

test('server group delete', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  for (const id of Object.values(groups)) await cli.ok('stratus-demo', ['server', 'group', 'delete', id]);
  const list = await cli.json<Array<Record<string, unknown>>>('stratus-demo', ['server', 'group', 'list']);
  assert.deepEqual(list, []);
});
