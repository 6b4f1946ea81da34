// GET /stratus/v1/servers/{id}/timeline (issue 14): the steps of a server's tasks, on every dialect.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { purgeDeletedServers } from '../../src/db/repositories/servers.repository.js';
import { settleVolumeWork } from '../../src/services/volume/volume-work.js';

const host = 'compute-test';
const notFound = (id: string) => ({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });

interface Step {
  request_id: string | null;
  action: string;
  step: string;
  host?: string | null;
  start: string;
  finish: string | null;
  duration_ms: number | null;
  result: 'ok' | 'error' | null;
  message: string | null;
}

for (const target of databaseTargets()) {
  describe(`timeline on ${target.name}`, () => {
    let cloud: TestCloud;
    let dropDb: () => Promise<void> = async () => {};
    before(async () => {
      const db = await target.url();
      dropDb = db.drop;
      cloud = await TestCloud.start({ database: db.url });
    });
    after(async () => {
      await cloud.close();
      await dropDb();
    });

    const timeline = async (id: string, as: Persona = 'member') => {
      const res = await cloud.request('GET', `/stratus/v1/servers/${id}/timeline`, { as });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.timeline.server_id, id);
      return res.body.timeline.steps as Step[];
    };
    const del = async (id: string) => {
      const res = await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
      assert.equal(res.status, 204, res.text);
      return res.headers.get('x-openstack-request-id')!;
    };
    const fault = async (f: Record<string, unknown>) => {
      const res = await cloud.request('POST', '/stratus/v1/faults', { as: 'admin', body: { fault: { host, ...f } } });
      assert.equal(res.status, 201, res.text);
    };
    async function forceDown(down: boolean) {
      const svc = (await cloud.request('GET', '/v2.1/os-services?binary=nova-compute', { as: 'admin', mv: '2.53' }))
        .body.services[0];
      const res = await cloud.request('PUT', `/v2.1/os-services/${svc.id}`, {
        as: 'admin',
        mv: '2.53',
        body: { forced_down: down },
      });
      assert.equal(res.status, 200, res.text);
    }
    const assertOrdered = (steps: Step[]) => {
      for (let i = 1; i < steps.length; i++) assert.ok(steps[i - 1].start <= steps[i].start, 'ordered by start');
      for (const s of steps) {
        assert.ok(s.finish !== null && s.duration_ms !== null && s.duration_ms >= 0, `${s.step}: a duration`);
        assert.equal(s.duration_ms, Date.parse(s.finish!) - Date.parse(s.start));
      }
    };

    test("a delete's timeline: request, task queued and leased, driver destroy, ports released, deleted", async () => {
      const id = await cloud.createServer();
      const requestId = await del(id);
      await cloud.drain();
      const steps = await timeline(id);
      assertOrdered(steps);
      const mine = steps.filter((s) => s.request_id === requestId);
      assert.deepEqual(
        mine.map((s) => s.step),
        ['request', 'task.queued', 'task.leased', 'driver.destroy', 'ports.released', 'deleted', 'task.finished'],
      );
      assert.ok(mine.every((s) => s.action === 'delete' && s.result === 'ok'));
      assert.equal(mine.find((s) => s.step === 'ports.released')?.message, '1 deleted, 0 unbound');
      assert.ok(
        mine.every((s) => !('host' in s)),
        'a member sees no host (as Nova hides the events host)',
      );
      // The server's create left its own steps before.
      assert.ok(steps.some((s) => s.action === 'create' && s.step === 'driver.spawn'));
      const asAdmin = (await timeline(id, 'admin')).filter((s) => s.request_id === requestId);
      assert.equal(asAdmin.find((s) => s.step === 'driver.destroy')?.host, host);
      assert.equal(asAdmin.find((s) => s.step === 'request')?.host, null);
    });

    test('a failed destroy: its step and the task say error; a second delete adds its own steps', async () => {
      const id = await cloud.createServer();
      await fault({ server_id: id, operation: 'destroy', mode: 'fail', count: 1 });
      const first = await del(id);
      await cloud.drain();
      const failed = (await timeline(id)).filter((s) => s.request_id === first);
      const destroy = failed.find((s) => s.step === 'driver.destroy')!;
      assert.equal(destroy.result, 'error');
      assert.match(destroy.message ?? '', /injected/i);
      assert.equal(failed.find((s) => s.step === 'task.finished')?.result, 'error');
      assert.equal(failed.find((s) => s.step === 'request')?.result, 'error');
      assert.ok(!failed.some((s) => s.step === 'deleted'));
      const second = await del(id);
      await cloud.drain();
      const ok = (await timeline(id)).filter((s) => s.request_id === second);
      assert.ok(
        ok.some((s) => s.step === 'deleted'),
        JSON.stringify(await cloud.row(id)),
      );
    });

    test('a delete on a down node (local): the API records its steps; no host', async () => {
      const id = await cloud.createServer();
      await forceDown(true);
      let requestId: string;
      try {
        requestId = await del(id);
      } finally {
        await forceDown(false);
      }
      const steps = (await timeline(id, 'admin')).filter((s) => s.request_id === requestId);
      assertOrdered(steps);
      assert.deepEqual(
        steps.map((s) => s.step),
        ['request', 'ports.released', 'deleted'],
      );
      assert.match(steps[2].message ?? '', /local delete: compute node .* is down/);
      assert.ok(steps.every((s) => s.host === null && s.action === 'delete'));
      await cloud.stack.agents[0].periodic(); // the orphan goes; the timeline stays
    });

    async function attachVolume(server: string): Promise<string> {
      const v = await cloud.request('POST', `/volume/v3/${cloud.projects.member}/volumes`, {
        as: 'member',
        body: { volume: { size: 1 } },
      });
      assert.equal(v.status, 202, v.text);
      await settleVolumeWork(cloud.stack.deps);
      const res = await cloud.request('POST', `/v2.1/servers/${server}/os-volume_attachments`, {
        as: 'member',
        mv: '2.79',
        body: { volumeAttachment: { volumeId: v.body.volume.id, delete_on_termination: true } },
      });
      assert.equal(res.status, 200, res.text);
      await cloud.drain();
      return v.body.volume.id;
    }

    test('with a volume: the delete detaches and releases it (remote and local)', async () => {
      const id = await cloud.createServer();
      await attachVolume(id);
      const requestId = await del(id);
      await cloud.drain();
      const steps = (await timeline(id)).filter((s) => s.request_id === requestId);
      assertOrdered(steps);
      assert.deepEqual(
        steps.map((s) => s.step),
        [
          'request',
          'task.queued',
          'task.leased',
          'driver.destroy',
          'volumes.detached',
          'driver.detachVolume',
          'ports.released',
          'volumes.released',
          'deleted',
          'task.finished',
        ],
      );
      assert.equal(steps.find((s) => s.step === 'volumes.released')?.message, '1 volume(s)');

      const local = await cloud.createServer();
      await attachVolume(local);
      await forceDown(true);
      let localRequest: string;
      try {
        localRequest = await del(local);
      } finally {
        await forceDown(false);
      }
      assert.deepEqual(
        (await timeline(local)).filter((s) => s.request_id === localRequest).map((s) => s.step),
        ['request', 'ports.released', 'volumes.released', 'deleted'],
      );
      await cloud.stack.agents[0].periodic();
    });

    test('a console read leaves no steps; a reboot leaves the generic ones', async () => {
      const id = await cloud.createServer();
      const before = (await timeline(id)).length;
      const out = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
        as: 'member',
        body: { 'os-getConsoleOutput': { length: 5 } },
      });
      assert.equal(out.status, 200, out.text);
      await cloud.drain();
      assert.equal((await timeline(id)).length, before);
      const reboot = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
        as: 'member',
        body: { reboot: { type: 'SOFT' } },
      });
      assert.equal(reboot.status, 202, reboot.text);
      await cloud.drain();
      const rid = reboot.headers.get('x-openstack-request-id');
      assert.deepEqual(
        (await timeline(id)).filter((s) => s.request_id === rid).map((s) => [s.action, s.step]),
        [
          ['reboot', 'request'],
          ['reboot', 'task.queued'],
          ['reboot', 'task.leased'],
          ['reboot', 'driver.reboot'],
          ['reboot', 'task.finished'],
        ],
      );
    });

    test("another project's server, an unknown or malformed id: 404 with Nova's body; no token: 401", async () => {
      const id = await cloud.createServer();
      const other = await cloud.request('GET', `/stratus/v1/servers/${id}/timeline`, { as: 'other' });
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, notFound(id));
      const unknown = '00000000-0000-4000-8000-000000000000';
      const res = await cloud.request('GET', `/stratus/v1/servers/${unknown}/timeline`, { as: 'admin' });
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, notFound(unknown));
      const bad = await cloud.request('GET', '/stratus/v1/servers/not-a-uuid/timeline', { as: 'member' });
      assert.equal(bad.status, 404);
      assert.deepEqual(bad.body, notFound('not-a-uuid'));
      const anon = await cloud.request('GET', `/stratus/v1/servers/${id}/timeline`);
      assert.equal(anon.status, 401);
      assert.equal((await cloud.request('GET', `/stratus/v1/servers/${id}/timeline`, { as: 'reader' })).status, 200);
      assert.ok((await timeline(id, 'admin')).length > 0, 'admins see any project');
    });

    test('db purge removes the steps of the servers it purges', async () => {
      const id = await cloud.createServer();
      await del(id);
      await cloud.drain();
      const db = cloud.stack.deps.db;
      const count = async () =>
        (await db.selectFrom('task_steps').select('id').where('server_id', '=', id).execute()).length;
      assert.ok((await count()) > 0);
      await purgeDeletedServers(db, new Date(Date.now() + 86_400_000).toISOString());
      assert.equal(await count(), 0);
      const res = await cloud.request('GET', `/stratus/v1/servers/${id}/timeline`, { as: 'admin' });
      assert.equal(res.status, 404);
    });
  });
}

describe('timeline of a soft delete (reclaim_instance_interval > 0)', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start({ reclaimInstanceInterval: 60 });
  });
  after(async () => {
    await cloud.close();
  });

  test('the soft_delete task: queued, leased, the driver powers the guest off, finished; restore adds its own', async () => {
    const id = await cloud.createServer();
    const del = await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    assert.equal(del.status, 204);
    const requestId = del.headers.get('x-openstack-request-id');
    await cloud.drain();
    const res = await cloud.request('GET', `/stratus/v1/servers/${id}/timeline`, { as: 'member' });
    assert.equal(res.status, 200, res.text);
    const steps = (res.body.timeline.steps as Step[]).filter((s) => s.request_id === requestId);
    assert.deepEqual(
      steps.map((s) => s.step),
      ['request', 'task.queued', 'task.leased', 'driver.power', 'driver.powerOff', 'task.finished'],
    );
    assert.ok(steps.every((s) => s.action === 'delete' && s.result === 'ok' && (s.duration_ms ?? -1) >= 0));
    const restore = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { restore: null },
    });
    assert.equal(restore.status, 202, restore.text);
    await cloud.drain();
    const after = (await cloud.request('GET', `/stratus/v1/servers/${id}/timeline`, { as: 'member' })).body.timeline
      .steps as Step[];
    const restored = after.filter((s) => s.request_id === restore.headers.get('x-openstack-request-id'));
    assert.deepEqual(
      restored.map((s) => [s.action, s.step]),
      [
        ['restore', 'request'],
        ['restore', 'task.queued'],
        ['restore', 'task.leased'],
        ['restore', 'driver.powerOn'],
        ['restore', 'task.finished'],
      ],
    );
  });
});
