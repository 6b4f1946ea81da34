/**
 * Functional test of the 2.1 image proxy with the stock clients: openstacksdk's compute image
 * calls (`conn.compute.images()`, `get_image`, `set_image_metadata`, `get_image_metadata`,
 * `delete_image_metadata`: /v2.1/images and image metadata at 2.1, as novaclient-era code calls
 * them), and a server made with `openstack --os-compute-api-version 2.1 server create --wait`
 * whose /servers/{id}/ips (read through the SDK's session) match `openstack server show`,
 * against `stratus serve`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOT,
  CLIENT_TIMEOUT_MS,
  IMAGE,
  SDK_SKIP as skip,
  TEST_TIMEOUT_MS,
  useOpenstackCli,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-proxies' });

/** Runs a Python snippet with the system's openstacksdk against `cloud`; returns its JSON output. */
async function sdk<T = any>(cloud: string, code: string): Promise<T> {
  const script = `import json, openstack\nconn = openstack.connect(cloud=${JSON.stringify(cloud)})\n${code}`;
  const r = await cli.python(script, [], CLIENT_TIMEOUT_MS);
  assert.equal(r.code, 0, `sdk failed:\n${cli.describe(r)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null') as T;
}

test('openstacksdk compute images: list, show; image metadata set, get, delete (2.1 proxy)', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const images = await sdk<Array<{ id: string; name: string; status: string }>>(
    'stratus-demo',
    'print(json.dumps([{"id": i.id, "name": i.name, "status": i.status} for i in conn.compute.images()]))',
  );
  const cirros = images.find((i) => i.name === IMAGE);
  assert.ok(cirros, JSON.stringify(images));
  assert.equal(cirros.status, 'ACTIVE');
  const shown = await sdk<{ id: string; min_disk: number }>(
    'stratus-demo',
    `i = conn.compute.get_image(${JSON.stringify(cirros.id)})\nprint(json.dumps({"id": i.id, "min_disk": i.min_disk}))`,
  );
  assert.equal(shown.id, cirros.id);
  // The admin owns the seeded image: the admin's cloud may change its properties.
  const id = JSON.stringify(cirros.id);
  const after = await sdk<Record<string, string>>(
    'stratus-admin',
    [
      `conn.compute.set_image_metadata(${id}, cli_key="cli-value")`,
      `print(json.dumps(conn.compute.get_image_metadata(${id}).metadata))`,
    ].join('\n'),
  );
  assert.equal(after.cli_key, 'cli-value');
  const removed = await sdk<Record<string, string>>(
    'stratus-admin',
    [
      `conn.compute.delete_image_metadata(${id}, ["cli_key"])`,
      `print(json.dumps(conn.compute.get_image_metadata(${id}).metadata))`,
    ].join('\n'),
  );
  assert.equal(removed.cli_key, undefined);
  // A member may not change the admin's image: Nova's 403 reaches the client.
  const denied = await cli.python(
    `import openstack\nconn = openstack.connect(cloud="stratus-demo")\nconn.compute.set_image_metadata(${id}, k="v")`,
    [],
    CLIENT_TIMEOUT_MS,
  );
  assert.notEqual(denied.code, 0, cli.describe(denied));
  assert.match(denied.stderr, /Not authorized for image/);
});

test('openstack server create, then the server addresses through /servers/{id}/ips', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await cli.json<{ id: string }>('stratus-demo', [
    '--os-compute-api-version',
    '2.1',
    'server',
    'create',
    ...BOOT,
    '--wait',
    'cli-ips',
  ]);
  const ips = await sdk<Record<string, Array<{ addr: string; version: number }>>>(
    'stratus-demo',
    `r = conn.compute.get(${JSON.stringify(`/servers/${created.id}/ips`)})\nprint(json.dumps(r.json()["addresses"]))`,
  );
  assert.deepEqual(Object.keys(ips), ['private']);
  assert.equal(ips.private[0].version, 4);
  const shown = await cli.json<{ addresses: unknown }>('stratus-demo', ['server', 'show', created.id]);
  assert.match(JSON.stringify(shown.addresses), new RegExp(ips.private[0].addr.replace(/\./g, '\\.')));
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', created.id]);
});
