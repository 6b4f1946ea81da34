// The `freeze` node fault (issue 14): a hung compute node. No heartbeats (down after
// service_down_time), no tasks leased; a DELETE then takes the local path; removing the fault
// resumes the node and its orphan reaper destroys the guest. On every dialect.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCloud } from '../../src/testing/kit.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import { databaseTargets } from '../../src/testing/databases.js';

const host = 'compute-test';

/** Polls `check` every 100 ms until true, for at most `ms` (bounded: no timing assertion). */
async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

for (const target of databaseTargets()) {
  describe(`node freeze on ${target.name}`, () => {
    let cloud: TestCloud;
    let dropDb: () => Promise<void> = async () => {};
    before(async () => {
      const db = await target.url();
      dropDb = db.drop;
      cloud = await TestCloud.start({ database: db.url, serviceDownTime: 2, reportInterval: 1 });
    });
    after(async () => {
      await cloud.close();
      await dropDb();
    });

    const driver = () => cloud.stack.agents[0].driver as FakeDriver;
    const freeze = async (extra: Record<string, unknown> = {}) =>
      cloud.request('POST', '/stratus/v1/faults', {
        as: 'admin',
        body: { fault: { host, operation: 'freeze', mode: 'hang', ...extra } },
      });
    const nodeState = async () => {
      const res = await cloud.request('GET', '/v2.1/os-services?binary=nova-compute', { as: 'admin' });
      assert.equal(res.status, 200, res.text);
      return (res.body.services as Array<{ host: string; state: string }>).find((s) => s.host === host)?.state;
    };

    test('frozen: the node goes down, a DELETE is local; unfrozen: it is up again and the guest is reaped', async () => {
      const id = await cloud.createServer();
      assert.equal(await driver().power(id), 'running');
      const res = await freeze();
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.fault.operation, 'freeze');
      assert.equal(res.body.fault.mode, 'hang');
      await waitFor('the frozen node to be down', async () => (await nodeState()) === 'down');

      const del = await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
      assert.equal(del.status, 204, del.text);
      assert.equal((await cloud.server(id, 'member')).status, 404, 'a local delete: gone at once');
      const steps = (await cloud.request('GET', `/stratus/v1/servers/${id}/timeline`, { as: 'admin' })).body.timeline
        .steps as Array<{ step: string; message: string | null }>;
      assert.match(steps.find((s) => s.step === 'deleted')?.message ?? '', /compute node compute-test is down/);
      await cloud.stack.agents[0].periodic(); // a frozen node runs no periodic job
      assert.equal(await driver().power(id), 'running', 'the frozen node did not hear of it');

      const removed = await cloud.request('DELETE', `/stratus/v1/faults/${res.body.fault.id}`, { as: 'admin' });
      assert.equal(removed.status, 204);
      await waitFor('the guest to be reaped', async () => (await driver().power(id)) === 'missing');
      await waitFor('the node to be up', async () => (await nodeState()) === 'up');
    });

    test('frozen: no task is leased; cleared by host: the node resumes and runs it', async () => {
      const res = await freeze();
      assert.equal(res.status, 201, res.text);
      const id = await cloud.createServer('member', {}, { wait: false });
      await cloud.stack.agents[0].drain(50); // gives the agent rounds to (not) lease the build
      assert.equal((await cloud.server(id)).body.server.status, 'BUILD');
      const task = await cloud.stack.deps.db
        .selectFrom('tasks')
        .select(['state'])
        .where('server_id', '=', id)
        .where('kind', '=', 'spawn')
        .executeTakeFirst();
      assert.equal(task?.state, 'queued', 'the frozen node leased nothing');
      const cleared = await cloud.request('DELETE', `/stratus/v1/faults?host=${host}`, { as: 'admin' });
      assert.equal(cleared.status, 204);
      await cloud.drain();
      await waitFor('the build to finish', async () => (await cloud.server(id)).body.server.status === 'ACTIVE');
    });

    test('bad input: freeze with another mode, a count or a server: 400 with the Stratus fault body', async () => {
      for (const [extra, message] of [
        [{ mode: 'fail' }, "Invalid fault: operation 'freeze' takes mode 'hang' only"],
        [{ mode: 'delay', delay_ms: 10 }, "Invalid fault: operation 'freeze' takes mode 'hang' only"],
        [{ count: 1 }, "Invalid fault: operation 'freeze' lasts until removed: no count"],
        [
          { server_id: '00000000-0000-4000-8000-000000000000' },
          "Invalid fault: operation 'freeze' applies to a whole node: no server_id",
        ],
      ] as const) {
        const res = await freeze(extra);
        assert.equal(res.status, 400, JSON.stringify(extra));
        assert.deepEqual(res.body, { badRequest: { code: 400, message } });
      }
      const bad = await freeze({ mode: 'freeze' });
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body), ['badRequest']);
      const faults = await cloud.request('GET', '/stratus/v1/faults', { as: 'admin' });
      assert.deepEqual(faults.body.faults, [], 'nothing was injected');
    });
  });
}
