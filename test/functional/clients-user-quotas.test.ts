/**
 * Per-user quotas through the stock clients. Debian's `openstack quota set` has no --user, so
 * the limit is set with novaclient (`nova quota-update --user`, /usr/bin/nova), read back with
 * `nova quota-show --user` and removed with `nova quota-delete --user`; the user is then held
 * to it by `openstack server create`. Stratus runs as a user starts it (`stratus serve`).
 *
 * Skipped when /usr/bin/openstack is absent, except under CI, where that is a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { BOOT, OPENSTACK_SKIP, useOpenstackCli, TEST_TIMEOUT_MS } from '../../src/testing/openstack-cli.js';

const NOVA = '/usr/bin/nova';
const skip = OPENSTACK_SKIP || (!existsSync(NOVA) && !process.env.CI ? `${NOVA} is not installed` : false);
const cli = useOpenstackCli({ name: 'user-quotas' });

/** novaclient has no clouds.yaml support: the admin's credentials as options. */
const nova = (args: string[]) =>
  cli.run(NOVA, [
    '--os-auth-url',
    `${cli.url}/identity/v3`,
    '--os-username',
    'admin',
    '--os-password',
    'secret',
    '--os-project-name',
    'admin',
    '--os-user-domain-name',
    'Default',
    '--os-project-domain-name',
    'Default',
    ...args,
  ]);
/** A `nova quota-show` table row: | instances | 1 |. */
const quotaOf = (table: string, resource: string) =>
  Number(new RegExp(`\\|\\s*${resource}\\s*\\|\\s*(-?\\d+)\\s*\\|`).exec(table)?.[1]);

test('nova quota-update --user holds one user of the project to its own limit', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const token = await cli.json<{ user_id: string; project_id: string }>('stratus-demo', ['token', 'issue']);
  const set = await nova(['quota-update', '--user', token.user_id, '--instances', '1', token.project_id]);
  assert.equal(set.code, 0, cli.describe(set));
  const show = await nova(['quota-show', '--tenant', token.project_id, '--user', token.user_id]);
  assert.equal(show.code, 0, cli.describe(show));
  assert.equal(quotaOf(show.stdout, 'instances'), 1, show.stdout);
  const project = await nova(['quota-show', '--tenant', token.project_id]);
  assert.equal(quotaOf(project.stdout, 'instances'), -1, project.stdout);

  const first = await cli.json<{ id: string }>('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'uq1']);
  const second = await cli.osc('stratus-demo', ['server', 'create', ...BOOT, 'uq2']);
  assert.notEqual(second.code, 0, cli.describe(second));
  assert.match(
    second.stderr,
    /Quota exceeded for instances: Requested 1, but already used 1 of 1 instances/,
    cli.describe(second),
  );

  const del = await nova(['quota-delete', '--tenant', token.project_id, '--user', token.user_id]);
  assert.equal(del.code, 0, cli.describe(del));
  const again = await nova(['quota-show', '--tenant', token.project_id, '--user', token.user_id]);
  assert.equal(quotaOf(again.stdout, 'instances'), -1, again.stdout);
  const ok = await cli.json<{ id: string }>('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'uq3']);
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', first.id, ok.id]);
});
