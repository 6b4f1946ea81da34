// `stratus wait` as a user runs it: a real `stratus serve`, the real `stratus wait` process,
// credentials from the clouds.yaml the server writes or from OS_* variables.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer, type Server, connect } from 'node:net';
import { join } from 'node:path';
import { STRATUS_BIN, spawnFreshStratus, type FreshStratus } from '../../src/testing/process.js';
import { call, token } from '../../src/testing/http.js';
import { until } from '../../src/testing/wait.js';
import { SseStream } from '../../src/testing/sse.js';
import { freshPostgres, TEST_PG_URL } from '../../src/testing/databases.js';

const NODE = 'wait-node';
let proc: FreshStratus;
let demo: string;
let admin: string;
let image: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the caller's own OS_* settings, so that only the test's count. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));

/** Runs `stratus wait ...args`, bounded (a hung wait is killed and fails the assertion on its code). */
function wait(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [STRATUS_BIN, 'wait', ...args],
      { env: { ...cleanEnv, ...env }, timeout: 60000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : null
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `stratus wait -v ...args` in the background: resolves `watching` once it has read the server through an open stream. */
function startWait(args: string[], env: Record<string, string>): { watching: Promise<string>; done: Promise<Run> } {
  const child = spawn(process.execPath, [STRATUS_BIN, 'wait', '-v', ...args], {
    env: { ...cleanEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = setTimeout(() => child.kill('SIGKILL'), 60000);
  let stdout = '';
  let stderr = '';
  let seen: (line: string) => void = () => {};
  const watching = new Promise<string>((resolve) => {
    seen = resolve;
  });
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    const m = stderr.match(/^stratus wait: (watching .*)$/m);
    if (m) seen(m[1]);
  });
  const done = new Promise<Run>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(kill);
      seen(`(exited ${code} before watching: ${stderr})`);
      resolve({ code, stdout, stderr });
    }),
  );
  return { watching, done };
}

const asDemo = () => ({ OS_CLIENT_CONFIG_FILE: join(proc.dataDir, 'clouds.yaml'), OS_CLOUD: 'stratus-demo' });
const show = (r: Run) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

async function fault(body: Record<string, unknown>): Promise<void> {
  const r = await call(proc.url, 'POST', '/stratus/v1/faults', admin, { fault: { host: NODE, ...body } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}
const clearFaults = async () => assert.equal((await call(proc.url, 'DELETE', '/stratus/v1/faults', admin)).status, 204);

async function create(name: string): Promise<string> {
  const r = await call(proc.url, 'POST', '/v2.1/servers', demo, {
    server: { name, imageRef: image, flavorRef: '1', networks: 'none' },
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.server.id;
}

async function statusOf(id: string): Promise<string> {
  const r = await call(proc.url, 'GET', `/v2.1/servers/${id}`, demo);
  return r.status === 404 ? 'gone' : r.body.server.status;
}

async function active(name: string): Promise<string> {
  const id = await create(name);
  await until(`${name} ACTIVE`, async () => ((await statusOf(id)) === 'ACTIVE' ? true : undefined));
  return id;
}

before(async () => {
  // Heartbeats every second: a revoked token ends its stream within a second or two.
  proc = await spawnFreshStratus('wait', ['--name', NODE], { STRATUS_EVENTS_HEARTBEAT: '1' });
  demo = await token(proc.url, 'demo', 'demo');
  admin = await token(proc.url, 'admin', 'admin');
  image = (await call(proc.url, 'GET', '/image/v2/images', demo)).body.images[0].id;
});
after(async () => {
  await proc?.stop();
});

test('waits for ACTIVE after a create (OS_CLOUD and the clouds.yaml stratus serve writes)', {
  timeout: 60000,
}, async () => {
  await fault({ operation: 'spawn', mode: 'hang' });
  try {
    const id = await create('w-active');
    const w = startWait([id, '--for', 'active'], asDemo());
    assert.equal(await w.watching, `watching server ${id} (BUILD, task spawning) until ACTIVE`);
    await clearFaults();
    const r = await w.done;
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`^server ${id} is ACTIVE \\(after [0-9.]+ s\\)\\n$`));
    assert.equal(await statusOf(id), 'ACTIVE');
  } finally {
    await clearFaults();
  }
});

test('--for deleted while a delete runs (by name), then once more when it is already gone (by id)', {
  timeout: 60000,
}, async () => {
  const id = await active('w-del');
  await fault({ operation: 'destroy', mode: 'hang', server_id: id });
  try {
    assert.equal((await call(proc.url, 'DELETE', `/v2.1/servers/${id}`, demo)).status, 204);
    const w = startWait(['w-del', '--for', 'deleted'], asDemo());
    assert.equal(await w.watching, `watching server ${id} (ACTIVE, task deleting) until deleted`);
    await clearFaults();
    const r = await w.done;
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`^server ${id} is deleted \\(after [0-9.]+ s\\)\\n$`));
    assert.equal(await statusOf(id), 'gone');
    const again = await wait([id, '--for', 'DELETED'], asDemo());
    assert.equal(again.code, 0, show(again));
    assert.match(again.stdout, new RegExp(`^server ${id} is deleted \\(not found`));
    const byName = await wait(['w-del', '--for', 'deleted', '--quiet'], asDemo());
    assert.equal(byName.code, 0, show(byName));
    assert.equal(byName.stdout, '');
  } finally {
    await clearFaults();
  }
});

test('a delete that never finishes: exit 124 after --timeout', { timeout: 60000 }, async () => {
  const id = await active('w-hang');
  await fault({ operation: 'destroy', mode: 'hang', server_id: id });
  try {
    assert.equal((await call(proc.url, 'DELETE', `/v2.1/servers/${id}`, demo)).status, 204);
    const r = await wait([id, '--for', 'deleted', '--timeout', '2'], asDemo());
    assert.equal(r.code, 124, show(r));
    assert.match(r.stderr, new RegExp(`timed out after 2 s waiting for server ${id} to be deleted`));
    assert.equal(r.stdout, '');
  } finally {
    await clearFaults();
  }
  await until('the released delete', async () => ((await statusOf(id)) === 'gone' ? true : undefined));
});

test('the server goes ERROR instead of ACTIVE: exit 1 with the fault message', { timeout: 60000 }, async () => {
  await fault({ operation: 'spawn', mode: 'fail', count: 1 });
  try {
    const id = await create('w-error');
    const r = await wait([id, '--for', 'ACTIVE'], asDemo());
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, new RegExp(`server ${id} is ERROR, not ACTIVE`));
    assert.equal(await statusOf(id), 'ERROR');
  } finally {
    await clearFaults();
  }
});

test('OS_* variables (auth URL without /v3); an admin waits for a member’s server', { timeout: 60000 }, async () => {
  const id = await active('w-env');
  const env = {
    OS_AUTH_URL: `${proc.url}/identity`,
    OS_USERNAME: 'demo',
    OS_PASSWORD: 'secret',
    OS_PROJECT_NAME: 'demo',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: 'RegionOne',
    OS_INTERFACE: 'public',
  };
  const r = await wait([id, '--for', 'active'], env);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /is ACTIVE/);
  const byAdmin = await wait([id, '--for', 'ACTIVE', '--os-cloud', 'stratus-admin'], {
    OS_CLIENT_CONFIG_FILE: join(proc.dataDir, 'clouds.yaml'),
  });
  assert.equal(byAdmin.code, 0, show(byAdmin));
  // A token as it is (OS_AUTH_TYPE=token, no project: the token's own scope).
  const tok = await wait([id, '--for', 'active'], {
    OS_AUTH_URL: `${proc.url}/identity/v3`,
    OS_AUTH_TYPE: 'token',
    OS_TOKEN: demo,
  });
  assert.equal(tok.code, 0, show(tok));
});

test('bad password, bad usage, no credentials: exit 2; an unknown server: exit 1', { timeout: 60000 }, async () => {
  const env = {
    OS_AUTH_URL: `${proc.url}/identity/v3`,
    OS_USERNAME: 'demo',
    OS_PASSWORD: 'wrong',
    OS_PROJECT_NAME: 'demo',
  };
  const bad = await wait(['whatever', '--for', 'active'], env);
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.stderr, /authentication failed .*\(HTTP 401\)/);
  for (const args of [['x', '--for', 'sideways'], ['x'], ['x', '--for', 'active', '--timeout', 'soon']]) {
    const r = await wait(args, asDemo());
    assert.equal(r.code, 2, `${args.join(' ')}: ${show(r)}`);
  }
  const none = await wait(['x', '--for', 'active']);
  assert.equal(none.code, 2, show(none));
  assert.match(none.stderr, /no auth URL/);
  const noCloud = await wait(['x', '--for', 'active'], { ...asDemo(), OS_CLOUD: 'nope' });
  assert.equal(noCloud.code, 2, show(noCloud));
  assert.match(noCloud.stderr, /cloud nope is not in/);
  const unknown = await wait(['no-such-server', '--for', 'active'], asDemo());
  assert.equal(unknown.code, 1, show(unknown));
  assert.match(unknown.stderr, /No server with a name or ID of 'no-such-server' exists/);
});

test('a token revoked while waiting: the stream ends with its 401 error event, exit 1', {
  timeout: 60000,
}, async () => {
  const id = await active('w-revoked');
  const own = await token(proc.url, 'demo', 'demo');
  const w = startWait([id, '--for', 'shutoff'], {
    OS_AUTH_URL: `${proc.url}/identity/v3`,
    OS_AUTH_TYPE: 'token',
    OS_TOKEN: own,
  });
  assert.equal(await w.watching, `watching server ${id} (ACTIVE) until SHUTOFF`);
  const revoked = await fetch(`${proc.url}/identity/v3/auth/tokens`, {
    method: 'DELETE',
    headers: { 'x-auth-token': own, 'x-subject-token': own },
  });
  assert.equal(revoked.status, 204);
  const r = await w.done;
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, /the watch stream ended: .+ \(HTTP 401\)/);
});

/**
 * A TCP relay in front of a second Stratus whose catalog points at the relay (--public-url):
 * the wait's stream goes through it; the relay cuts that one connection once the stream is up and
 * refuses new ones until the delete is done, so the wait sees it only by coming back with
 * Last-Event-ID (the replay).
 */
async function droppedStream(mode: 'replay' | 'resync'): Promise<void> {
  let upstreamPort = 0;
  const streams = new Set<() => void>();
  let refusing = false;
  const relay: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(upstreamPort, '127.0.0.1');
    const drop = () => {
      client.destroy();
      upstream.destroy();
      streams.delete(drop);
    };
    upstream.on('data', (d: Buffer) => {
      if (d.includes('event: ready')) streams.add(drop);
    });
    client.pipe(upstream).pipe(client);
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const relayUrl = `http://127.0.0.1:${(relay.address() as { port: number }).port}`;
  // resync: a retention of 1 s, so that the wait's position is pruned while it is kept out.
  const p2 = await spawnFreshStratus(
    'wait-relay',
    ['--name', NODE, '--public-url', relayUrl],
    mode === 'resync' ? { STRATUS_EVENTS_RETENTION: '1' } : {},
  );
  try {
    upstreamPort = Number(new URL(p2.url).port);
    const demo2 = await token(p2.url, 'demo', 'demo');
    const admin2 = await token(p2.url, 'admin', 'admin');
    const img = (await call(p2.url, 'GET', '/image/v2/images', demo2)).body.images[0].id;
    const id = (
      await call(p2.url, 'POST', '/v2.1/servers', demo2, {
        server: { name: 'w-drop', imageRef: img, flavorRef: '1', networks: 'none' },
      })
    ).body.server.id;
    const get = async () => call(p2.url, 'GET', `/v2.1/servers/${id}`, demo2);
    await until('w-drop ACTIVE', async () => ((await get()).body?.server?.status === 'ACTIVE' ? true : undefined));
    const f = await call(p2.url, 'POST', '/stratus/v1/faults', admin2, {
      fault: { host: NODE, operation: 'destroy', mode: 'hang', server_id: id },
    });
    assert.equal(f.status, 201, JSON.stringify(f.body));
    assert.equal((await call(p2.url, 'DELETE', `/v2.1/servers/${id}`, demo2)).status, 204);
    const running = wait(['-v', id, '--for', 'deleted', '--timeout', '40'], {
      OS_AUTH_URL: `${p2.url}/identity/v3`,
      OS_USERNAME: 'demo',
      OS_PASSWORD: 'secret',
      OS_PROJECT_NAME: 'demo',
    });
    await until('the stream through the relay', async () => (streams.size > 0 ? true : undefined), 30000, 50);
    // Cut the stream and keep the wait out until the delete has finished: only the replay
    // after Last-Event-ID can tell it.
    refusing = true;
    for (const drop of [...streams]) drop();
    assert.equal((await call(p2.url, 'DELETE', '/stratus/v1/faults', admin2)).status, 204);
    await until('w-drop gone', async () => ((await get()).status === 404 ? true : undefined));
    if (mode === 'resync') await untilPruned(p2.url, demo2, id);
    refusing = false;
    const r = await running;
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`server ${id} is deleted`));
    assert.match(r.stderr, /watch stream dropped .*reconnecting/);
    if (mode === 'resync') assert.match(r.stderr, new RegExp(`resync \\(expired\\): reading server ${id} again`));
    else assert.doesNotMatch(r.stderr, /resync/);
  } finally {
    for (const drop of [...streams]) drop();
    await new Promise((r) => relay.close(r));
    await p2.stop();
  }
}

/** Until the server's deleted event is gone from the retained changes (a Last-Event-ID before it resyncs). */
async function untilPruned(url: string, tok: string, id: string): Promise<void> {
  const first = await SseStream.open(`${url}/stratus/v1/events?server_id=${id}`, {
    'x-auth-token': tok,
    'last-event-id': '0',
  });
  let deletedSeq: number;
  try {
    await first.until('the deleted event or a resync', (f) =>
      f.events().some((e) => e.event === 'server.deleted' || e.event === 'resync'),
    );
    const e = first.events().find((x) => x.event === 'server.deleted' || x.event === 'resync')!;
    // Already pruned (the replay from 0 resynced): the HEAD it names is past the delete.
    deletedSeq = e.event === 'server.deleted' ? e.data.seq : Number(e.data.seq);
  } finally {
    first.close();
  }
  await until(
    'the delete pruned',
    async () => {
      const probe = await SseStream.open(`${url}/stratus/v1/events`, {
        'x-auth-token': tok,
        'last-event-id': String(deletedSeq - 1),
      });
      try {
        await probe.until('ready and what follows', (p) => p.events().some((f) => f.event !== 'ready'), 5000);
        return probe.events()[1]?.event === 'resync' ? true : undefined;
      } catch {
        return undefined;
      } finally {
        probe.close();
      }
    },
    30000,
    300,
  );
}

test(
  'a dropped stream: the wait reconnects with Last-Event-ID and sees the delete in the replay',
  {
    timeout: 90000,
  },
  () => droppedStream('replay'),
);

test(
  'a dropped stream whose position expired meanwhile: resync, the wait reads the server again',
  {
    timeout: 90000,
  },
  () => droppedStream('resync'),
);

test('PostgreSQL: the wait follows an API process that did not run the delete', {
  timeout: 120000,
  skip: TEST_PG_URL ? false : 'STRATUS_TEST_DATABASE_URL is not set',
}, async () => {
  const db = await freshPostgres();
  let worker: FreshStratus | undefined;
  let api: FreshStratus | undefined;
  try {
    // One process runs the compute node and takes the API calls; the wait watches the other.
    worker = await spawnFreshStratus('wait-pg', ['--name', NODE, '--database', db.url]);
    api = await spawnFreshStratus('wait-pg-api', ['--agents', '0', '--database', db.url]);
    const w1 = worker;
    const d = await token(w1.url, 'demo', 'demo');
    const a = await token(w1.url, 'admin', 'admin');
    const img = (await call(w1.url, 'GET', '/image/v2/images', d)).body.images[0].id;
    const id = (
      await call(w1.url, 'POST', '/v2.1/servers', d, {
        server: { name: 'w-pg', imageRef: img, flavorRef: '1', networks: 'none' },
      })
    ).body.server.id;
    await until('w-pg ACTIVE', async () =>
      (await call(w1.url, 'GET', `/v2.1/servers/${id}`, d)).body?.server?.status === 'ACTIVE' ? true : undefined,
    );
    const f = await call(w1.url, 'POST', '/stratus/v1/faults', a, {
      fault: { host: NODE, operation: 'destroy', mode: 'hang', server_id: id },
    });
    assert.equal(f.status, 201, JSON.stringify(f.body));
    assert.equal((await call(w1.url, 'DELETE', `/v2.1/servers/${id}`, d)).status, 204);
    const w = startWait([id, '--for', 'deleted'], {
      OS_AUTH_URL: `${api.url}/identity/v3`,
      OS_USERNAME: 'demo',
      OS_PASSWORD: 'secret',
      OS_PROJECT_NAME: 'demo',
    });
    assert.equal(await w.watching, `watching server ${id} (ACTIVE, task deleting) until deleted`);
    assert.equal((await call(w1.url, 'DELETE', '/stratus/v1/faults', a)).status, 204);
    const r = await w.done;
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`^server ${id} is deleted`));
  } finally {
    await api?.stop();
    await worker?.stop();
    await db.drop();
  }
});
