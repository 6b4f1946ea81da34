/**
 * Functional test of the Keystone admin API with the stock OpenStack client (/usr/bin/openstack)
 * against a spawned Stratus: projects, users, roles and role assignments, then the compute
 * features that name a project (quota set/show, private flavor access), and a new user with a
 * role on a new project logging in and booting a server there.
 *
 * Skipped when /usr/bin/openstack is absent, except under CI. Harness: src/testing/openstack-cli.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT, OPENSTACK_SKIP as skip, TEST_TIMEOUT_MS, useOpenstackCli } from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-identity' });
const ADMIN = 'stratus-admin';
/**
 * The new user's credentials, given to the client over the admin cloud's (by project id: the
 * clouds.yaml names the admin project by id, which would win over a project name).
 */
const as = (password: string, projectId: string) => [
  '--os-username',
  'ci-bob',
  '--os-password',
  password,
  '--os-project-id',
  projectId,
];
let team = '';

test('openstack project create/list/show/set', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const created = await cli.json(ADMIN, ['project', 'create', '--description', 'CI team', 'ci-team']);
  assert.equal(created.name, 'ci-team');
  assert.equal(created.description, 'CI team');
  assert.equal(created.enabled, true);
  assert.equal(created.domain_id, 'default');
  team = created.id;
  const list = await cli.json<Array<Record<string, string>>>(ADMIN, ['project', 'list']);
  assert.ok(
    list.some((p) => p.Name === 'ci-team' && p.ID === created.id),
    JSON.stringify(list),
  );
  await cli.ok(ADMIN, ['project', 'set', '--description', 'renamed later', 'ci-team']);
  const shown = await cli.json(ADMIN, ['project', 'show', 'ci-team']);
  assert.equal(shown.id, created.id);
  assert.equal(shown.description, 'renamed later');
  const dup = await cli.osc(ADMIN, ['project', 'create', 'ci-team']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /Conflict occurred attempting to store project/, cli.describe(dup));
});

test('openstack user create/list/show/set; role list; role add; role assignment list --names', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const user = await cli.json(ADMIN, [
    'user',
    'create',
    '--password',
    'first-pw',
    '--email',
    'bob@example.org',
    '--project',
    'ci-team',
    'ci-bob',
  ]);
  assert.equal(user.name, 'ci-bob');
  assert.equal(user.email, 'bob@example.org');
  const users = await cli.json<Array<Record<string, string>>>(ADMIN, ['user', 'list']);
  assert.ok(
    users.some((u) => u.Name === 'ci-bob'),
    JSON.stringify(users),
  );
  await cli.ok(ADMIN, ['user', 'set', '--password', 'bob-pw', '--email', 'b@example.org', 'ci-bob']);
  const shown = await cli.json(ADMIN, ['user', 'show', 'ci-bob']);
  assert.equal(shown.email, 'b@example.org');
  const roles = await cli.json<Array<Record<string, string>>>(ADMIN, ['role', 'list']);
  assert.deepEqual(roles.map((r) => r.Name).sort(), ['admin', 'member', 'reader']);
  await cli.ok(ADMIN, ['role', 'add', '--project', 'ci-team', '--user', 'ci-bob', 'member']);
  const assignments = await cli.json<Array<Record<string, string>>>(ADMIN, [
    'role',
    'assignment',
    'list',
    '--project',
    'ci-team',
    '--names',
  ]);
  assert.deepEqual(
    assignments.map((a) => [a.Role, a.User, a.Project]),
    [['member', 'ci-bob@Default', 'ci-team@Default']],
  );
});

test('quota set/show and private flavor access by project name', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await cli.ok(ADMIN, ['quota', 'set', '--instances', '5', 'ci-team']);
  const quota = await cli.json<Record<string, unknown> | Array<Record<string, unknown>>>(ADMIN, [
    'quota',
    'show',
    'ci-team',
  ]);
  // Newer clients print a list of {Resource, Limit}; older ones one object.
  const instances = Array.isArray(quota)
    ? quota.find((q) => q.Resource === 'instances')?.Limit
    : (quota as Record<string, unknown>).instances;
  assert.equal(instances, 5, JSON.stringify(quota));
  const flavor = await cli.json(ADMIN, [
    'flavor',
    'create',
    '--private',
    '--ram',
    '256',
    '--disk',
    '1',
    '--vcpus',
    '1',
    '--project',
    'ci-team',
    'ci-private',
  ]);
  assert.equal(flavor['os-flavor-access:is_public'], false);
  await cli.ok(ADMIN, ['flavor', 'set', '--project', 'demo', 'ci-private']);
  const access = await cli.ok(ADMIN, ['flavor', 'show', 'ci-private', '-c', 'access_project_ids', '-f', 'value']);
  const demo = (await cli.json(ADMIN, ['project', 'show', 'demo'])).id as string;
  assert.ok(access.includes(demo) && access.includes(team), access);
});

test('the new user logs in and creates a server in its new project', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const AS_BOB = as('bob-pw', team);
  const token = await cli.json(ADMIN, [...AS_BOB, 'token', 'issue']);
  assert.equal(token.project_id, team);
  const server = await cli.json(ADMIN, [...AS_BOB, 'server', 'create', ...BOOT, '--wait', 'bob-vm']);
  assert.equal(server.status, 'ACTIVE', JSON.stringify(server));
  const list = await cli.json<Array<Record<string, string>>>(ADMIN, [...AS_BOB, 'server', 'list']);
  assert.deepEqual(
    list.map((s) => s.Name),
    ['bob-vm'],
  );
  await cli.ok(ADMIN, [...AS_BOB, 'server', 'delete', '--wait', 'bob-vm']);
});

test('openstack user delete and project delete; the old password no longer works', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const old = await cli.osc(ADMIN, [...as('first-pw', team), 'token', 'issue']);
  assert.notEqual(old.code, 0, cli.describe(old));
  await cli.ok(ADMIN, ['user', 'delete', 'ci-bob']);
  const gone = await cli.osc(ADMIN, [...as('bob-pw', team), 'token', 'issue']);
  assert.notEqual(gone.code, 0, cli.describe(gone));
  await cli.ok(ADMIN, ['flavor', 'delete', 'ci-private']);
  await cli.ok(ADMIN, ['project', 'delete', 'ci-team']);
  const shown = await cli.osc(ADMIN, ['project', 'show', 'ci-team']);
  assert.notEqual(shown.code, 0, cli.describe(shown));
});
