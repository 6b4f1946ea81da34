// Tasks handed over in memory to the in-process agent (written already leased to it): what must
// hold when the agent stops, when the writing transaction is retried after a real PostgreSQL
// deadlock, and when faults change.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import pg from 'pg';
import { freshPostgres, TEST_PG_URL } from '../../src/testing/databases.js';

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

test('a delete retried after a deadlock hands over only the task of the attempt that committed', {
  skip: TEST_PG_URL || process.env.CI ? false : 'needs PostgreSQL (STRATUS_TEST_DATABASE_URL): SQLite never retries',
}, async () => {
  const pgdb = await freshPostgres();
  const rival = new pg.Client({ connectionString: pgdb.url });
  try {
    cloud = await TestCloud.start({ database: pgdb.url });
    const agent = cloud.stack.agents[0];
    const id = await cloud.createServer('member');
    await rival.connect();
    // The deadlock must strike after the delete's first attempt has enqueued (and, in memory,
    // chosen to hand over) its task: at its COMMIT. A deferred constraint trigger on that
    // server's tasks takes a row lock at commit time; the rival holds that row and then asks for
    // the server row the delete holds. PostgreSQL aborts the delete's attempt (40P01, it waited
    // first) and transact runs it again, after the rival's delete has committed.
    await rival.query(`
      create table handover_bait (id int primary key);
      insert into handover_bait values (1);
      create function handover_bait_lock() returns trigger language plpgsql as $$
      begin perform 1 from handover_bait where id = 1 for update; return null; end $$;
      create constraint trigger handover_bait_on_task after insert on tasks
        deferrable initially deferred for each row
        when (new.server_id = '${id}') execute function handover_bait_lock();`);
    // A longer deadlock_timeout for the rival: the delete (waiting first) is the one aborted.
    await rival.query("set deadlock_timeout = '30s'");
    await rival.query('begin');
    await rival.query('select 1 from handover_bait where id = 1 for update');

    const driver = agent.driver as FakeDriver;
    const destroyed: string[] = [];
    const destroy = driver.destroy.bind(driver);
    driver.destroy = async (x: string) => {
      destroyed.push(x);
      await destroy(x);
    };
    const del = cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    // Wait until the delete's commit waits for the bait row, then close the cycle.
    for (let waited = 0; ; waited += 10) {
      const r = await rival.query(
        `select count(*)::int as n from pg_stat_activity
           where wait_event_type = 'Lock' and datname = current_database() and pid <> pg_backend_pid()`,
      );
      if (r.rows[0].n > 0) break;
      if (waited > 10000) throw new Error('the delete never reached its commit');
      await new Promise((res) => setTimeout(res, 10));
    }
    const row = await rival.query('select task_state from servers where id = $1 for update', [id]);
    assert.equal(row.rows[0].task_state, null, "the delete's first attempt was rolled back");
    // The rival delete: its task is leased elsewhere, so only it may destroy the guest.
    const later = new Date(Date.now() + 60000).toISOString();
    await rival.query("update servers set task_state = 'deleting' where id = $1", [id]);
    await rival.query(
      `insert into tasks (id, kind, server_id, host, payload, state, attempts, max_attempts, lease_owner,
         lease_expires_at, run_after, last_error, created_at, updated_at, result)
       values ('rival', 'terminate', $1, $2, '{}', 'leased', 1, 5, 'elsewhere', $3, $3, null, $3, $3, null)`,
      [id, agent.host, later],
    );
    await rival.query('commit');

    assert.equal((await del).status, 204);
    // A handed-over task is started before the response is sent; on PostgreSQL its first read
    // takes a round trip, so let the agent finish what it holds (the rival's task is not its).
    await cloud.drain();
    assert.deepEqual(destroyed, [], "the rolled-back attempt's task was run");
    assert.equal(
      await driver.power(id),
      'running',
      'the guest still runs: only the rival, leased elsewhere, may destroy it',
    );
    assert.equal((await cloud.row(id))?.task_state, 'deleting', 'the rival delete owns the server');
    const tasks = await cloud.stack.deps.db.selectFrom('tasks').select('id').where('server_id', '=', id).execute();
    assert.deepEqual(
      tasks.map((t) => t.id),
      ['rival'],
      "the first attempt's task was rolled back; the retry (a repeated delete) added none",
    );
    const deletes = await cloud.stack.deps.db
      .selectFrom('instance_actions')
      .select('id')
      .where('server_id', '=', id)
      .where('action', '=', 'delete')
      .execute();
    assert.equal(deletes.length, 0, "the first attempt's instance action was rolled back");
  } finally {
    await rival.end().catch(() => {});
    await cloud?.close();
    cloud = undefined;
    await pgdb.drop();
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
