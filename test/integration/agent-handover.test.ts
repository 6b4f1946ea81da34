// Tasks handed over in memory to the in-process agent (written already leased to it): what must
// hold when the agent stops, when the writing transaction is retried, and when faults change.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import type { Transact } from '../../src/db/dialects/transact.js';

let cloud: TestCloud | undefined;
afterEach(async () => {
  await cloud?.close();
  cloud = undefined;
});

test('agent stop waits for its tasks and starts no handed-over task after it; the next start finishes the delete', async () => {
  cloud = await TestCloud.start();
  const agent = cloud.stack.agents[0];
  const driver = agent.driver as FakeDriver;
  const id = await cloud.createServer('member');
  // A stop held at a gate keeps the server busy, so the delete's task waits in the hand-over queue.
  let entered!: () => void;
  const powerOffEntered = new Promise<void>((r) => {
    entered = r;
  });
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const powerOff = driver.powerOff.bind(driver);
  driver.powerOff = async (x: string) => {
    entered();
    await gate;
    await powerOff(x);
  };
  let stopping = false;
  let destroyedWhileStopping = false;
  const destroy = driver.destroy.bind(driver);
  driver.destroy = async (x: string) => {
    if (stopping) destroyedWhileStopping = true;
    await destroy(x);
  };

  assert.equal(
    (await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { 'os-stop': null } })).status,
    202,
  );
  await powerOffEntered;
  assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
  stopping = true;
  const stopped = agent.stop();
  release();
  await stopped;
  await new Promise((r) => setImmediate(r));
  assert.equal(destroyedWhileStopping, false, 'a handed-over task started while the agent stopped');
  const task = await cloud.stack.deps.db
    .selectFrom('tasks')
    .selectAll()
    .where('server_id', '=', id)
    .where('kind', '=', 'terminate')
    .executeTakeFirst();
  assert.equal(task?.state, 'leased', 'the delete stays leased to the stopped agent, for its next start');

  stopping = false;
  await agent.start();
  await cloud.drain();
  assert.equal((await cloud.server(id)).status, 404);
  assert.equal(await driver.power(id), 'missing', 'the guest is destroyed');
});

test('a delete retried after a deadlock hands over only the task of the attempt that committed', async () => {
  cloud = await TestCloud.start();
  const { deps } = cloud.stack;
  const agent = cloud.stack.agents[0];
  const id = await cloud.createServer('member');
  // PostgreSQL's transact runs the unit again after 40P01; here the first attempt is rolled back
  // the same way, and a rival delete (its task leased elsewhere) commits before the second one.
  const real: Transact = deps.transact;
  let first = true;
  deps.transact = (async (fn) => {
    if (!first) return real(fn);
    first = false;
    await assert.rejects(
      deps.db.transaction().execute(async (tx) => {
        await fn(tx);
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }),
    );
    const later = new Date(Date.now() + 60000).toISOString();
    await deps.db.updateTable('servers').set({ task_state: 'deleting' }).where('id', '=', id).execute();
    await deps.db
      .insertInto('tasks')
      .values({
        id: 'rival',
        kind: 'terminate',
        server_id: id,
        host: agent.host,
        payload: '{}',
        state: 'leased',
        attempts: 1,
        max_attempts: 5,
        lease_owner: 'elsewhere',
        lease_expires_at: later,
        run_after: later,
        last_error: null,
        created_at: later,
        updated_at: later,
        result: null,
      })
      .execute();
    return real(fn);
  }) as Transact;
  // The gate is the driver's: a handed-over terminate would destroy the guest.
  const driver = agent.driver as FakeDriver;
  const destroyed: string[] = [];
  const destroy = driver.destroy.bind(driver);
  driver.destroy = async (x: string) => {
    destroyed.push(x);
    await destroy(x);
  };
  try {
    // A handed-over task starts before the response is sent: no waiting needed to see it.
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(destroyed, [], "the rolled-back attempt's task was run");
    assert.equal(
      await driver.power(id),
      'running',
      'the guest still runs: only the rival, leased elsewhere, may destroy it',
    );
    assert.equal((await cloud.row(id))?.task_state, 'deleting', 'the rival delete owns the server');
  } finally {
    deps.transact = real;
  }
});

test('faults changed while the agent reads them: the stale read is not cached, tasks keep the fault-aware path', async () => {
  cloud = await TestCloud.start();
  const agent = cloud.stack.agents[0];
  await agent.faults.nodeFault();
  assert.notEqual(agent.directOwner(), null, 'no fault: tasks go straight to the agent');
  agent.faults.changed(); // expire the cache
  const read = agent.faults.nodeFault(); // its query is under way …
  agent.faults.changed(); // … when the control API records a fault and says so
  await read;
  assert.equal(agent.directOwner(), null, 'the read from before the change was cached');
});
