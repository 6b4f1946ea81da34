// One test per row of the behaviour table (docs/delete-server.md §7) that applies to Stratus.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import { databaseTargets } from '../../src/testing/databases.js';

let cloud: TestCloud;
const host = 'compute-test';
const notFoundBody = (id: string) => ({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
const policyBody = {
  forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:delete to be performed." },
};

async function fault(f: Record<string, unknown>): Promise<string> {
  const res = await cloud.request('POST', '/stratus/v1/faults', { as: 'admin', body: { fault: { host, ...f } } });
  assert.equal(res.status, 201, res.text);
  return res.body.fault.id;
}
async function clearFaults(): Promise<void> {
  const res = await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
  assert.equal(res.status, 204);
}
const del = (id: string, as: Persona = 'member', mv?: string) =>
  cloud.request('DELETE', `/v2.1/servers/${id}`, { as, mv });
const action = (id: string, body: unknown, as: Persona = 'member', mv?: string) =>
  cloud.request('POST', `/v2.1/servers/${id}/action`, { as, body, mv });
const driver = () => cloud.stack.agents[0].driver as FakeDriver;
async function actionsOf(id: string, as: Persona = 'member') {
  const res = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as, mv: '2.21' });
  assert.equal(res.status, 200, res.text);
  return res.body.instanceActions as Array<{ action: string; request_id: string }>;
}
async function portsOf(id: string) {
  return (await cloud.request('GET', `/networking/v2.0/ports?device_id=${id}`, { as: 'admin' })).body
    .ports as unknown[];
}
async function forceDown(down: boolean) {
  const svc = (await cloud.request('GET', '/v2.1/os-services?binary=nova-compute', { as: 'admin', mv: '2.53' })).body
    .services[0];
  const res = await cloud.request('PUT', `/v2.1/os-services/${svc.id}`, {
    as: 'admin',
    mv: '2.53',
    body: { forced_down: down },
  });
  assert.equal(res.status, 200, res.text);
}
async function assertGone(id: string) {
  for (const p of ['admin', 'member'] as Persona[]) {
    const res = await cloud.server(id, p);
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, notFoundBody(id));
  }
  const list = await cloud.request('GET', '/v2.1/servers/detail', { as: 'member' });
  assert.ok(!list.body.servers.some((s: { id: string }) => s.id === id), 'absent from the list');
}

// The whole table runs against every storage backend (SQLite always, PostgreSQL when configured).
for (const target of databaseTargets()) {
  describe(`on ${target.name}`, () => {
    let dropDb: () => Promise<void> = async () => {};
    before(async () => {
      const db = await target.url();
      dropDb = db.drop;
      // shelved_offload_time -1: B10 needs a server that stays SHELVED on its node (B9 offloads it explicitly).
      cloud = await TestCloud.start({ database: db.url, shelvedOffloadTime: -1 });
    });
    after(async () => {
      await cloud.close();
      await dropDb();
    });

    describe('delete: accepted (204) and what follows', () => {
      test('B1 owner deletes an ACTIVE server: 204, task_state deleting while it runs, then gone with ports and guest', async () => {
        const id = await cloud.createServer();
        assert.equal((await portsOf(id)).length, 1);
        assert.equal(await driver().power(id), 'running');
        await fault({ operation: 'destroy', mode: 'hang', server_id: id });
        const res = await del(id);
        assert.equal(res.status, 204);
        assert.equal(res.text, '');
        assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
        await new Promise((r) => setTimeout(r, 50));
        const during = await cloud.server(id);
        assert.equal(during.body.server.status, 'ACTIVE', 'status keeps its value (B1)');
        assert.equal(during.body.server['OS-EXT-STS:task_state'], 'deleting');
        await clearFaults();
        await cloud.drain();
        await assertGone(id);
        assert.equal((await portsOf(id)).length, 0, 'the port Stratus created is deleted');
        assert.equal(await driver().power(id), 'missing', 'the guest is destroyed');
        const row = await cloud.row(id);
        assert.equal(row?.deleted, 1);
        assert.equal(row?.vm_state, 'deleted');
        assert.ok(row?.deleted_at);
        const acts = await actionsOf(id);
        assert.deepEqual(acts.map((a) => a.action).sort(), ['create', 'delete']);
        const d = acts.find((a) => a.action === 'delete')!;
        assert.equal(d.request_id, res.headers.get('x-openstack-request-id'));
        const show = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions/${d.request_id}`, {
          as: 'admin',
          mv: '2.21',
        });
        assert.equal(show.body.instanceAction.events[0].event, 'compute_terminate_instance');
        assert.equal(show.body.instanceAction.events[0].result, 'Success');
      });

      for (const [state, act, status] of [
        ['SHUTOFF', 'os-stop', 'SHUTOFF'],
        ['PAUSED', 'pause', 'PAUSED'],
        ['SUSPENDED', 'suspend', 'SUSPENDED'],
      ] as const) {
        test(`B2 delete from ${state}`, async () => {
          const id = await cloud.createServer();
          assert.equal((await action(id, { [act]: null })).status, 202);
          await cloud.drain();
          assert.equal((await cloud.server(id)).body.server.status, status);
          assert.equal((await del(id)).status, 204);
          await cloud.drain();
          await assertGone(id);
          assert.equal(await driver().power(id), 'missing');
        });
      }

      test('B3/B4 delete before a host is chosen: gone at once, no delete action', async () => {
        await fault({ operation: 'lease' }).catch(() => undefined);
        await clearFaults();
        await fault({ operation: 'lease', mode: 'hang' });
        const id = await cloud.createServer('member', {}, { wait: false });
        const before = await cloud.server(id);
        assert.equal(before.body.server.status, 'BUILD');
        assert.equal(before.body.server['OS-EXT-SRV-ATTR:host'], null);
        assert.equal((await del(id)).status, 204);
        await assertGone(id);
        assert.equal((await portsOf(id)).length, 0);
        await clearFaults();
        await cloud.drain();
        assert.deepEqual(
          (await actionsOf(id)).map((a) => a.action),
          ['create'],
        );
        assert.equal(await driver().power(id), 'missing', 'the cancelled build never ran');
      });

      test('B5 delete while spawning on a host: deleting, then gone, guest destroyed', async () => {
        await fault({ operation: 'spawn', mode: 'hang' });
        const id = await cloud.createServer('member', {}, { wait: false });
        for (let i = 0; i < 500 && (await cloud.row(id))?.task_state !== 'spawning'; i++)
          await new Promise((r) => setTimeout(r, 10));
        assert.equal((await cloud.row(id))?.host, host);
        assert.equal((await del(id)).status, 204);
        assert.equal((await cloud.server(id)).body.server['OS-EXT-STS:task_state'], 'deleting');
        await clearFaults();
        await cloud.drain();
        await assertGone(id);
        assert.equal(await driver().power(id), 'missing');
      });

      test('B6 compute node down: local delete at once, the guest is reaped when the node is back', async () => {
        const id = await cloud.createServer();
        await forceDown(true);
        try {
          assert.equal((await del(id)).status, 204);
          await assertGone(id);
          assert.equal((await portsOf(id)).length, 0);
          assert.deepEqual((await actionsOf(id)).map((a) => a.action).sort(), ['create', 'delete']);
          assert.equal(await driver().power(id), 'running', 'the node did not hear of it yet');
        } finally {
          await forceDown(false);
        }
        await cloud.stack.agents[0].periodic();
        assert.equal(await driver().power(id), 'missing', 'the orphan was destroyed');
      });

      test('B7 ERROR with no host: local delete', async () => {
        await fault({ operation: 'lease', mode: 'hang' });
        const id = await cloud.createServer('member', {}, { wait: false });
        assert.equal((await action(id, { 'os-resetState': { state: 'error' } }, 'admin')).status, 202);
        assert.equal((await del(id)).status, 204);
        await assertGone(id);
        await clearFaults();
        await cloud.drain();
        assert.deepEqual((await actionsOf(id)).map((a) => a.action).sort(), ['create', 'delete', 'resetState']);
      });

      test('B8 ERROR with a host: remote delete', async () => {
        const id = await cloud.createServer();
        await action(id, { 'os-resetState': { state: 'error' } }, 'admin');
        assert.equal((await cloud.server(id)).body.server.status, 'ERROR');
        assert.equal((await del(id)).status, 204);
        await cloud.drain();
        await assertGone(id);
        assert.equal(await driver().power(id), 'missing');
      });

      test('B9 SHELVED_OFFLOADED: local delete with a delete action', async () => {
        const id = await cloud.createServer();
        await action(id, { shelve: null });
        await cloud.drain();
        await action(id, { shelveOffload: null }, 'admin');
        await cloud.drain();
        assert.equal((await cloud.server(id)).body.server.status, 'SHELVED_OFFLOADED');
        assert.equal((await del(id)).status, 204);
        await assertGone(id);
        assert.ok((await actionsOf(id)).some((a) => a.action === 'delete'));
      });

      test('B10 SHELVED: remote delete', async () => {
        const id = await cloud.createServer();
        await action(id, { shelve: null });
        await cloud.drain();
        assert.equal((await cloud.server(id)).body.server.status, 'SHELVED');
        assert.equal((await del(id)).status, 204);
        await cloud.drain();
        await assertGone(id);
        assert.equal(await driver().power(id), 'missing');
      });

      test('B12 another task in progress: overwritten by deleting', async () => {
        const id = await cloud.createServer();
        await fault({ operation: 'power_off', mode: 'hang', server_id: id });
        assert.equal((await action(id, { 'os-stop': null })).status, 202);
        assert.equal((await cloud.server(id)).body.server['OS-EXT-STS:task_state'], 'powering-off');
        assert.equal((await del(id)).status, 204);
        assert.equal((await cloud.server(id)).body.server['OS-EXT-STS:task_state'], 'deleting');
        await clearFaults();
        await cloud.drain();
        await assertGone(id);
      });

      test('B13 already deleting, compute up: 204, no second action', async () => {
        const id = await cloud.createServer();
        await fault({ operation: 'destroy', mode: 'hang', server_id: id });
        assert.equal((await del(id)).status, 204);
        assert.equal((await del(id)).status, 204);
        assert.equal((await actionsOf(id)).filter((a) => a.action === 'delete').length, 1);
        await clearFaults();
        await cloud.drain();
        await assertGone(id);
      });

      test('B14 already deleting, compute down: the second DELETE finishes it locally', async () => {
        const id = await cloud.createServer();
        await fault({ operation: 'destroy', mode: 'hang', server_id: id });
        assert.equal((await del(id)).status, 204);
        await forceDown(true);
        try {
          assert.equal((await del(id)).status, 204);
          await assertGone(id);
        } finally {
          await forceDown(false);
          await clearFaults();
        }
        await cloud.drain();
      });

      test('B19 locked server, admin: 204', async () => {
        const id = await cloud.createServer();
        assert.equal((await action(id, { lock: null })).status, 202);
        assert.equal((await del(id, 'admin')).status, 204);
        await cloud.drain();
        await assertGone(id);
      });

      test("B23 admin deletes another project's server", async () => {
        const id = await cloud.createServer('other');
        assert.equal((await del(id, 'admin')).status, 204);
        await cloud.drain();
        await assertGone(id);
      });

      for (const mv of ['2.1', '2.9', '2.21', '2.73', '2.96', 'latest']) {
        test(`delete at microversion ${mv}, both path forms`, async () => {
          const a = await cloud.createServer();
          const b = await cloud.createServer();
          const r1 = await cloud.request('DELETE', `/v2.1/servers/${a}`, { as: 'member', mv });
          const r2 = await cloud.request('DELETE', `/v2.1/${cloud.projects.member}/servers/${b}`, { as: 'member', mv });
          for (const r of [r1, r2]) {
            assert.equal(r.status, 204);
            assert.equal(r.headers.get('openstack-api-version'), `compute ${mv === 'latest' ? '2.96' : mv}`);
            assert.equal(r.headers.get('x-openstack-nova-api-version'), mv === 'latest' ? '2.96' : mv);
          }
          await cloud.drain();
          await assertGone(a);
          await assertGone(b);
        });
      }
    });

    describe('delete: refused', () => {
      test('B15 already deleted: 404', async () => {
        const id = await cloud.createServer();
        await del(id);
        await cloud.drain();
        const res = await del(id);
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, notFoundBody(id));
      });

      test('B16 random uuid: 404', async () => {
        const id = '3f0c6a5e-8a8e-4c1e-9d7a-000000000000';
        const res = await del(id);
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, notFoundBody(id));
        assert.equal(res.headers.get('content-type'), 'application/json; charset=UTF-8');
      });

      for (const bad of ['-1', 'abc', '9223372036854775808', 'not-a-uuid']) {
        test(`B17 malformed id ${bad}: 404`, async () => {
          const res = await del(bad);
          assert.equal(res.status, 404);
          assert.deepEqual(res.body, notFoundBody(bad));
        });
      }

      test('B18 locked, owner: 409 and nothing changes', async () => {
        const id = await cloud.createServer();
        await action(id, { lock: null });
        for (const mv of ['2.1', '2.96']) {
          const res = await del(id, 'member', mv);
          assert.equal(res.status, 409);
          assert.deepEqual(res.body, { conflictingRequest: { code: 409, message: `Instance ${id} is locked` } });
        }
        const s = (await cloud.server(id)).body.server;
        assert.equal(s.status, 'ACTIVE');
        assert.equal(s['OS-EXT-STS:task_state'], null);
        assert.equal(s.locked, true);
      });

      test("B20 another project's server: 404", async () => {
        const id = await cloud.createServer('member');
        const res = await del(id, 'other');
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, notFoundBody(id));
        assert.equal((await cloud.server(id)).status, 200);
      });

      test("B21 another project's server still unscheduled: 403", async () => {
        await fault({ operation: 'lease', mode: 'hang' });
        const id = await cloud.createServer('member', {}, { wait: false });
        const res = await del(id, 'other');
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, policyBody);
        await clearFaults();
        await cloud.drain();
        assert.equal((await cloud.server(id)).body.server.status, 'ACTIVE');
      });

      test('B22 reader of the project: 403', async () => {
        const id = await cloud.createServer();
        const res = await del(id, 'reader');
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, policyBody);
      });

      test("B24 URL project id differs from the token's: 400 (also for admins)", async () => {
        const id = await cloud.createServer();
        for (const as of ['member', 'admin'] as Persona[]) {
          const res = await cloud.request('DELETE', `/v2.1/${cloud.projects.other}/servers/${id}`, { as });
          assert.equal(res.status, 400);
          assert.deepEqual(res.body, {
            badRequest: {
              code: 400,
              message: `Malformed request URL: URL's project_id '${cloud.projects.other}' doesn't match Context's project_id '${cloud.projects[as]}'`,
            },
          });
        }
        assert.equal((await cloud.server(id)).status, 200);
      });

      test('B25 no token, bad token: 401 Keystone body with WWW-Authenticate', async () => {
        const id = await cloud.createServer();
        for (const token of [undefined, 'garbage-token']) {
          const res = await cloud.request('DELETE', `/v2.1/servers/${id}`, { token });
          assert.equal(res.status, 401);
          assert.deepEqual(res.body, {
            error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
          });
          assert.match(
            res.headers.get('www-authenticate') ?? '',
            /^Keystone uri="http:\/\/127\.0\.0\.1:\d+\/identity"$/,
          );
        }
        assert.equal((await cloud.server(id)).status, 200);
      });

      test('B25 revoked token: 401', async () => {
        const { token } = await cloud.issueToken('demo', 'demo');
        const rev = await cloud.request('DELETE', '/identity/v3/auth/tokens', {
          token,
          headers: { 'x-subject-token': token },
        });
        assert.equal(rev.status, 204);
        const res = await cloud.request('GET', '/v2.1/servers', { token });
        assert.equal(res.status, 401);
      });

      test('B27 malformed microversion: 400; out of range: 406', async () => {
        const id = await cloud.createServer();
        const bad = await del(id, 'member', '2.x.y');
        assert.equal(bad.status, 400);
        assert.deepEqual(bad.body, {
          badRequest: {
            code: 400,
            message: 'API Version String 2.x.y is of invalid format. Must be of format MajorNum.MinorNum.',
          },
        });
        const high = await del(id, 'member', '2.999');
        assert.equal(high.status, 406);
        assert.deepEqual(high.body, {
          computeFault: {
            code: 406,
            message: 'Version 2.999 is not supported by the API. Minimum is 2.1 and maximum is 2.96.',
          },
        });
        assert.equal(high.headers.get('openstack-api-version'), 'compute 2.999');
        assert.equal((await cloud.server(id)).status, 200);
      });

      test('405 for a method the path does not support, with Allow', async () => {
        const id = await cloud.createServer();
        const res = await cloud.request('PATCH', `/v2.1/servers/${id}`, { as: 'member' });
        assert.equal(res.status, 405);
        assert.deepEqual(res.body, {
          badMethod: { code: 405, message: 'The method specified is not allowed for this resource.' },
        });
        assert.equal(res.headers.get('allow'), 'DELETE, GET, HEAD, PUT');
      });

      test('a body on DELETE is ignored, even malformed', async () => {
        const id = await cloud.createServer();
        const res = await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member', rawBody: '{not json' });
        assert.equal(res.status, 204);
        await cloud.drain();
      });
    });

    describe('delete: failure and recovery', () => {
      test('B42 the driver fails: ERROR with a fault and an Error event; a second DELETE succeeds', async () => {
        const id = await cloud.createServer();
        await fault({ operation: 'destroy', mode: 'fail', server_id: id, count: 1 });
        const first = await del(id);
        assert.equal(first.status, 204);
        await cloud.drain();
        const s = (await cloud.server(id, 'member')).body.server;
        assert.equal(s.status, 'ERROR');
        assert.equal(s['OS-EXT-STS:task_state'], null);
        assert.equal(s.fault.code, 500);
        assert.match(s.fault.message, /Injected fault: destroy failed/);
        assert.equal(s.fault.details, undefined, 'details of a 500 fault are for admins');
        assert.ok((await cloud.server(id, 'admin')).body.server.fault.details);
        assert.equal((await portsOf(id)).length, 1, 'nothing was released');
        const reqId = first.headers.get('x-openstack-request-id')!;
        const ev = (
          await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions/${reqId}`, { as: 'admin', mv: '2.84' })
        ).body.instanceAction.events[0];
        assert.equal(ev.event, 'compute_terminate_instance');
        assert.equal(ev.result, 'Error');
        assert.match(ev.details, /Injected fault/);
        assert.equal((await del(id)).status, 204);
        await cloud.drain();
        await assertGone(id);
      });

      test('a repeated DELETE re-queues a delete whose task died (docs/delete-server.md §3.4)', async () => {
        const id = await cloud.createServer();
        await fault({ operation: 'lease', mode: 'hang' });
        assert.equal((await del(id)).status, 204);
        // Simulate a task lost with its worker: it is dead-lettered, the server stays `deleting`.
        await cloud.stack.deps.db
          .updateTable('tasks')
          .set({ state: 'dead' })
          .where('server_id', '=', id)
          .where('kind', '=', 'terminate')
          .execute();
        await clearFaults();
        await cloud.drain();
        assert.equal((await cloud.server(id)).body.server['OS-EXT-STS:task_state'], 'deleting');
        assert.equal((await del(id)).status, 204);
        await cloud.drain();
        await assertGone(id);
      });

      test('races: 200 concurrent DELETEs of one server: all 204 or 404, one action, destroyed once', async () => {
        const id = await cloud.createServer();
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => del(id, i % 2 ? 'member' : 'admin')));
        for (const r of results) assert.ok(r.status === 204 || r.status === 404, `status ${r.status}`);
        await cloud.drain();
        await assertGone(id);
        assert.equal((await actionsOf(id)).filter((a) => a.action === 'delete').length, 1);
        assert.equal(driver().destroyedCount.get(id), 1);
      });

      test('races: lock racing delete never lets a member delete a locked server', async () => {
        for (let i = 0; i < 10; i++) {
          const id = await cloud.createServer();
          const [lock, d] = await Promise.all([action(id, { lock: null }), del(id)]);
          assert.equal(lock.status === 202 || lock.status === 404, true);
          await cloud.drain();
          const row = await cloud.row(id);
          if (d.status === 204) {
            // The delete won: the server is gone (or going), and a lock that came after either
            // found it gone or locked a server already deleting; never a delete refused later.
            assert.notEqual(
              row?.task_state === null && row?.deleted === 0,
              true,
              'a 204 delete left the server live and idle',
            );
            continue;
          }
          // The lock won: the delete was refused as Nova refuses it, and the server is untouched.
          assert.equal(d.status, 409);
          assert.deepEqual(d.body, { conflictingRequest: { code: 409, message: `Instance ${id} is locked` } });
          assert.equal(lock.status, 202);
          assert.equal(row?.locked_by, 'owner');
          assert.equal((await cloud.server(id)).status, 200);
        }
        await cloud.drain();
      });
    });

    describe('concurrency (review findings)', () => {
      test('concurrent boots never share a fixed IP', async () => {
        const image = (await cloud.request('GET', '/image/v2/images', { as: 'admin' })).body.images[0].id;
        const made = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            cloud.request('POST', '/v2.1/servers', {
              as: i % 2 ? 'member' : 'other',
              mv: '2.37',
              body: { server: { name: `ip-${i}`, imageRef: image, flavorRef: '1', networks: 'auto' } },
            }),
          ),
        );
        for (const r of made) assert.equal(r.status, 202, r.text);
        const ports = (await cloud.request('GET', '/networking/v2.0/ports', { as: 'admin' })).body.ports as Array<{
          fixed_ips: Array<{ ip_address: string }>;
          network_id: string;
        }>;
        const addrs = ports.flatMap((p) => p.fixed_ips.map((f) => `${p.network_id}/${f.ip_address}`));
        assert.equal(new Set(addrs).size, addrs.length, 'every address is unique');
        await cloud.drain();
        for (const r of made) await cloud.request('DELETE', `/v2.1/servers/${r.body.server.id}`, { as: 'admin' });
        await cloud.drain();
      });

      test('an owner never lifts an admin lock that races its unlock', async () => {
        for (let i = 0; i < 15; i++) {
          const id = await cloud.createServer();
          const [lock, unlock] = await Promise.all([action(id, { lock: null }, 'admin'), action(id, { unlock: null })]);
          assert.equal(lock.status, 202);
          const locked = (await cloud.server(id, 'admin', '2.9')).body.server.locked;
          // Either the unlock came first (nothing to lift) and the admin lock stands, or it came second and was refused.
          assert.ok(locked === true, `round ${i}: unlock ${unlock.status}, server ${locked ? 'locked' : 'unlocked'}`);
          await del(id, 'admin');
        }
        await cloud.drain();
      });
    });

    describe('visibility after delete', () => {
      let id: string;
      let t0: string;
      before(async () => {
        t0 = new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        id = await cloud.createServer();
        await del(id);
        await cloud.drain();
      });

      test('B43 GET is 404 for everyone', async () => {
        await assertGone(id);
      });

      test('B44 absent from the index and detail lists', async () => {
        for (const path of ['/v2.1/servers', '/v2.1/servers/detail']) {
          const res = await cloud.request('GET', path, { as: 'member' });
          assert.ok(!res.body.servers.some((s: { id: string }) => s.id === id));
        }
      });

      test('B45 changes-since shows DELETED to the project', async () => {
        const res = await cloud.request('GET', `/v2.1/servers/detail?changes-since=${t0}`, { as: 'member' });
        const s = res.body.servers.find((x: { id: string }) => x.id === id);
        assert.equal(s.status, 'DELETED');
        const other = await cloud.request('GET', `/v2.1/servers/detail?changes-since=${t0}`, { as: 'other' });
        assert.ok(!other.body.servers.some((x: { id: string }) => x.id === id));
        const bad = await cloud.request('GET', '/v2.1/servers?changes-since=2011/01/01', { as: 'member' });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.badRequest.code, 400);
      });

      test('B46 deleted=true for admins; ignored for others', async () => {
        const admin = await cloud.request('GET', `/v2.1/servers/detail?deleted=true&all_tenants=1`, { as: 'admin' });
        assert.ok(
          admin.body.servers.some((x: { id: string; status: string }) => x.id === id && x.status === 'DELETED'),
        );
        const member = await cloud.request('GET', '/v2.1/servers?deleted=true', { as: 'member' });
        assert.equal(member.status, 200);
        assert.ok(!member.body.servers.some((x: { id: string }) => x.id === id));
      });

      test('B47 non-admin status=DELETED: 403', async () => {
        const res = await cloud.request('GET', '/v2.1/servers?status=DELETED', { as: 'member' });
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, {
          forbidden: { code: 403, message: 'Only administrators may list deleted instances' },
        });
      });

      test('B48 instance actions of a deleted server: 2.21+ 200, before 404', async () => {
        assert.deepEqual((await actionsOf(id, 'reader')).map((a) => a.action).sort(), ['create', 'delete']);
        const old = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'member', mv: '2.20' });
        assert.equal(old.status, 404);
        assert.deepEqual(old.body, notFoundBody(id));
      });
    });

    describe('lock and unlock', () => {
      test('B39 lock: locked from 2.9, locked_reason from 2.73, action recorded', async () => {
        const id = await cloud.createServer();
        assert.equal((await action(id, { lock: { locked_reason: 'maintenance' } }, 'member', '2.73')).status, 202);
        assert.equal((await cloud.server(id, 'member', '2.1')).body.server.locked, undefined);
        assert.equal((await cloud.server(id, 'member', '2.9')).body.server.locked, true);
        assert.equal((await cloud.server(id, 'member', '2.9')).body.server.locked_reason, undefined);
        assert.equal((await cloud.server(id, 'member', '2.73')).body.server.locked_reason, 'maintenance');
        assert.ok((await actionsOf(id)).some((a) => a.action === 'lock'));
        const bad = await action(id, { lock: { locked_reason: 'x', extra: 1 } }, 'member', '2.73');
        assert.equal(bad.status, 400);
        assert.equal(bad.body.badRequest.code, 400);
      });

      test("B40 owner cannot lift an admin's lock: 403 unlock_override", async () => {
        const id = await cloud.createServer();
        assert.equal((await action(id, { lock: null }, 'admin')).status, 202);
        const res = await action(id, { unlock: null });
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, {
          forbidden: {
            code: 403,
            message: "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.",
          },
        });
        assert.equal((await cloud.server(id, 'member', '2.9')).body.server.locked, true);
      });

      test('B41 unlock by the locker or an admin; unlocking twice is fine', async () => {
        const id = await cloud.createServer();
        await action(id, { lock: null });
        assert.equal((await action(id, { unlock: null })).status, 202);
        assert.equal((await action(id, { unlock: null })).status, 202);
        const s = (await cloud.server(id, 'member', '2.73')).body.server;
        assert.equal(s.locked, false);
        assert.equal(s.locked_reason, null);
        assert.equal((await del(id)).status, 204);
        await cloud.drain();
      });

      test('forceDelete obeys the lock rule (B38) and deletes otherwise (B36); unknown id 404 (B37)', async () => {
        const id = await cloud.createServer();
        await action(id, { lock: null });
        const refused = await action(id, { forceDelete: null });
        assert.equal(refused.status, 409);
        assert.deepEqual(refused.body, { conflictingRequest: { code: 409, message: `Instance ${id} is locked` } });
        assert.equal((await action(id, { forceDelete: null }, 'admin')).status, 202);
        await cloud.drain();
        await assertGone(id);
        const missing = await action('6f47992b-5144-4250-9f8b-f00aa33950f3', { forceDelete: null });
        assert.equal(missing.status, 404);
        const restore = await action('9c6d38cc-fcfb-437a-85b9-7b788af8bf01', { restore: null });
        assert.equal(restore.status, 404);
      });

      test('B34 restore of a server that is not soft-deleted: 409', async () => {
        const id = await cloud.createServer();
        const res = await action(id, { restore: null }, 'admin');
        assert.equal(res.status, 409);
        assert.deepEqual(res.body, {
          conflictingRequest: { code: 409, message: `Cannot 'restore' instance ${id} while it is in vm_state active` },
        });
      });
    });
  });
}
