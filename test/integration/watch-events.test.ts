// The watch API (issue 14): GET /stratus/v1/events, a Server-Sent Events stream of server changes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { TEST_PG_URL, databaseTargets, freshPostgres } from '../../src/testing/databases.js';
import { spawnStratus, stopProcess, type StratusProcess } from '../../src/testing/process.js';
import { SseStream } from '../../src/testing/sse.js';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { changesChannel } from '../../src/db/dialects/notify.js';
import pg from 'pg';
import type { Database } from '../../src/db/schema.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import { serverRow } from '../../src/testing/storage.js';

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

    test("isolation: demo and alt_demo connected at once never see each other's servers", async () => {
      const demo = await watch('member');
      const alt = await watch('other');
      const mine = await cloud.createServer('member');
      const theirs = await cloud.createServer('other');
      await demo.event('server.updated', (d) => d.server_id === mine && d.server.status === 'ACTIVE');
      await alt.event('server.updated', (d) => d.server_id === theirs && d.server.status === 'ACTIVE');
      // A marker after both: everything before it has been delivered to both streams.
      const marker = await cloud.createServer('member');
      await demo.event('server.updated', (d) => d.server_id === marker && d.server.status === 'ACTIVE');
      const altMarker = await cloud.createServer('other');
      await alt.event('server.updated', (d) => d.server_id === altMarker && d.server.status === 'ACTIVE');
      assert.ok(demo.events().every((e) => e.event === 'ready' || e.data.project_id === cloud.projects.member));
      assert.ok(alt.events().every((e) => e.event === 'ready' || e.data.project_id === cloud.projects.other));
      assert.ok(!demo.events().some((e) => e.data.server_id === theirs));
      assert.ok(!alt.events().some((e) => e.data.server_id === mine));
      demo.close();
      alt.close();
    });

    test('admin: own project by default, every project with all_tenants, one with all_tenants&project_id; host shown', async () => {
      const own = await watch('admin');
      const all = await watch('admin', '?all_tenants=1');
      const one = await watch('admin', `?all_tenants=true&project_id=${cloud.projects.other}`);
      const ignored = await watch('admin', `?project_id=${cloud.projects.other}`);
      const a = await cloud.createServer('admin');
      const d = await cloud.createServer('member');
      const o = await cloud.createServer('other');
      const activeOf = (id: string) => (x: any) => x.server_id === id && x.server.status === 'ACTIVE';
      const seen = await all.event('server.updated', activeOf(a));
      assert.equal(seen.server.host, 'compute-test', 'an admin sees the host');
      await all.event('server.updated', activeOf(d));
      await all.event('server.updated', activeOf(o));
      await own.event('server.updated', activeOf(a));
      await one.event('server.updated', activeOf(o));
      await ignored.event('server.updated', activeOf(a));
      const marker = await cloud.createServer('admin');
      await own.event('server.updated', activeOf(marker));
      await ignored.event('server.updated', activeOf(marker));
      const projectsOf = (st: SseStream) =>
        new Set(
          st
            .events()
            .filter((e) => e.event !== 'ready')
            .map((e) => e.data.project_id),
        );
      assert.deepEqual([...projectsOf(own)], [cloud.projects.admin]);
      assert.deepEqual(
        [...projectsOf(ignored)],
        [cloud.projects.admin],
        'project_id without all_tenants is ignored, as in GET /servers',
      );
      assert.deepEqual([...projectsOf(one)], [cloud.projects.other]);
      // all_tenants for a member: the policy refuses it, as GET /servers?all_tenants=1 does.
      const refused = await watch('member', '?all_tenants=1');
      assert.equal(refused.status, 403, refused.body);
      assert.deepEqual(JSON.parse(refused.body), {
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.",
        },
      });
      for (const st of [own, all, one, ignored]) st.close();
    });

    test('server_id: only that server; a reader streams too', async () => {
      const a = await cloud.createServer('member');
      const b = await cloud.createServer('member');
      const s = await watch('reader', `?server_id=${b}`);
      assert.equal(s.status, 200);
      await cloud.request('POST', `/v2.1/servers/${a}/action`, { as: 'member', body: { lock: null } });
      await cloud.request('POST', `/v2.1/servers/${b}/action`, { as: 'member', body: { lock: null } });
      const locked = await s.event('server.updated', (d) => d.server_id === b && d.server.locked === true);
      assert.deepEqual(locked.changed, ['locked']);
      assert.ok(s.events().every((e) => e.event === 'ready' || e.data.server_id === b));
      s.close();
    });

    test('Last-Event-ID: the missed events are replayed after ready; unknown ids resync', async () => {
      const s = await watch('member');
      const id = await cloud.createServer('member');
      const created = { data: await s.event('server.created', (d) => d.server_id === id) };
      await s.event('server.updated', (d) => d.server_id === id && d.server.status === 'ACTIVE');
      s.close();
      const missed = s.events().filter((e) => e.data.server_id === id && e.data.seq > created.data.seq);
      assert.ok(missed.length > 0);
      const again = await watch('member', '', { 'last-event-id': String(created.data.seq) });
      await again.until(
        'the replay',
        () => again.events().filter((e) => e.data.server_id === id).length >= missed.length,
      );
      const replayed = again.events().filter((e) => e.event !== 'ready' && e.data.server_id === id);
      assert.deepEqual(
        replayed.map((e) => e.data.seq),
        missed.map((e) => e.data.seq),
      );
      assert.equal(again.events()[0].event, 'ready');
      again.close();
      for (const bad of ['abc', '-1', '99999999999', '1.5']) {
        const r = await watch('member', '', { 'last-event-id': bad });
        assert.equal(r.status, 200);
        const resync = await r.event('resync');
        assert.equal(resync.reason, 'unknown', bad);
        assert.equal(resync.seq, r.events('ready')[0].data.seq);
        r.close();
      }
    });

    test('a revoked token ends the stream with event: error (401); reconnecting with it is a 401', async () => {
      const { token } = await cloud.issueToken('demo', 'demo');
      const s = await SseStream.open(`${cloud.url}/stratus/v1/events`, { 'x-auth-token': token });
      streams.push(s);
      await s.until('ready', () => s.events('ready').length > 0);
      const res = await cloud.request('DELETE', '/identity/v3/auth/tokens', {
        as: 'admin',
        headers: { 'x-subject-token': token },
      });
      assert.equal(res.status, 204, res.text);
      const err = await s.event('error');
      assert.equal(err.error.code, 401);
      assert.equal(err.error.title, 'Unauthorized');
      await s.until('the end of the stream', (x) => x.ended);
      const again = await SseStream.open(`${cloud.url}/stratus/v1/events`, { 'x-auth-token': token });
      assert.equal(again.status, 401);
    });

    test('a slow consumer: bounded server-side buffer while it does not read, then every event in order', async () => {
      const s = await watch('member');
      const id = await cloud.createServer('member');
      await s.event('server.updated', (d) => d.server_id === id && d.server.status === 'ACTIVE');
      s.pause();
      // Many changes at once, past the ring (4096): written straight to the table through the triggers.
      const N = 5000;
      await cloud.stack.deps.transact(async (tx) => {
        for (let i = 0; i < N; i++)
          await tx
            .updateTable('servers')
            .set({ name: `slow-${i}` })
            .where('id', '=', id)
            .execute();
      });
      const { max } = await cloud.stack.deps.db
        .selectFrom('server_changes')
        .select((eb) => eb.fn.max('seq').as('max'))
        .executeTakeFirstOrThrow();
      // Wait (bounded) until the hub has read them, then check what the connection holds.
      for (let i = 0; i < 100 && cloud.stack.events.bufferedBytes().length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      const buffered = cloud.stack.events.bufferedBytes();
      assert.ok(
        buffered.every((b) => b < 256 * 1024),
        `server-side buffers stay bounded: ${buffered}`,
      );
      s.resume();
      await s.event('server.updated', (d) => d.seq === Number(max), 60000);
      const names = s
        .events('server.updated')
        .filter((e) => e.data.server_id === id && e.data.changed.includes('name'));
      assert.equal(s.events('resync').length, 0, 'within retention: fed from the table, no resync');
      assert.equal(names.length, N, 'every change, none twice');
      assert.deepEqual(
        names.map((e) => e.data.server.name),
        Array.from({ length: N }, (_, i) => `slow-${i}`),
      );
      s.close();
    });

    test('no token: 401 with the Keystone-style body; a malformed server_id: 400', async () => {
      const s = await watch(null);
      assert.equal(s.status, 401);
      assert.equal(JSON.parse(s.body).error.code, 401);
      const bad = await watch('member', '?server_id=not-a-uuid');
      assert.equal(bad.status, 400, bad.body);
      assert.deepEqual(JSON.parse(bad.body), {
        badRequest: {
          code: 400,
          message: "Invalid input for query parameter server_id: 'not-a-uuid' is not a valid UUID.",
        },
      });
    });
  });
}

describe('retention and shutdown (SQLite)', () => {
  let c: TestCloud;
  before(async () => {
    c = await TestCloud.start({ eventsRetention: 1, eventsHeartbeat: 1 });
  });
  after(async () => {
    await c?.close();
  });

  test('a Last-Event-ID older than the retention (pruned) gets resync expired and no replay', async () => {
    const s = await SseStream.open(`${c.url}/stratus/v1/events`, { 'x-auth-token': c.tokens.member });
    const id = await c.createServer('member');
    const created = await s.event('server.created', (d) => d.server_id === id);
    s.close();
    // Past the retention (1 s; bounded wait), the periodic job's prune removes it.
    const t0 = Date.now();
    let removed = 0;
    while (removed === 0 && Date.now() - t0 < 10000) {
      await new Promise((r) => setTimeout(r, 200));
      removed = await c.stack.events.prune();
      if (removed === 0)
        removed =
          (await c.stack.deps.db.selectFrom('server_changes').select('seq').where('seq', '=', created.seq).execute())
            .length === 0
            ? 1
            : 0;
    }
    const again = await SseStream.open(`${c.url}/stratus/v1/events`, {
      'x-auth-token': c.tokens.member,
      'last-event-id': String(created.seq),
    });
    const resync = await again.event('resync');
    assert.equal(resync.reason, 'expired');
    assert.equal(resync.seq, again.events('ready')[0].data.seq);
    assert.equal(again.events('ready')[0].data.retention_seconds, 1);
    assert.ok(!again.events().some((e) => e.data.server_id === id && e.event !== 'ready'));
    again.close();
  });

  test('closing the stack ends open streams (shutdown is not held up)', async () => {
    const s = await SseStream.open(`${c.url}/stratus/v1/events`, { 'x-auth-token': c.tokens.member });
    await s.until('ready', () => s.events('ready').length > 0);
    await c.close();
    await s.until('the end of the stream', (x) => x.ended, 5000);
    c = undefined as unknown as TestCloud;
  });
});

describe('across API processes (PostgreSQL)', { skip: TEST_PG_URL ? false : 'needs STRATUS_TEST_DATABASE_URL' }, () => {
  let c: TestCloud;
  let other: StratusProcess | undefined;
  let db: { url: string; drop(): Promise<void> } | undefined;
  before(async () => {
    db = await freshPostgres();
    c = await TestCloud.start({ database: db.url });
    other = await spawnStratus(['--database', db.url, '--agents', '0', '--data', c.stack.deps.config.data]);
  });
  after(async () => {
    if (other) await stopProcess(other.child);
    await c?.close();
    await db?.drop();
  });

  test('a delete through one process is seen on the stream of the other', async () => {
    const s = await SseStream.open(`${other!.url}/stratus/v1/events`, { 'x-auth-token': c.tokens.member });
    await s.until('ready', () => s.events('ready').length > 0);
    const id = await c.createServer('member');
    await s.event('server.updated', (d) => d.server_id === id && d.server.status === 'ACTIVE');
    const del = await c.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    assert.equal(del.status, 204);
    const rid = del.headers.get('x-openstack-request-id');
    const deleting = await s.event('server.updated', (d) => d.server_id === id && d.server.task_state === 'deleting');
    assert.equal(deleting.request_id, rid);
    await c.drain();
    const deleted = await s.event('server.deleted', (d) => d.server_id === id);
    assert.equal(deleted.request_id, rid);
    s.close();
  });

  test('a change committed late behind a newer one is still delivered, in seq order', async () => {
    const s = await SseStream.open(`${c.url}/stratus/v1/events`, { 'x-auth-token': c.tokens.member });
    await s.until('ready', () => s.events('ready').length > 0);
    const project = c.projects.member;
    const early = '00000000-0000-4000-8000-0000000000e1';
    const late = '00000000-0000-4000-8000-0000000000e2';
    const other = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db!.url, max: 1 }) }),
    });
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    try {
      let inserted: () => void = () => {};
      const firstInserted = new Promise<void>((r) => {
        inserted = r;
      });
      // The first transaction takes the lower seq and stays open; the second commits after it took its seq.
      const t1 = other.transaction().execute(async (tx) => {
        await servers.insertServer(tx, serverRow(early, { project_id: project }));
        inserted();
        await held;
      });
      await firstInserted;
      await servers.insertServer(c.stack.deps.db, serverRow(late, { project_id: project }));
      // Several polls and the commit wake-up: the newer change waits behind the open transaction.
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(!s.events().some((e) => e.data.server_id === late), 'not before the gap below it is settled');
      release();
      await t1;
      await s.event('server.created', (d) => d.server_id === late);
      const order = s
        .events('server.created')
        .filter((e) => e.data.server_id === early || e.data.server_id === late)
        .map((e) => e.data.server_id);
      assert.deepEqual(order, [early, late]);
    } finally {
      release();
      await other.destroy();
      s.close();
    }
  });

  test('concurrent writers lose nothing: a change committing while the hub reads is never declared lost', async () => {
    // Review of issue 14: the hub read rows, then the snapshot in a later statement; a gap whose
    // transaction committed in between was judged permanent and its row never delivered.
    const s = await SseStream.open(`${c.url}/stratus/v1/events`, { 'x-auth-token': c.tokens.member });
    await s.until('ready', () => s.events('ready').length > 0);
    const project = c.projects.member;
    const other = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db!.url, max: 1 }) }),
    });
    const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
    const early: string[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const a = uuid(0x1000 + 2 * i);
        const b = uuid(0x1001 + 2 * i);
        early.push(a);
        let release: () => void = () => {};
        const held = new Promise<void>((r) => {
          release = r;
        });
        let inserted: () => void = () => {};
        const first = new Promise<void>((r) => {
          inserted = r;
        });
        // `a` takes the lower seq and commits just after `b` (the hub is woken by b's commit).
        const t1 = other.transaction().execute(async (tx) => {
          await servers.insertServer(tx, serverRow(a, { project_id: project }));
          inserted();
          await held;
        });
        await first;
        await servers.insertServer(c.stack.deps.db, serverRow(b, { project_id: project }));
        if (i % 3) await new Promise((r) => setTimeout(r, i % 4));
        release();
        await t1;
        // As every Stratus process does after its commits: wakes the hub now rather than at its 1 s poll.
        await sql`select pg_notify(${changesChannel}, '')`.execute(other);
        await s.event('server.created', (d) => d.server_id === b);
      }
      await s.until('every early change', (x) =>
        early.every((a) => x.events('server.created').some((e) => e.data.server_id === a)),
      );
    } finally {
      await other.destroy();
      s.close();
    }
  });
});

describe('shutdown while streams are being set up (PostgreSQL)', {
  skip: TEST_PG_URL ? false : 'needs STRATUS_TEST_DATABASE_URL',
}, () => {
  test('a stream prepared during close gets 503, the hub stays stopped and close completes', async () => {
    // Review of issue 14: prepare() checked closing only on entry; the stream then restarted the hub and held the close.
    const db = await freshPostgres();
    const c = await TestCloud.start({ database: db.url });
    const locker = new pg.Client({ connectionString: db.url });
    const pending: SseStream[] = [];
    try {
      const first = await SseStream.open(`${c.url}/stratus/v1/events`, { 'x-auth-token': c.tokens.member });
      pending.push(first);
      await first.until('ready', () => first.events('ready').length > 0);
      // Hold every read of server_changes: the new streams wait in prepare, the close begins meanwhile.
      await locker.connect();
      await locker.query('begin');
      await locker.query('lock table server_changes in access exclusive mode');
      const opening = Array.from({ length: 3 }, () =>
        SseStream.open(`${c.url}/stratus/v1/events`, { 'x-auth-token': c.tokens.member }).then(
          (st) => {
            pending.push(st);
            return st;
          },
          () => null,
        ),
      );
      const waiting = async () =>
        Number(
          (
            await locker.query(
              "select count(*) as n from pg_locks where not granted and relation = 'server_changes'::regclass",
            )
          ).rows[0].n,
        );
      for (let i = 0; i < 200 && (await waiting()) < 1; i++) await new Promise((r) => setTimeout(r, 25));
      const closed = c.close();
      for (let i = 0; i < 200 && !c.stack.events.isClosing; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(c.stack.events.isClosing);
      await locker.query('commit');
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        closed.then(() => 'closed'),
        new Promise((r) => {
          timer = setTimeout(() => r('still closing after 15 s'), 15000);
        }),
      ]);
      clearTimeout(timer);
      assert.equal(outcome, 'closed');
      for (const st of await Promise.all(opening))
        if (st) {
          assert.equal(st.status, 503, 'no stream opened during close');
          assert.deepEqual(JSON.parse(st.body), {
            serviceUnavailable: { code: 503, message: 'The service is shutting down.' },
          });
        }
      assert.equal(c.stack.events.subscribers, 0);
    } finally {
      for (const st of pending) st.close();
      await locker.end().catch(() => undefined);
      await db.drop();
    }
  });
});

describe('token expiry (SQLite)', () => {
  let c: TestCloud | undefined;
  after(async () => {
    await c?.close();
  });

  test('the stream ends with event: error 401 when its token expires', async () => {
    // A 3 s token lifetime and a heartbeat far away: the expiry timer, not the heartbeat, ends it.
    c = await TestCloud.start({ tokenExpiration: 3, eventsHeartbeat: 300 });
    const { token } = await c.issueToken('demo', 'demo');
    const s = await SseStream.open(`${c.url}/stratus/v1/events`, { 'x-auth-token': token });
    await s.until('ready', () => s.events('ready').length > 0);
    const err = await s.event('error', () => true, 15000);
    assert.equal(err.error.code, 401);
    assert.match(err.error.message, /expired/);
    await s.until('the end of the stream', (x) => x.ended);
    assert.equal((await SseStream.open(`${c.url}/stratus/v1/events`, { 'x-auth-token': token })).status, 401);
  });
});
