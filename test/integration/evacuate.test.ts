// evacuate (nova/api/openstack/compute/evacuate.py, compute/api.py evacuate) between two in-process
// agents, the source forced down and stopped; the source's clean-up when it comes back
// (_destroy_evacuated_instances) and a delete in the middle of an evacuation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import { novaFault as fault } from '../../src/testing/moves.js';

describe('evacuate from a node that is down', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start({ agents: 2 });
  });
  after(async () => {
    await cloud.close();
  });
  const action = (id: string, body: unknown, as: Persona = 'admin', mv?: string) =>
    cloud.request('POST', `/v2.1/servers/${id}/action`, { as, body, mv });
  const migrationsOf = (id: string) =>
    cloud.stack.deps.db.selectFrom('migrations').selectAll().where('server_id', '=', id).orderBy('id').execute();
  const nodeOf = async (id: string) => (await cloud.server(id)).body.server['OS-EXT-SRV-ATTR:host'] as string;
  const idx = (host: string) => cloud.stack.agents.findIndex((a) => a.host === host);
  const other = (host: string) => cloud.stack.agents.find((a) => a.host !== host)!.host;
  const fake = (host: string) => cloud.stack.agents[idx(host)].driver as FakeDriver;
  const vmTask = async (id: string) => {
    const s = (await cloud.server(id)).body.server;
    return [s.status, s['OS-EXT-STS:vm_state'], s['OS-EXT-STS:task_state']];
  };
  const down = new Set<string>();
  const settle = async () => {
    for (let i = 0; i < 5; i++) for (const a of cloud.stack.agents) if (!down.has(a.host)) await a.drain();
  };
  const forceDown = async (host: string, v: boolean) => {
    const svc = (await cloud.request('GET', `/v2.1/os-services?host=${host}`, { as: 'admin', mv: '2.53' })).body
      .services[0];
    const res = await cloud.request('PUT', `/v2.1/os-services/${svc.id}`, {
      as: 'admin',
      mv: '2.53',
      body: { forced_down: v },
    });
    assert.equal(res.status, 200);
  };
  /** The node stops (keeping its guests, as a dead hypervisor would) and is reported down. */
  const kill = async (host: string) => {
    await forceDown(host, true);
    await cloud.stack.agents[idx(host)].stop();
    down.add(host);
  };
  /** The node comes back: its agent starts again (init_host). */
  const revive = async (host: string) => {
    await forceDown(host, false);
    await cloud.stack.agents[idx(host)].start();
    down.delete(host);
    await settle();
  };
  const holdLeases = async (host: string) =>
    cloud.request('POST', '/stratus/v1/faults', {
      as: 'admin',
      body: { fault: { host, operation: 'lease', mode: 'hang' } },
    });
  const clearFaults = () => cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });

  test('2.1: 200 with adminPass; REBUILD on the other node, migration accepted -> done; the source cleans up on return', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    const dst = other(src);
    assert.equal(await fake(src).power(id), 'running');
    await kill(src);
    try {
      await holdLeases(dst);
      const res = await action(id, { evacuate: { onSharedStorage: false } });
      assert.equal(res.status, 200);
      assert.equal(typeof res.body.adminPass, 'string');
      assert.equal(res.body.adminPass.length, 12);
      assert.deepEqual(await vmTask(id), ['REBUILD', 'active', 'rebuilding']);
      const [m0] = await migrationsOf(id);
      assert.equal(m0.migration_type, 'evacuation');
      assert.equal(m0.status, 'accepted');
      assert.equal(m0.source_compute, src);
      assert.equal(m0.dest_compute, dst);
      await clearFaults();
      await settle();
      assert.deepEqual(await vmTask(id), ['ACTIVE', 'active', null]);
      assert.equal(await nodeOf(id), dst);
      assert.equal(await fake(dst).power(id), 'running');
      assert.equal((await migrationsOf(id))[0].status, 'done');
      const ports = (await cloud.request('GET', `/networking/v2.0/ports?device_id=${id}`, { as: 'admin' })).body.ports;
      assert.ok(ports.length > 0);
      for (const p of ports) assert.equal(p['binding:host_id'], dst);
      const acts = (await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'admin' })).body
        .instanceActions as Array<{ action: string; request_id: string }>;
      const ev = acts.find((a) => a.action === 'evacuate');
      assert.ok(ev);
      const detail = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions/${ev.request_id}`, {
        as: 'admin',
        mv: '2.51',
      });
      assert.deepEqual(
        detail.body.instanceAction.events.map((e: { event: string; result: string }) => [e.event, e.result]),
        [['compute_rebuild_instance', 'Success']],
      );
      // The dead node still holds its guest until it comes back.
      assert.equal(await fake(src).power(id), 'running');
      const list = await cloud.request('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { as: 'admin', mv: '2.23' });
      assert.equal(list.body.migrations[0].migration_type, 'evacuation');
    } finally {
      await clearFaults();
      await revive(src);
    }
    assert.equal(await fake(src).power(id), 'missing');
    assert.equal(await fake(dst).power(id), 'running');
    assert.equal((await migrationsOf(id))[0].status, 'completed');
  });

  test('2.14: empty 200, a stopped server stays stopped; 2.95: an active server ends stopped', async () => {
    const a = await cloud.createServer();
    const b = await cloud.createServer();
    assert.equal((await action(a, { 'os-stop': null }, 'member')).status, 202);
    await settle();
    const src = await nodeOf(a);
    // Both on the same node for the test: move b there if the scheduler put it elsewhere.
    if ((await nodeOf(b)) !== src) {
      assert.equal((await action(b, { migrate: { host: src } }, 'admin', '2.56')).status, 202);
      await settle();
      assert.equal((await action(b, { confirmResize: null })).status, 204);
      await settle();
    }
    await kill(src);
    try {
      const r1 = await action(a, { evacuate: {} }, 'admin', '2.14');
      assert.equal(r1.status, 200);
      assert.equal(r1.text, '');
      const r2 = await action(b, { evacuate: { host: other(src) } }, 'admin', '2.95');
      assert.equal(r2.status, 200);
      assert.equal(r2.text, '');
      await settle();
      assert.deepEqual(await vmTask(a), ['SHUTOFF', 'stopped', null]);
      assert.deepEqual(await vmTask(b), ['SHUTOFF', 'stopped', null]);
      assert.equal(await fake(other(src)).power(b), 'shutdown');
      assert.equal(await nodeOf(b), other(src));
    } finally {
      await revive(src);
    }
    assert.equal(await fake(src).power(a), 'missing');
    assert.equal(await fake(src).power(b), 'missing');
  });

  test('faults: source up, unknown or same host, bad bodies, wrong state, persona matrix', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    // The source is up: Nova's ComputeServiceInUse is a 400.
    assert.deepEqual(
      (await action(id, { evacuate: {} }, 'admin', '2.14')).body,
      fault('badRequest', 400, `Compute service of ${src} is still in use.`),
    );
    const paused = await cloud.createServer();
    if ((await nodeOf(paused)) === src) {
      assert.equal((await action(paused, { pause: null }, 'member')).status, 202);
      await settle();
    }
    await kill(src);
    try {
      const cases: Array<[unknown, string | undefined, number, unknown]> = [
        [{ evacuate: { host: 'nowhere' } }, '2.14', 404, fault('itemNotFound', 404, 'Compute host nowhere not found.')],
        [{ evacuate: { host: src } }, '2.14', 400, fault('badRequest', 400, "The target host can't be the same one.")],
        [
          { evacuate: { force: true } },
          '2.29',
          400,
          fault('badRequest', 400, "Can't force to a non-provided destination"),
        ],
        [
          { evacuate: { onSharedStorage: true, adminPass: 'x' } },
          undefined,
          400,
          fault('badRequest', 400, "admin password can't be changed on existing disk"),
        ],
        [
          { evacuate: {} },
          undefined,
          400,
          fault(
            'badRequest',
            400,
            "Invalid input for field/attribute evacuate. Value: {}. 'onSharedStorage' is a required property",
          ),
        ],
        [
          { evacuate: { onSharedStorage: false } },
          '2.14',
          400,
          fault(
            'badRequest',
            400,
            "Invalid input for field/attribute evacuate. Value: {'onSharedStorage': False}. Additional properties are not allowed ('onSharedStorage' was unexpected)",
          ),
        ],
        [
          { evacuate: { force: false } },
          '2.68',
          400,
          fault(
            'badRequest',
            400,
            "Invalid input for field/attribute evacuate. Value: {'force': False}. Additional properties are not allowed ('force' was unexpected)",
          ),
        ],
        [
          { evacuate: { host: 5 } },
          '2.14',
          400,
          fault('badRequest', 400, "Invalid input for field/attribute host. Value: 5. 5 is not of type 'string'"),
        ],
        [
          { evacuate: { host: 'h'.repeat(256) } },
          '2.14',
          400,
          fault(
            'badRequest',
            400,
            `Invalid input for field/attribute host. Value: ${'h'.repeat(256)}. '${'h'.repeat(256)}' is too long`,
          ),
        ],
        [
          { evacuate: { adminPass: 1 } },
          '2.14',
          400,
          fault('badRequest', 400, "Invalid input for field/attribute adminPass. Value: 1. 1 is not of type 'string'"),
        ],
        [
          { evacuate: 'x' },
          '2.14',
          400,
          fault('badRequest', 400, "Invalid input for field/attribute evacuate. Value: x. 'x' is not of type 'object'"),
        ],
      ];
      for (const [body, mv, status, expected] of cases) {
        const res = await action(id, body, 'admin', mv);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.deepEqual(res.body, expected, JSON.stringify(body));
      }
      if ((await nodeOf(paused)) === src)
        assert.deepEqual(
          (await action(paused, { evacuate: {} }, 'admin', '2.14')).body,
          fault('conflictingRequest', 409, `Cannot 'evacuate' instance ${paused} while it is in vm_state paused`),
        );
      const missing = await action('00000000-0000-4000-8000-000000000000', { evacuate: {} }, 'admin', '2.14');
      assert.equal(missing.status, 404);
      for (const [as, status] of [
        ['member', 403],
        ['reader', 403],
        ['other', 404],
      ] as const) {
        const res = await action(id, { evacuate: {} }, as, '2.14');
        assert.equal(res.status, status, as);
        if (status === 403)
          assert.deepEqual(
            res.body,
            fault('forbidden', 403, "Policy doesn't allow os_compute_api:os-evacuate to be performed."),
          );
      }
      const noToken = await cloud.request('POST', `/v2.1/servers/${id}/action`, { body: { evacuate: {} }, mv: '2.14' });
      assert.equal(noToken.status, 401);
      // Not locked-checked (an admin action); a server with a task is 409.
      assert.equal((await action(id, { lock: null }, 'member')).status, 202);
      await cloud.stack.deps.db.updateTable('servers').set({ task_state: 'rebooting' }).where('id', '=', id).execute();
      assert.deepEqual(
        (await action(id, { evacuate: {} }, 'admin', '2.14')).body,
        fault('conflictingRequest', 409, `Cannot 'evacuate' instance ${id} while it is in task_state rebooting`),
      );
      await cloud.stack.deps.db.updateTable('servers').set({ task_state: null }).where('id', '=', id).execute();
      assert.equal((await action(id, { evacuate: {} }, 'admin', '2.14')).status, 200);
      await settle();
      assert.deepEqual(await vmTask(id), ['ACTIVE', 'active', null]);
      // Named destination down: the conductor's NoValidHost (200, no move, a migration `error`).
      const id2 = await cloud.createServer();
      if ((await nodeOf(id2)) !== src) {
        await kill(await nodeOf(id2));
        const other2 = await nodeOf(id2);
        const res = await action(id2, { evacuate: { host: src } }, 'admin', '2.14');
        assert.equal(res.status, 200);
        assert.deepEqual(await vmTask(id2), ['ACTIVE', 'active', null]);
        assert.equal((await migrationsOf(id2))[0].status, 'error');
        await revive(other2);
      }
    } finally {
      await revive(src);
    }
  });

  test('an injected evacuate failure: ERROR with a fault, the migration failed, no guest on the destination', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    const dst = other(src);
    await kill(src);
    try {
      await cloud.request('POST', '/stratus/v1/faults', {
        as: 'admin',
        body: { fault: { host: dst, operation: 'evacuate', mode: 'fail' } },
      });
      assert.equal((await action(id, { evacuate: {} }, 'admin', '2.14')).status, 200);
      await settle();
      await clearFaults();
      const s = (await cloud.server(id)).body.server;
      assert.equal(s.status, 'ERROR');
      assert.equal(s['OS-EXT-STS:task_state'], null);
      assert.match(s.fault.message, /Injected fault: evacuate failed/);
      assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
      assert.equal((await migrationsOf(id))[0].status, 'failed');
      assert.equal(await fake(dst).power(id), 'missing');
      // ERROR is evacuable again (Nova's allowed vm_states).
      assert.equal((await action(id, { evacuate: {} }, 'admin', '2.14')).status, 200);
      await settle();
      assert.deepEqual(await vmTask(id), ['ACTIVE', 'active', null]);
    } finally {
      await clearFaults();
      await revive(src);
    }
    assert.equal(await fake(src).power(id), 'missing');
  });

  test('a delete during the evacuation: no guest on any node, no migration left open', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    const dst = other(src);
    await kill(src);
    try {
      await holdLeases(dst);
      assert.equal((await action(id, { evacuate: {} }, 'admin', '2.14')).status, 200);
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
      await clearFaults();
      await settle();
      assert.equal((await cloud.server(id)).status, 404);
      assert.equal(await fake(dst).power(id), 'missing');
      assert.equal((await migrationsOf(id))[0].status, 'error');
    } finally {
      await clearFaults();
      await revive(src);
    }
    assert.equal(await fake(src).power(id), 'missing');
    assert.equal(await fake(dst).power(id), 'missing');
  });
});
