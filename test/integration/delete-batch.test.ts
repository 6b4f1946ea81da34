// Issue 15: concurrent DELETEs of one event-loop turn share a transaction (services/compute/delete-batch.ts).
// Each request must get exactly the answer it gets alone, and the good ones must be deleted afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import { TestCloud, type HttpResult, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { batchedDeletes } from '../../src/services/compute/delete-batch.js';
import { terminatesCompletedInBatches } from '../../src/agent/terminate-batch.js';
import { deleteServer } from '../../src/services/compute/delete-server.js';
import type { Caller } from '../../src/services/context.js';
import type { Executor } from '../../src/db/executor.js';
import { getServer } from '../../src/db/repositories/servers.repository.js';
import { insertSnapshotImage } from '../../src/services/compute/server-image-actions.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';

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

    // PostgreSQL (READ COMMITTED): a DELETE waiting for the row lock while createImage or a move
    // commits re-reads only the server row; the blockers must still send it to the single path.
    const pg = target.name === 'postgres';
    /** Runs `writes` in a transaction that holds the server row until a DELETE waits for its lock. */
    const deleteDuringCommit = async (id: string, writes: (tx: Executor) => Promise<void>) => {
      const db = cloud.stack.deps.db;
      let res!: ReturnType<typeof del>;
      await db.transaction().execute(async (tx) => {
        await writes(tx);
        res = del(id);
        for (let i = 0; i < 500; i++) {
          const w = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
            where wait_event_type = 'Lock' and query ilike '%for update%'`.execute(db);
          if (Number(w.rows[0].n) > 0) return;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error('the DELETE never waited for the lock');
      });
      return res;
    };

    test('a snapshot committed while the DELETE waits for the row lock: its queued image is discarded', {
      skip: !pg,
    }, async () => {
      const id = await cloud.createServer();
      const imageId = randomUUID();
      const deps = cloud.stack.deps;
      const r = await deleteDuringCommit(id, async (tx) => {
        // What createImage commits: the compare-and-set, a queued image, a queued snapshot task.
        const row = (await getServer(deps.db, id))!;
        const now = new Date().toISOString();
        await tx
          .updateTable('servers')
          .set({ task_state: 'image_snapshot', updated_at: now })
          .where('id', '=', id)
          .execute();
        await insertSnapshotImage(deps, tx, row, imageId, 'snap', { image_type: 'snapshot' });
        await tx
          .insertInto('tasks')
          .values({
            id: deps.ids.sortable(),
            kind: 'snapshot',
            server_id: id,
            host: 'nobody',
            payload: JSON.stringify({ imageId }),
            state: 'queued',
            attempts: 0,
            max_attempts: 5,
            lease_owner: null,
            lease_expires_at: null,
            run_after: now,
            last_error: null,
            created_at: now,
            updated_at: now,
            result: null,
          })
          .execute();
      });
      assert.equal(r.status, 204, r.text);
      const image = await deps.db.selectFrom('images').select('id').where('id', '=', imageId).executeTakeFirst();
      assert.equal(image, undefined, 'the queued image is discarded with the server');
      await cloud.drain();
      assert.equal((await cloud.server(id)).status, 404);
    });

    test('a move committed while the DELETE waits for the row lock: the delete fails it (B12)', {
      skip: !pg,
    }, async () => {
      const id = await cloud.createServer();
      const row = (await cloud.row(id))!;
      const now = new Date().toISOString();
      const r = await deleteDuringCommit(id, async (tx) => {
        await tx
          .updateTable('servers')
          .set({ task_state: 'migrating', updated_at: now })
          .where('id', '=', id)
          .execute();
        await tx
          .insertInto('migrations')
          .values({
            uuid: randomUUID(),
            server_id: id,
            project_id: row.project_id,
            user_id: row.user_id,
            migration_type: 'live-migration',
            status: 'migrating',
            source_compute: row.host,
            source_node: row.host,
            dest_compute: 'other-node',
            dest_node: 'other-node',
            dest_host: null,
            old_flavor_id: '1',
            new_flavor_id: '1',
            old_flavor: '{}',
            new_flavor: '{}',
            old_vm_state: 'active',
            created_at: now,
            updated_at: now,
          })
          .execute();
      });
      assert.equal(r.status, 204, r.text);
      const migs = await cloud.stack.deps.db
        .selectFrom('migrations')
        .select('status')
        .where('server_id', '=', id)
        .execute();
      assert.deepEqual(
        migs.map((m) => m.status),
        ['error'],
        'the open migration is failed as when committed before',
      );
    });
  });
}

/** Holds every destroy of the driver of the cloud's agent `n` until the returned function is called. */
function holdDestroys(cloud: TestCloud, n = 0): () => void {
  const driver = cloud.stack.agents[n].driver as FakeDriver;
  const destroy = driver.destroy;
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  driver.destroy = async (id) => {
    await gate;
    return destroy.call(driver, id);
  };
  return () => {
    driver.destroy = destroy;
    release();
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`'s result, and whether `flag()` was already true when it came. */
const answered = <T>(p: Promise<T>, flag: () => boolean) => p.then((r) => ({ r, afterFlag: flag() }));

/**
 * With a limit of 3 and the node's work held: DELETEs of `ids[0]` and `ids[1]` are answered at
 * once; that of `ids[2]` is committed but answered only after `free()` lets the node finish.
 * `meanwhile` runs while it waits.
 */
async function thirdWaitsFor(
  cloud: TestCloud,
  del: (id: string) => Promise<HttpResult>,
  ids: string[],
  free: () => Promise<void> | void,
  meanwhile: () => Promise<void> = async () => {},
): Promise<void> {
  assert.deepEqual(
    (await Promise.all(ids.slice(0, 2).map(del))).map((r) => r.status),
    [204, 204],
  );
  // A count read from the database is reused for 20 ms: the third comes after that.
  await settle(50);
  let freed = false;
  const third = answered(del(ids[2]), () => freed);
  await settle(300);
  assert.equal((await cloud.row(ids[2]))!.task_state, 'deleting', 'committed while its answer waits');
  await meanwhile();
  freed = true;
  await free();
  const { r, afterFlag } = await third;
  assert.equal(r.status, 204, r.text);
  assert.ok(afterFlag, 'answered after the node made room');
}

// Backpressure (config agentBacklog): a DELETE that leaves its node holding the limit is
// committed at once, but its 204 waits until the node has room (bounded); requests that gave the
// node no work, and those of other nodes, do not wait. The count is in memory here: SQLite only.
describe('backpressure from the in-process agents', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start({ agentBacklog: 3, agents: 2 });
  });
  after(async () => {
    await cloud.close();
  });
  const del = (id: string) => cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
  /** `n` new servers on agent 0's node and one on agent 1's. */
  const serversOnNodes = async (n: number) => {
    const [a, b] = cloud.stack.agents.map((x) => x.host);
    const on: Record<string, string[]> = { [a]: [], [b]: [] };
    while (on[a].length < n || on[b].length < 1) {
      const id = await cloud.createServer();
      on[(await cloud.row(id))!.host!].push(id);
    }
    return { first: on[a].slice(0, n), other: on[b][0] };
  };

  test('the 204 that fills a node waits until it has room; 404s and other nodes do not wait', async () => {
    const { first, other } = await serversOnNodes(3);
    const release = holdDestroys(cloud, 0);
    try {
      await thirdWaitsFor(cloud, del, first, release, async () => {
        const [elsewhere, missing] = await Promise.all([del(other), del(randomUUID())]);
        assert.equal(elsewhere.status, 204, elsewhere.text);
        assert.equal(missing.status, 404, missing.text);
      });
    } finally {
      release();
    }
    await cloud.drain();
    for (const id of [...first, other]) assert.equal((await cloud.server(id)).status, 404, id);
  });

  test('a node that makes no room delays the 204 for a bounded time, never holds it', async () => {
    const { first } = await serversOnNodes(3);
    const release = holdDestroys(cloud, 0);
    let released = false;
    try {
      await Promise.all(first.slice(0, 2).map(del));
      const sent = Date.now();
      const { r, afterFlag } = await answered(del(first[2]), () => released);
      assert.equal(r.status, 204, r.text);
      assert.equal(afterFlag, false, 'answered while the node was still stuck');
      assert.ok(Date.now() - sent >= 4000, `waited for the node first (${Date.now() - sent} ms)`);
    } finally {
      released = true;
      release();
    }
    await cloud.drain();
    for (const id of first) assert.equal((await cloud.server(id)).status, 404, id);
  });
});

describe('backpressure while faults are injected on the node (its tasks go through the database)', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start({ agentBacklog: 3 });
  });
  after(async () => {
    await cloud.close();
  });
  const del = (id: string) => cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
  const faults = (method: 'POST' | 'DELETE', body?: unknown) =>
    cloud.request(method, '/stratus/v1/faults', { as: 'admin', body });

  test('the node is counted by its open tasks in the database', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await cloud.createServer());
    const f = await faults('POST', { fault: { host, operation: 'destroy', mode: 'hang' } });
    assert.equal(f.status, 201, f.text);
    try {
      await thirdWaitsFor(cloud, del, ids, async () => {
        assert.equal((await faults('DELETE')).status, 204);
      });
    } finally {
      await faults('DELETE');
    }
    await cloud.drain();
    for (const id of ids) assert.equal((await cloud.server(id)).status, 404, id);
  });
});

// The same from an API process without agents (an API worker, `serve --agents 0`): the node's
// load is its open tasks in the database. Two stacks on one SQLite file.
describe('backpressure in an API process without agents', () => {
  let withAgent: TestCloud;
  let apiOnly: TestCloud;
  before(async () => {
    withAgent = await TestCloud.start({ agentBacklog: 3 });
    const file = join(withAgent.stack.deps.config.data, 'stratus.sqlite');
    apiOnly = await TestCloud.start({ agentBacklog: 3, agents: 0, database: `sqlite:${file}` });
  });
  after(async () => {
    await apiOnly.close();
    await withAgent.close();
  });

  test('the 204 that fills a node waits until the node has finished a task', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await withAgent.createServer());
    const release = holdDestroys(withAgent);
    const del = (id: string) => apiOnly.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    try {
      await thirdWaitsFor(withAgent, del, ids, release);
    } finally {
      release();
    }
    withAgent.stack.agents[0].wake();
    await withAgent.drain();
    for (const id of ids) assert.equal((await withAgent.server(id)).status, 404, id);
  });
});
