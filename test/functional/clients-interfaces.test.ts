/**
 * os-interface through the stock `openstack` client against a spawned Stratus: `server add
 * port` / `remove port`, `server add network` / `remove network`, `port list --server`, and a
 * server delete that deletes the port Stratus created and only unbinds the user's.
 * Skipped when /usr/bin/openstack is absent, except under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BOOT,
  NETWORK,
  OPENSTACK_SKIP as skip,
  TEST_TIMEOUT_MS,
  useOpenstackCli,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-interfaces' });
const CLOUD = 'stratus-demo';

async function portsOfServer(server: string): Promise<Array<Record<string, any>>> {
  return cli.json<Array<Record<string, any>>>(CLOUD, ['port', 'list', '--server', server]);
}

/** A detach is a cast (202): wait until the port list agrees. */
async function waitPorts(server: string, count: number): Promise<Array<Record<string, any>>> {
  for (let i = 0; i < 100; i++) {
    const ports = await portsOfServer(server);
    if (ports.length === count) return ports;
    await sleep(100);
  }
  throw new Error(`server ${server} never had ${count} ports: ${JSON.stringify(await portsOfServer(server))}`);
}

test('server add/remove port and network, port list --server, delete (demo)', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const server = await cli.json(CLOUD, ['server', 'create', ...BOOT, '--wait', 'if-1']);
  const id = server.id as string;
  assert.equal((await portsOfServer(id)).length, 1);

  const port = await cli.json(CLOUD, ['port', 'create', '--network', NETWORK, 'if-user-port']);
  await cli.ok(CLOUD, ['server', 'add', 'port', id, port.id]);
  const two = await portsOfServer(id);
  assert.deepEqual(two.map((p) => p.ID).includes(port.id), true, JSON.stringify(two));
  const shown = await cli.json(CLOUD, ['port', 'show', port.id]);
  assert.equal(shown.device_id, id);
  assert.equal(shown.device_owner, 'compute:nova');

  await cli.ok(CLOUD, ['server', 'remove', 'port', id, port.id]);
  await waitPorts(id, 1);
  assert.equal((await cli.json(CLOUD, ['port', 'show', port.id])).device_id, '');

  // add network creates a port on it; remove network detaches every port of the server on it.
  await cli.ok(CLOUD, ['server', 'add', 'network', id, NETWORK]);
  assert.equal((await portsOfServer(id)).length, 2);
  await cli.ok(CLOUD, ['server', 'remove', 'network', id, NETWORK]);
  await waitPorts(id, 0);

  // Delete with one port of each kind attached.
  await cli.ok(CLOUD, ['server', 'add', 'network', id, NETWORK]);
  await cli.ok(CLOUD, ['server', 'add', 'port', id, port.id]);
  const created = (await portsOfServer(id)).map((p) => p.ID as string).filter((p) => p !== port.id);
  assert.equal(created.length, 1);
  await cli.ok(CLOUD, ['server', 'delete', '--wait', id]);
  const after = await cli.osc(CLOUD, ['port', 'show', created[0], '-f', 'json']);
  assert.notEqual(after.code, 0, 'the port Stratus created is deleted with the server');
  const kept = await cli.json(CLOUD, ['port', 'show', port.id]);
  assert.equal(kept.device_id, '');
  assert.equal(kept.binding_host_id ?? kept['binding:host_id'] ?? '', '');
  await cli.ok(CLOUD, ['port', 'delete', port.id]);
});
