// The watch API (issue 14): GET /stratus/v1/events, a Server-Sent Events stream of server changes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { SseStream } from '../../src/testing/sse.js';

let cloud: TestCloud;
const streams: SseStream[] = [];

async function watch(as: Persona | null, query = '', headers: Record<string, string> = {}): Promise<SseStream> {
  const h: Record<string, string> = { ...headers };
  if (as) h['x-auth-token'] = cloud.tokens[as];
  const s = await SseStream.open(`${cloud.url}/stratus/v1/events${query}`, h);
  streams.push(s);
  if (s.status === 200) await s.until('ready', () => s.events('ready').length > 0);
  return s;
}

for (const target of databaseTargets()) {
  describe(`on ${target.name}`, () => {
    let dropDb: () => Promise<void> = async () => {};
    before(async () => {
      const db = await target.url();
      dropDb = db.drop;
      cloud = await TestCloud.start({ database: db.url, eventsHeartbeat: 1 });
    });
    after(async () => {
      for (const s of streams.splice(0)) s.close();
      await cloud.close();
      await dropDb();
    });

    test('the stream opens with retry, ready (head, retention, heartbeat) and the SSE headers', async () => {
      const s = await watch('member');
      assert.equal(s.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(s.headers.get('cache-control'), 'no-store');
      assert.equal(s.headers.get('x-accel-buffering'), 'no');
      assert.match(s.headers.get('x-openstack-request-id') ?? '', /^req-/);
      assert.equal(s.frames[0].retry, 3000);
      const ready = s.events('ready')[0].data;
      assert.equal(typeof ready.seq, 'number');
      assert.equal(ready.retention_seconds, 3600);
      assert.equal(ready.heartbeat_seconds, 1);
      await s.until('a heartbeat', () => s.frames.some((f) => f.event === 'comment' && f.data === 'heartbeat'));
      s.close();
    });

    test('create then delete: created, updated to ACTIVE, task_state deleting and deleted, with the request ids', async () => {
      const s = await watch('member');
      const id = await cloud.createServer('member');
      const created = await s.event('server.created', (d) => d.server_id === id);
      assert.equal(created.project_id, cloud.projects.member);
      assert.equal(created.server.status, 'BUILD');
      assert.equal(created.server.host, null, 'a member never sees the host');
      assert.match(created.request_id ?? '', /^req-/);
      const active = await s.event('server.updated', (d) => d.server_id === id && d.server.status === 'ACTIVE');
      assert.ok(active.changed.includes('status'));
      assert.ok(active.changed.includes('vm_state'));
      assert.equal(active.server.locked, false);
      assert.equal(active.server.fault, null);

      const del = await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
      assert.equal(del.status, 204);
      const rid = del.headers.get('x-openstack-request-id');
      const deleting = await s.event('server.updated', (d) => d.server_id === id && d.server.task_state === 'deleting');
      assert.equal(deleting.request_id, rid);
      assert.deepEqual(deleting.changed, ['task_state']);
      await cloud.drain();
      const deleted = await s.event('server.deleted', (d) => d.server_id === id);
      assert.equal(deleted.request_id, rid);
      assert.equal(deleted.server.status, 'DELETED');
      assert.equal((await cloud.server(id, 'member')).status, 404);
      // In seq order, each with its id.
      const mine = s.events().filter((e) => e.data.server_id === id);
      const seqs = mine.map((e) => e.data.seq);
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        seqs,
      );
      for (const e of mine) assert.equal(e.id, String(e.data.seq));
      s.close();
    });

    test('no token: 401 with the Keystone-style body; a malformed server_id: 400', async () => {
      const s = await watch(null);
      assert.equal(s.status, 401);
      assert.equal(JSON.parse(s.body).error.code, 401);
      const bad = await watch('member', '?server_id=not-a-uuid');
      assert.equal(bad.status, 400, bad.body);
      assert.match(bad.body, /server_id/);
    });
  });
}
