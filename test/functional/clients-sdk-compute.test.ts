/**
 * The compute APIs around a server through openstacksdk (Debian's python3-openstacksdk), the
 * library Ansible's openstack.cloud collection is built on: quotas (show, defaults, update,
 * revert), limits, availability zones, server groups, aggregates with hosts and metadata,
 * hypervisors and usage, server metadata and tags. And `openstack hypervisor` / `usage` through
 * the CLI, the two admin reads the other client files do not drive.
 *
 * Skipped when /usr/bin/openstack or /usr/bin/python3 is absent (CI installs the clients).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOT,
  OPENSTACK_SKIP as skip,
  SDK_SKIP as skipSdk,
  TEST_TIMEOUT_MS,
  useOpenstackCli,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-sdk-compute' });

/** Runs an openstacksdk script whose last stdout line is a JSON summary. */
async function sdk(script: string, args: string[] = []): Promise<Record<string, unknown>> {
  const r = await cli.python(script, args);
  assert.equal(r.code, 0, `openstacksdk script failed:\n${cli.describe(r)}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}');
}

const ADMIN_SCRIPT = `
import json, openstack
admin = openstack.connect(cloud='stratus-admin')
demo = openstack.connect(cloud='stratus-demo')
project = demo.current_project_id
out = {}

q = admin.compute.get_quota_set(project)
out['instances_default'] = q.instances
admin.compute.update_quota_set(admin.compute.get_quota_set(project), instances=7, cores=14)
q = demo.compute.get_quota_set(project)
out['instances_set'] = q.instances
out['cores_set'] = q.cores
admin.compute.revert_quota_set(project)
out['instances_reverted'] = admin.compute.get_quota_set(project).instances
# Not get_quota_set_defaults: this SDK asks /os-quota-sets/defaults, which real Nova (and Stratus)
# reads as a project named 'defaults' and refuses with 400.
out['defaults_ram'] = admin.compute.get('/os-quota-sets/%s/defaults' % project).json()['quota_set']['ram']

limits = demo.compute.get_limits()
out['limits_has_instances'] = limits.absolute.instances is not None

out['zones'] = sorted(z.name for z in demo.compute.availability_zones())

g = demo.compute.create_server_group(name='sdk-group', policy='anti-affinity')
out['group_policy'] = g.policy
out['groups'] = [x.name for x in demo.compute.server_groups()]
demo.compute.delete_server_group(g)
out['groups_after'] = [x.name for x in demo.compute.server_groups()]

hvs = list(admin.compute.hypervisors(details=True))
out['hypervisors'] = len(hvs)
host = hvs[0].name
out['hypervisor_state'] = hvs[0].state

agg = admin.compute.create_aggregate(name='sdk-agg', availability_zone='sdk-zone')
admin.compute.add_host_to_aggregate(agg, host)
admin.compute.set_aggregate_metadata(agg, {'ssd': 'true'})
agg = admin.compute.get_aggregate(agg)
out['agg_hosts'] = agg.hosts == [host]
out['agg_meta'] = agg.metadata
out['zones_with_agg'] = sorted(z.name for z in demo.compute.availability_zones())
admin.compute.remove_host_from_aggregate(agg, host)
admin.compute.delete_aggregate(agg)
out['aggs_after'] = [a.name for a in admin.compute.aggregates()]
print(json.dumps(out))
`;

test('openstacksdk: quotas, limits, zones, server groups, hypervisors, aggregates', {
  skip: skipSdk,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const out = await sdk(ADMIN_SCRIPT);
  assert.deepEqual(out, {
    instances_default: -1,
    instances_set: 7,
    cores_set: 14,
    instances_reverted: -1,
    defaults_ram: -1,
    limits_has_instances: true,
    zones: ['nova'],
    group_policy: 'anti-affinity',
    groups: ['sdk-group'],
    groups_after: [],
    hypervisors: 1,
    hypervisor_state: 'up',
    agg_hosts: true,
    agg_meta: { ssd: 'true', availability_zone: 'sdk-zone' },
    zones_with_agg: ['sdk-zone'],
    aggs_after: [],
  });
});

const SERVER_SCRIPT = `
import json, sys, openstack
demo = openstack.connect(cloud='stratus-demo')
demo.compute.default_microversion = '2.26'
s = demo.compute.get_server(sys.argv[1])
demo.compute.set_server_metadata(s, role='web', tier='1')
# a copy: the SDK hands back the server object itself, whose dict the delete below changes
out = {'meta': dict(demo.compute.get_server_metadata(s).metadata)}
demo.compute.delete_server_metadata(s, ['tier'])
out['meta_after'] = demo.compute.get_server_metadata(s).metadata
s.add_tag(demo.compute, 'prod')
s.add_tag(demo.compute, 'blue')
s = demo.compute.get_server(s.id)
out['tags'] = sorted(s.tags)
s.remove_tag(demo.compute, 'blue')
out['tags_after'] = demo.compute.get_server(s.id).tags
out['by_tag'] = [x.id for x in demo.compute.servers(tags='prod')] == [s.id]
print(json.dumps(out))
`;

test('openstacksdk: server metadata and tags; openstack hypervisor and usage', {
  skip: skipSdk || skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const server = await cli.json('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'sdk-meta']);
  const out = await sdk(SERVER_SCRIPT, [String(server.id)]);
  assert.deepEqual(out, {
    meta: { role: 'web', tier: '1' },
    meta_after: { role: 'web' },
    tags: ['blue', 'prod'],
    tags_after: ['prod'],
    by_tag: true,
  });

  const hvs = await cli.json<Array<Record<string, unknown>>>('stratus-admin', ['hypervisor', 'list']);
  assert.equal(hvs.length, 1, JSON.stringify(hvs));
  const hv = await cli.json('stratus-admin', ['hypervisor', 'show', String(hvs[0]['Hypervisor Hostname'])]);
  assert.equal(hv.state, 'up', JSON.stringify(hv));
  const usage = await cli.json<Array<Record<string, unknown>>>('stratus-admin', ['usage', 'list']);
  // -f json lists the server usages themselves under "Servers".
  const mine = usage.flatMap((u) => (Array.isArray(u.Servers) ? u.Servers : [])) as Array<{ instance_id?: string }>;
  assert.ok(
    mine.some((u) => u.instance_id === server.id),
    JSON.stringify(usage),
  );
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', String(server.id)]);
});
