// changePassword's plaintext password lives in the task payload only while the work is in
// flight: after the request ends no tasks row holds it, on every path (done, dead, timed out
// before a node took the task, timed out while a node held it). SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import { iso } from '../../src/domain/clock.js';

for (const target of databaseTargets()) {
  describe(`no plaintext password stays in the tasks table (${target.name})`, () => {
    let cloud: TestCloud;
    let db: { url: string; drop(): Promise<void> };
    before(async () => {
      db = await target.url();
      // Two tests wait out the request's timeout: 3 s instead of the default 10 (the answered
      // paths take milliseconds, so 3 s still leaves them a wide margin on a loaded machine).
      cloud = await TestCloud.start({ database: db.url, rpcResponseTimeout: 3 });
    });
    after(async () => {
      await cloud?.close();
      await db?.drop();
    });

    const driver = () => cloud.stack.agents[0].driver as FakeDriver;
    const change = (id: string, adminPass: string) =>
      cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { changePassword: { adminPass } } });
    /** Every row of the tasks table that mentions `secret` anywhere. */
    const holding = async (secret: string) =>
      (await cloud.stack.deps.db.selectFrom('tasks').selectAll().execute()).filter((t) =>
        JSON.stringify(t).includes(secret),
      );
    const setFault = async (f: Record<string, unknown>) => {
      const res = await cloud.request('POST', '/stratus/v1/faults', {
        as: 'admin',
        body: { fault: { host: 'compute-test', ...f } },
      });
      assert.equal(res.status, 201, res.text);
    };
    const clearFaults = () => cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
    const timedOut = (id: string) => ({
      conflictingRequest: {
        code: 409,
        message: `Failed to set admin password on ${id} because its compute node did not answer`,
      },
    });

    test('done: the request answered 202; no row holds the password', async () => {
      const id = await cloud.createServer();
      const res = await change(id, 'done-S3cret');
      assert.equal(res.status, 202, res.text);
      assert.equal(driver().passwordOf(id), 'done-S3cret');
      assert.deepEqual(await holding('done-S3cret'), []);
    });

    test('done with nobody waiting (the API process went away): the agent scrubs the row itself', async () => {
      const id = await cloud.createServer();
      const { deps } = cloud.stack;
      await deps.db
        .updateTable('servers')
        .set({ task_state: 'updating_password', updated_at: iso(deps.clock.now()) })
        .where('id', '=', id)
        .execute();
      const task = await deps.transact((tx) =>
        deps.tasks.enqueue(tx, {
          kind: 'set_password',
          serverId: id,
          host: 'compute-test',
          payload: { password: 'orphan-S3cret' },
        }),
      );
      deps.tasks.dispatch([task]);
      await cloud.drain();
      assert.equal(driver().passwordOf(id), 'orphan-S3cret');
      assert.deepEqual(await holding('orphan-S3cret'), []);
      const left = await deps.db.selectFrom('tasks').selectAll().where('server_id', '=', id).execute();
      assert.equal(left.length, 1, 'the answer stays for a reader');
      assert.deepEqual([left[0].state, JSON.parse(left[0].result ?? 'null')], ['done', { ok: true }]);
      assert.equal((await cloud.server(id)).body.server['OS-EXT-STS:task_state'], null);
    });

    test('dead: a task the agent gives up keeps its row for inspection, without the password', async () => {
      const id = await cloud.createServer();
      const { deps } = cloud.stack;
      const now = iso(deps.clock.now());
      await deps.db
        .updateTable('servers')
        .set({ task_state: 'updating_password', updated_at: now })
        .where('id', '=', id)
        .execute();
      // A payload the handler cannot read fails for good at once: the runner marks it dead.
      await deps.db
        .insertInto('tasks')
        .values({
          id: deps.ids.uuid(),
          kind: 'set_password',
          server_id: id,
          host: 'compute-test',
          payload: '{"password":"dead-S3cret",',
          state: 'queued',
          attempts: 0,
          max_attempts: 3,
          lease_owner: null,
          lease_expires_at: null,
          run_after: now,
          last_error: null,
          created_at: now,
          updated_at: now,
          result: null,
        })
        .execute();
      await cloud.drain();
      const dead = await deps.db.selectFrom('tasks').selectAll().where('server_id', '=', id).execute();
      assert.equal(dead.length, 1);
      assert.equal(dead[0].state, 'dead');
      assert.equal(dead[0].payload, '{}');
      assert.deepEqual(await holding('dead-S3cret'), []);
    });

    test('timed out before a node took the task: the task is withdrawn, the server free again', async () => {
      const id = await cloud.createServer();
      await setFault({ operation: 'lease', mode: 'hang' });
      try {
        const res = await change(id, 'queued-S3cret');
        assert.equal(res.status, 409, res.text);
        assert.deepEqual(res.body, timedOut(id));
        assert.deepEqual(await holding('queued-S3cret'), []);
        assert.equal((await cloud.server(id)).body.server['OS-EXT-STS:task_state'], null);
      } finally {
        await clearFaults();
      }
      await cloud.drain();
      assert.equal(driver().passwordOf(id), undefined, 'the withdrawn task never ran');
    });

    test('timed out while a node held the task: its row is scrubbed, the node finishes with what it read', async () => {
      const id = await cloud.createServer();
      await setFault({ operation: 'set_password', mode: 'hang' });
      let res: Awaited<ReturnType<typeof change>>;
      try {
        res = await change(id, 'leased-S3cret');
        assert.deepEqual(await holding('leased-S3cret'), []);
      } finally {
        await clearFaults();
      }
      assert.equal(res.status, 409, res.text);
      assert.deepEqual(res.body, timedOut(id));
      await cloud.drain();
      assert.deepEqual(await holding('leased-S3cret'), []);
      assert.equal((await cloud.server(id)).body.server['OS-EXT-STS:task_state'], null);
    });
  });
}
