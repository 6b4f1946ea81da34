// Soft delete (reclaim_instance_interval > 0): behaviour rows B29–B38 (docs/delete-server.md §7), with an injected clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { ManualClock } from '../../src/domain/clock.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';

let cloud: TestCloud;
const clock = new ManualClock(new Date());
const del = (id: string, as: Persona = 'member') => cloud.request('DELETE', `/v2.1/servers/${id}`, { as });
const action = (id: string, body: unknown, as: Persona = 'member') =>
  cloud.request('POST', `/v2.1/servers/${id}/action`, { as, body });
const driver = () => cloud.stack.agents[0].driver as FakeDriver;
const status = async (id: string) => (await cloud.server(id)).body.server?.status;
async function deleteActions(id: string) {
  const res = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'member', mv: '2.21' });
  return (res.body.instanceActions as Array<{ action: string }>).filter((a) => a.action === 'delete').length;
}

before(async () => {
  cloud = await TestCloud.start({ reclaimInstanceInterval: 60 }, { clock });
});
after(async () => {
  await cloud.close();
});

test('B29 DELETE soft-deletes a launched server: SOFT_DELETED, still readable, resources kept', async () => {
  const id = await cloud.createServer();
  assert.equal((await del(id)).status, 204);
  await cloud.drain();
  const s = (await cloud.server(id, 'member')).body.server;
  assert.equal(s.status, 'SOFT_DELETED');
  assert.equal(s['OS-EXT-STS:vm_state'], 'soft-delete');
  assert.equal(s['OS-EXT-STS:task_state'], null);
  assert.equal(
    (await cloud.request('GET', `/networking/v2.0/ports?device_id=${id}`, { as: 'admin' })).body.ports.length,
    1,
  );
  assert.equal(await driver().power(id), 'shutdown');
  assert.equal(await deleteActions(id), 1);
  // Hidden from the default list (B44), shown to admins with deleted=true (B46).
  assert.ok(
    !(await cloud.request('GET', '/v2.1/servers', { as: 'member' })).body.servers.some(
      (x: { id: string }) => x.id === id,
    ),
  );
  const adm = await cloud.request('GET', '/v2.1/servers/detail?deleted=true&all_tenants=1', { as: 'admin' });
  assert.ok(adm.body.servers.some((x: { id: string; status: string }) => x.id === id && x.status === 'SOFT_DELETED'));
});

test('B30 never launched: a hard delete', async () => {
  await cloud.request('POST', '/stratus/v1/faults', {
    as: 'admin',
    body: { fault: { host: 'compute-test', operation: 'lease', mode: 'hang' } },
  });
  const id = await cloud.createServer('member', {}, { wait: false });
  assert.equal((await del(id)).status, 204);
  assert.equal((await cloud.server(id)).status, 404);
  await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
  await cloud.drain();
});

test('B32 DELETE again on a SOFT_DELETED server: stays SOFT_DELETED, new delete action, timer restarts', async () => {
  const id = await cloud.createServer();
  await del(id);
  await cloud.drain();
  const first = (await cloud.row(id))!.deleted_at!;
  clock.advance(1000);
  assert.equal((await del(id)).status, 204);
  await cloud.drain();
  assert.equal(await status(id), 'SOFT_DELETED');
  assert.equal(await deleteActions(id), 2);
  assert.ok((await cloud.row(id))!.deleted_at! > first);
});

test('B33 restore brings it back to ACTIVE', async () => {
  const id = await cloud.createServer();
  await del(id);
  await cloud.drain();
  assert.equal((await action(id, { restore: null })).status, 202);
  await cloud.drain();
  assert.equal(await status(id), 'ACTIVE');
  assert.equal(await driver().power(id), 'running');
  assert.equal((await cloud.row(id))!.deleted_at, null);
});

test("B35 restore of a locked server by its owner: 409 with Nova's generic message", async () => {
  const id = await cloud.createServer();
  await del(id);
  await cloud.drain();
  await action(id, { lock: null }, 'admin');
  const res = await action(id, { restore: null });
  assert.equal(res.status, 409);
  assert.deepEqual(res.body, {
    conflictingRequest: { code: 409, message: `Instance ${id} is in an invalid state for 'restore'` },
  });
});

test('B36 forceDelete of a SOFT_DELETED server: a hard delete', async () => {
  const id = await cloud.createServer();
  await del(id);
  await cloud.drain();
  assert.equal((await action(id, { forceDelete: null })).status, 202);
  await cloud.drain();
  assert.equal((await cloud.server(id)).status, 404);
  assert.equal(await driver().power(id), 'missing');
  assert.equal(
    (await cloud.request('GET', `/networking/v2.0/ports?device_id=${id}`, { as: 'admin' })).body.ports.length,
    0,
  );
});

test('B31 compute down: local, not restorable, lists as DELETED for admins', async () => {
  const id = await cloud.createServer();
  const svc = (await cloud.request('GET', '/v2.1/os-services', { as: 'admin', mv: '2.53' })).body.services[0];
  await cloud.request('PUT', `/v2.1/os-services/${svc.id}`, { as: 'admin', mv: '2.53', body: { forced_down: true } });
  try {
    assert.equal((await del(id)).status, 204);
    assert.equal((await cloud.server(id)).status, 404);
    assert.equal((await action(id, { restore: null })).status, 404);
    const adm = await cloud.request('GET', '/v2.1/servers/detail?deleted=true&all_tenants=1', { as: 'admin' });
    assert.ok(adm.body.servers.some((x: { id: string; status: string }) => x.id === id && x.status === 'DELETED'));
  } finally {
    await cloud.request('PUT', `/v2.1/os-services/${svc.id}`, {
      as: 'admin',
      mv: '2.53',
      body: { forced_down: false },
    });
  }
});

test('reclaim: after the interval the agent hard-deletes soft-deleted servers', async () => {
  const id = await cloud.createServer();
  await del(id);
  await cloud.drain();
  assert.equal(await status(id), 'SOFT_DELETED');
  clock.advance(61_000);
  await cloud.stack.agents[0].heartbeat();
  await cloud.stack.agents[0].periodic();
  assert.equal((await cloud.server(id)).status, 404);
  assert.equal(await driver().power(id), 'missing');
  assert.equal(
    (await cloud.request('GET', `/networking/v2.0/ports?device_id=${id}`, { as: 'admin' })).body.ports.length,
    0,
  );
});

test('an expired token is refused (401)', async () => {
  const { token } = await cloud.issueToken('demo', 'demo');
  clock.advance(3601_000);
  await cloud.stack.agents[0].heartbeat();
  const res = await cloud.request('GET', '/v2.1/servers', { token });
  assert.equal(res.status, 401);
  assert.equal(res.body.error.title, 'Unauthorized');
});
