// Every driver operation the agent runs is named in the fault-injection API, so each action's
// failure path can be reproduced (issue 12); found missing for the image, resize and live
// migration operations. Two of them are driven to their failure: rebuild and resize.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCloud } from '../../src/testing/kit.js';

let cloud: TestCloud;
before(async () => {
  cloud = await TestCloud.start();
});
after(async () => {
  await cloud.close();
});

const fault = (f: Record<string, unknown>) =>
  cloud.request('POST', '/stratus/v1/faults', { as: 'admin', body: { fault: { host: 'compute-test', ...f } } });

/** The operations the agent's handlers hand to `driverFor(...)`, read from their compiled sources. */
function agentOperations(): string[] {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'agent');
  const ops = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.js')))
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/driverFor\('([a-z_]+)'\)/g)) ops.add(m[1]);
  return [...ops].sort();
}

test('the fault API accepts every operation the agent runs through the driver', async () => {
  const ops = agentOperations();
  assert.ok(ops.length >= 20, ops.join(','));
  for (const operation of ops) {
    const res = await fault({ operation, mode: 'fail', count: 1 });
    assert.equal(res.status, 201, `${operation}: ${res.text}`);
  }
  assert.equal((await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' })).status, 204);
});

test('an injected rebuild failure leaves the server in ERROR with its fault (Nova)', async () => {
  const id = await cloud.createServer();
  const image = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images[0].id;
  assert.equal((await fault({ server_id: id, operation: 'rebuild', mode: 'fail', count: 1 })).status, 201);
  const res = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
    as: 'member',
    body: { rebuild: { imageRef: image } },
  });
  assert.equal(res.status, 202, res.text);
  await cloud.drain();
  const s = (await cloud.server(id)).body.server;
  assert.deepEqual([s.status, s['OS-EXT-STS:task_state']], ['ERROR', null]);
  assert.match(s.fault.message, /Injected fault: rebuild failed/);
});

test('an injected resize failure on the node ends the move without a task stuck', async () => {
  const id = await cloud.createServer();
  assert.equal((await fault({ server_id: id, operation: 'resize', mode: 'fail', count: 1 })).status, 201);
  const res = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
    as: 'member',
    body: { resize: { flavorRef: '2' } },
  });
  assert.equal(res.status, 202, res.text);
  await cloud.drain();
  const s = (await cloud.server(id)).body.server;
  assert.equal(s['OS-EXT-STS:task_state'], null, JSON.stringify(s));
  const migrations = (await cloud.request('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { as: 'admin' })).body
    .migrations as Array<{ status: string }>;
  assert.deepEqual(
    migrations.map((m) => m.status),
    ['error'],
  );
});
