/**
 * Functional test with the stock OpenStack clients (python-openstackclient and openstacksdk,
 * installed from Debian as /usr/bin/openstack and /usr/bin/python3).
 *
 * Starts Stratus the way a user does (`stratus serve --port 0 --data <tmp>`), points the
 * clients at the clouds.yaml it writes, and drives the delete-server story through them:
 * create, list, show, lock, a refused delete (409), unlock, an admin delete of a locked
 * server, a member delete, and the same through openstacksdk. After each delete the server
 * must be gone from the list and the port Stratus created for it must be gone too.
 *
 * The whole file is skipped when /usr/bin/openstack is absent, except under CI (which installs
 * the clients: a missing one fails there). The harness is src/testing/openstack-cli.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOT,
  FLAVOR,
  IMAGE,
  NETWORK,
  OPENSTACK_SKIP as skip,
  useOpenstackCli,
  SDK_SKIP as skipSdk,
  TEST_TIMEOUT_MS,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients' });

// ---------------------------------------------------------------------------------------------
// Helpers

async function createServer(cloud: string, name: string): Promise<any> {
  const created = await cli.json(cloud, ['server', 'create', ...BOOT, '--wait', name]);
  assert.equal(typeof created.id, 'string', `server create: no id in ${JSON.stringify(created)}`);
  assert.equal(created.name, name);
  assert.equal(created.status, 'ACTIVE', `server create --wait: ${JSON.stringify(created)}`);
  return created;
}

async function listServers(cloud: string): Promise<Array<Record<string, any>>> {
  const list = await cli.json<Array<Record<string, any>>>(cloud, ['server', 'list']);
  assert.ok(Array.isArray(list), `server list: ${JSON.stringify(list)}`);
  return list;
}

async function portsOf(cloud: string, deviceId: string): Promise<Array<Record<string, any>>> {
  const ports = await cli.json<Array<Record<string, any>>>(cloud, ['port', 'list', '--device-id', deviceId]);
  assert.ok(Array.isArray(ports), `port list: ${JSON.stringify(ports)}`);
  return ports;
}

async function assertGone(id: string): Promise<void> {
  const list = await listServers('stratus-demo');
  assert.ok(!list.some((s) => s.ID === id), `deleted server ${id} still listed: ${JSON.stringify(list)}`);
  const ports = await portsOf('stratus-demo', id);
  assert.deepEqual(ports, [], `ports of deleted server ${id} remain: ${JSON.stringify(ports)}`);
  const show = await cli.osc('stratus-demo', ['server', 'show', id, '-f', 'json']);
  assert.notEqual(show.code, 0, `server show of deleted server ${id} succeeded:\n${cli.describe(show)}`);
}

// ---------------------------------------------------------------------------------------------
// The tests run in order and share s1.

let s1Id: string | undefined;

test('openstack token issue (demo)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const token = await cli.json('stratus-demo', ['token', 'issue']);
  assert.equal(typeof token.id, 'string');
  assert.ok(token.id.length > 0, `token: ${JSON.stringify(token)}`);
  assert.equal(typeof token.project_id, 'string', `token: ${JSON.stringify(token)}`);
  assert.equal(typeof token.user_id, 'string', `token: ${JSON.stringify(token)}`);
  assert.ok(token.expires, `token: ${JSON.stringify(token)}`);
});

test('server create --wait, list, show, and its port (demo)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const created = await createServer('stratus-demo', 's1');
  s1Id = created.id as string;

  const list = await listServers('stratus-demo');
  const row = list.find((s) => s.ID === s1Id);
  assert.ok(row, `server list does not contain ${s1Id}: ${JSON.stringify(list)}`);
  assert.equal(row.Name, 's1');
  assert.equal(row.Status, 'ACTIVE');

  const shown = await cli.json('stratus-demo', ['server', 'show', s1Id]);
  assert.equal(shown.id, s1Id);
  assert.equal(shown.name, 's1');
  assert.equal(shown.status, 'ACTIVE');

  const ports = await portsOf('stratus-demo', s1Id);
  assert.equal(ports.length, 1, `expected one port on ${s1Id}: ${JSON.stringify(ports)}`);
});

test('a locked server: member delete is 409, admin delete by ID succeeds', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  assert.ok(s1Id, 's1 was not created by the previous test');
  const id = s1Id;

  await cli.ok('stratus-demo', ['server', 'lock', id]);

  const refused = await cli.osc('stratus-demo', ['server', 'delete', id]);
  assert.notEqual(refused.code, 0, `delete of a locked server by its owner succeeded:\n${cli.describe(refused)}`);
  assert.ok(
    refused.stderr.includes(`Instance ${id} is locked (HTTP 409)`),
    `expected "Instance ${id} is locked (HTTP 409)" on stderr:\n${cli.describe(refused)}`,
  );

  // The refused delete changed nothing.
  const still = await cli.json('stratus-demo', ['server', 'show', id]);
  assert.equal(still.id, id);
  assert.equal(still.status, 'ACTIVE');

  await cli.ok('stratus-demo', ['server', 'unlock', id]);
  await cli.ok('stratus-demo', ['server', 'lock', id]);

  await cli.ok('stratus-admin', ['server', 'delete', '--wait', id]);

  await assertGone(id);
});

test('member deletes an unlocked server (by name, --wait)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const created = await createServer('stratus-demo', 's2');
  const id = created.id as string;
  const ports = await portsOf('stratus-demo', id);
  assert.equal(ports.length, 1, `expected one port on ${id}: ${JSON.stringify(ports)}`);

  await cli.ok('stratus-demo', ['server', 'delete', '--wait', 's2']);

  await assertGone(id);
});

const SDK_SCRIPT = `
import json, sys
import openstack

name = sys.argv[1]
conn = openstack.connect(cloud='stratus-demo')
image = conn.image.find_image('${IMAGE}', ignore_missing=False)
flavor = conn.compute.find_flavor('${FLAVOR}', ignore_missing=False)
net = conn.network.find_network('${NETWORK}', ignore_missing=False)
s = conn.compute.create_server(name=name, image_id=image.id, flavor_id=flavor.id,
                               networks=[{'uuid': net.id}])
s = conn.compute.wait_for_server(s, wait=120)
status = s.status
ports_before = [p.id for p in conn.network.ports(device_id=s.id)]
conn.compute.delete_server(s)
conn.compute.wait_for_delete(s, wait=60)
ports_after = [p.id for p in conn.network.ports(device_id=s.id)]
listed = [x.id for x in conn.compute.servers() if x.id == s.id]
gone = conn.compute.find_server(s.id, ignore_missing=True) is None
assert ports_after == [], ports_after
print(json.dumps({'id': s.id, 'name': s.name, 'status': status, 'ports_before': ports_before,
                  'ports_after': ports_after, 'listed_after': listed, 'gone': gone}))
`;

test('openstacksdk: create, wait, delete, wait_for_delete, no ports left', {
  skip: skipSdk,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const r = await cli.python(SDK_SCRIPT, ['s3-sdk']);
  assert.equal(r.code, 0, `openstacksdk script failed:\n${cli.describe(r)}`);
  const lines = r.stdout.trim().split('\n');
  let summary: any;
  try {
    summary = JSON.parse(lines[lines.length - 1] ?? '');
  } catch {
    assert.fail(`openstacksdk script printed no JSON summary:\n${cli.describe(r)}`);
  }
  assert.equal(typeof summary.id, 'string');
  assert.equal(summary.name, 's3-sdk');
  assert.equal(summary.status, 'ACTIVE');
  assert.equal(summary.ports_before.length, 1, `summary: ${JSON.stringify(summary)}`);
  assert.deepEqual(summary.ports_after, []);
  assert.deepEqual(summary.listed_after, []);
  assert.equal(summary.gone, true);

  // And the CLI agrees.
  await assertGone(summary.id as string);
});
