// Issue 15: concurrent DELETEs of one event-loop turn share a transaction (services/compute/delete-batch.ts).
// Each request must get exactly the answer it gets alone, and the good ones must be deleted afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { batchedDeletes } from '../../src/services/compute/delete-batch.js';
import { terminatesCompletedInBatches } from '../../src/agent/terminate-batch.js';
import { deleteServer } from '../../src/services/compute/delete-server.js';
import type { Caller } from '../../src/services/context.js';

const host = 'compute-test';
const notFoundBody = (id: string) => ({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
const lockedBody = (id: string) => ({ conflictingRequest: { code: 409, message: `Instance ${id} is locked` } });

for (const target of databaseTargets()) {
  describe(`on ${target.name}`, () => {
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
    const del = (id: string, as: Persona = 'member') => cloud.request('DELETE', `/v2.1/servers/${id}`, { as });
    const portsOf = async (id: string) =>
      (await cloud.request('GET', `/networking/v2.0/ports?device_id=${id}`, { as: 'admin' })).body.ports as unknown[];

    test('a burst mixing good, locked, missing, other-project and already-deleting servers: each its own answer', async (t) => {
      const good: string[] = [];
      for (let i = 0; i < 8; i++) good.push(await cloud.createServer());
      const locked: string[] = [];
      for (let i = 0; i < 2; i++) {
        const id = await cloud.createServer();
        const r = await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { lock: null } });
        assert.equal(r.status, 202, r.text);
        locked.push(id);
      }
      const others = [await cloud.createServer('other'), await cloud.createServer('other')];
      const missing = [randomUUID(), randomUUID()];
      // Already deleting: its terminate hangs in the driver, so the second DELETE finds it deleting (B13).
      const deleting = await cloud.createServer();
      const f = await cloud.request('POST', '/stratus/v1/faults', {
        as: 'admin',
        body: { fault: { host, operation: 'destroy', mode: 'hang', server_id: deleting } },
      });
      assert.equal(f.status, 201, f.text);
      assert.equal((await del(deleting)).status, 204);

      const before = batchedDeletes(cloud.stack.deps);
      const terminatesBefore = terminatesCompletedInBatches();
      const burst: Array<{ id: string; status: number; body: unknown }> = [
        ...good.map((id) => ({ id, status: 204, body: null })),
        ...locked.map((id) => ({ id, status: 409, body: lockedBody(id) })),
        ...others.map((id) => ({ id, status: 404, body: notFoundBody(id) })),
        ...missing.map((id) => ({ id, status: 404, body: notFoundBody(id) })),
        { id: deleting, status: 204, body: null },
      ];
      // Interleaved, so every kind shares batches with good ones.
      const order = burst.map((_, i) => i).sort((a, b) => (a % 3) - (b % 3) || a - b);
      // The same server twice as well: the second is a repeated delete (204, B13), or 404 if the
      // first already finished, as when sent one after the other.
      const [results, twice] = await Promise.all([Promise.all(order.map((i) => del(burst[i].id))), del(good[0])]);
      if (twice.status === 204) assert.equal(twice.text, '');
      else assert.deepEqual([twice.status, twice.body], [404, notFoundBody(good[0])]);
      order.forEach((i, k) => {
        const want = burst[i];
        assert.equal(results[k].status, want.status, `${want.id}: ${results[k].text}`);
        assert.deepEqual(results[k].body, want.body, want.id);
      });
      t.diagnostic(`batched: ${batchedDeletes(cloud.stack.deps) - before}`);

      await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
      await cloud.drain();
      t.diagnostic(`terminates completed in batches: ${terminatesCompletedInBatches() - terminatesBefore}`);
      for (const id of [...good, deleting]) {
        assert.equal((await cloud.server(id)).status, 404, id);
        assert.equal((await portsOf(id)).length, 0, `ports of ${id} released`);
        const acts = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'admin', mv: '2.21' });
        const deletes = (acts.body.instanceActions as Array<{ action: string }>).filter((a) => a.action === 'delete');
        assert.equal(deletes.length, 1, `one delete action for ${id}`);
      }
      for (const id of [...locked, ...others]) {
        const s = await cloud.server(id);
        assert.equal(s.status, 200, id);
        assert.equal(s.body.server['OS-EXT-STS:task_state'], null, id);
        assert.equal((await portsOf(id)).length, 1, `ports of ${id} kept`);
      }
    });

    test('called in one event-loop turn, the deletes share one batch with the same outcomes', async (t) => {
      const good: string[] = [];
      for (let i = 0; i < 4; i++) good.push(await cloud.createServer());
      const locked = await cloud.createServer();
      await cloud.request('POST', `/v2.1/servers/${locked}/action`, { as: 'member', body: { lock: null } });
      const other = await cloud.createServer('other');
      const row = (await cloud.row(good[0]))!;
      // The member's caller, as the auth hook builds it from the token.
      const caller = (): Caller => ({
        userId: row.user_id,
        projectId: row.project_id,
        roles: ['member', 'reader'],
        isAdmin: false,
        requestId: `req-${randomUUID()}`,
      });
      const deps = cloud.stack.deps;
      const before = batchedDeletes(deps);
      const terminatesBefore = terminatesCompletedInBatches();
      const missing = randomUUID();
      const outcome = (p: Promise<unknown>) =>
        p.then(
          (v) => v,
          (e: { code?: string }) => e.code,
        );
      const got = await Promise.all(
        [...good, locked, other, missing].map((id) => outcome(deleteServer(deps, caller(), id))),
      );
      assert.deepEqual(got, [
        ...good.map(() => ({ plan: 'remote' })),
        'ServerLocked',
        'ServerNotFound',
        'ServerNotFound',
      ]);
      assert.equal(batchedDeletes(deps) - before, 7, 'all seven answered by one batch');
      await cloud.drain();
      t.diagnostic(`terminates completed in batches: ${terminatesCompletedInBatches() - terminatesBefore}`);
      for (const id of good) assert.equal((await cloud.server(id)).status, 404, id);
      for (const id of good) assert.equal((await portsOf(id)).length, 0, id);
      assert.equal((await cloud.server(locked)).status, 200);
      assert.equal((await cloud.server(other)).status, 200);
    });
  });
}
