// Several API processes and compute agents (process driver) against one PostgreSQL, with faults:
// an agent SIGKILLed mid-burst, an API SIGKILLed mid-burst, an agent down longer than service_down_time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresCluster, freePort, postgresBin } from '../../src/testing/postgres-cluster.js';
import { spawnAgent, spawnStratus, stopProcess, type StratusProcess } from '../../src/testing/process.js';
import { call, token } from '../../src/testing/http.js';
import { setTimeout as sleep } from 'node:timers/promises';

const bin = postgresBin();
const root = mkdtempSync(join(tmpdir(), 'stratus-multi-'));
let cluster: PostgresCluster | null = null;
const procs: StratusProcess[] = [];
const agentEnv = { STRATUS_REPORT_INTERVAL: '1' };
const apiArgs = (n: number) => [
  '--agents',
  '0',
  '--data',
  join(root, `api${n}`),
  '--database',
  cluster!.url,
  '--service-down-time',
  '4',
];
const agentArgs = (name: string) => [
  '--name',
  name,
  '--driver',
  'process',
  '--data',
  join(root, name),
  '--database',
  cluster!.url,
];

after(async () => {
  for (const p of procs) await stopProcess(p.child, 'SIGKILL');
  // Guests outlive their agent on purpose; a last agent run per node would reap them, but here we just kill what is ours.
  for (const pid of guestPids(new Set())) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  cluster?.destroy();
  rmSync(root, { recursive: true, force: true });
});

/** Live guest processes started under our root (their environment names an instance id). */
function guestPids(ids: Set<string>): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue;
      const env = readFileSync(`/proc/${d}/environ`, 'utf8');
      const m = env.match(/STRATUS_INSTANCE_ID=([0-9a-f-]{36})/);
      if (m && env.includes(root) && (ids.size === 0 || ids.has(m[1]))) out.push(Number(d));
    } catch {
      /* raced with exit */
    }
  }
  return out;
}
function instanceDirs(): string[] {
  const out: string[] = [];
  for (const n of ['node-a', 'node-b']) {
    const dir = join(root, n, 'instances');
    if (existsSync(dir)) out.push(...readdirSync(dir));
  }
  return out;
}

async function until(what: string, fn: () => Promise<boolean>, ms = 60000): Promise<number> {
  const start = Date.now();
  while (!(await fn())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - start;
}

let api1: StratusProcess, api2: StratusProcess, agentA: StratusProcess, agentB: StratusProcess;
let admin = '',
  demo = '',
  image = '';

before(async () => {
  if (!bin) return;
  cluster = new PostgresCluster(bin, await freePort());
  cluster.init();
  cluster.start();
  api1 = await spawnStratus(apiArgs(1));
  procs.push(api1);
  api2 = await spawnStratus(apiArgs(2));
  procs.push(api2);
  agentA = await spawnAgent(agentArgs('node-a'), agentEnv);
  procs.push(agentA);
  agentB = await spawnAgent(agentArgs('node-b'), agentEnv);
  procs.push(agentB);
  admin = await token(api1.url, 'admin', 'admin');
  demo = await token(api2.url, 'demo', 'demo');
  // A light guest: a shell that sleeps (200 node processes would not fit 2 cores).
  const img = await call(api1.url, 'POST', '/image/v2/images', admin, {
    name: 'sleeper',
    visibility: 'public',
    disk_format: 'raw',
    container_format: 'bare',
    stratus_command: 'exec sleep 600',
  });
  image = img.body.id;
  // Glance: an image is queued until its data is uploaded.
  const put = await fetch(`${api1.url}/image/v2/images/${image}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': admin, 'content-type': 'application/octet-stream' },
    body: 'sleeper',
  });
  assert.equal(put.status, 204);
});

async function boot(n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const url = i % 2 ? api2.url : api1.url;
    const r = await call(url, 'POST', '/v2.1/servers', demo, {
      server: { name: `${prefix}-${i}`, imageRef: image, flavorRef: '1', networks: 'auto' },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ids.push(r.body.server.id);
  }
  await until(
    `${prefix} ACTIVE`,
    async () => {
      const list = (await call(api1.url, 'GET', `/v2.1/servers/detail?name=${prefix}-&limit=1000`, demo)).body
        .servers as Array<{ status: string }>;
      return list.length === n && list.every((s) => s.status === 'ACTIVE');
    },
    120000,
  );
  return ids;
}

test('two APIs, two agents: servers spread over both nodes as real processes', {
  skip: bin ? false : 'no PostgreSQL',
  timeout: 120000,
}, async () => {
  const svcs = (await call(api1.url, 'GET', '/v2.1/os-services', admin)).body.services;
  assert.deepEqual(svcs.map((s: { host: string }) => s.host).sort(), ['node-a', 'node-b']);
  const ids = await boot(10, 'spread');
  const hosts = new Set<string>();
  for (const id of ids)
    hosts.add((await call(api2.url, 'GET', `/v2.1/servers/${id}`, admin)).body.server['OS-EXT-SRV-ATTR:host']);
  assert.deepEqual([...hosts].sort(), ['node-a', 'node-b']);
  assert.equal(guestPids(new Set(ids)).length, 10);
  const started = Date.now();
  for (const id of ids) assert.equal((await call(api1.url, 'DELETE', `/v2.1/servers/${id}`, demo)).status, 204);
  await until('guests gone', async () => guestPids(new Set(ids)).length === 0);
  process.stdout.write(`# 10 deletes: all guest processes gone ${Date.now() - started} ms after the first DELETE\n`);
  await until(
    'records gone',
    async () => (await call(api1.url, 'GET', '/v2.1/servers?name=spread-', demo)).body.servers.length === 0,
  );
});

test('agent SIGKILLed in the middle of 200 deletes (and an API killed too): every delete completes, no guest or directory left', {
  skip: bin ? false : 'no PostgreSQL',
  timeout: 300000,
}, async () => {
  const ids = await boot(200, 'burst');
  assert.equal(guestPids(new Set(ids)).length, 200);
  const accepted = new Set<string>();
  let i = 0;
  const workers = Array.from({ length: 16 }, async () => {
    while (i < ids.length) {
      const id = ids[i];
      const url = i++ % 2 ? api2.url : api1.url;
      try {
        if ((await call(url, 'DELETE', `/v2.1/servers/${id}`, demo)).status === 204) accepted.add(id);
      } catch {
        /* the API was killed: not acknowledged */
      }
    }
  });
  await until('a quarter acknowledged', async () => accepted.size >= 50);
  agentA.child.kill('SIGKILL');
  await until('half acknowledged', async () => accepted.size >= 100);
  api2.child.kill('SIGKILL');
  await Promise.allSettled(workers);
  const t0 = Date.now();
  agentA = await spawnAgent(agentArgs('node-a'), agentEnv);
  procs.push(agentA);
  api2 = await spawnStratus(apiArgs(2));
  procs.push(api2);
  // Whatever was not acknowledged is either untouched or committed: delete what is left through the surviving API.
  for (const id of ids) if (!accepted.has(id)) await call(api1.url, 'DELETE', `/v2.1/servers/${id}`, demo);
  await until(
    'all 200 gone',
    async () => (await call(api1.url, 'GET', '/v2.1/servers?name=burst-&limit=1000', demo)).body.servers.length === 0,
    120000,
  );
  await until('no guest process left', async () => guestPids(new Set(ids)).length === 0, 30000);
  process.stdout.write(`# agent restart: all 200 deletes done ${Date.now() - t0} ms after the restart\n`);
  // A guest whose delete went local while its node restarted is an orphan: its directory goes with
  // the node's orphan reaper (a periodic job, every 30 s), not with a terminate.
  await until('no instance directory left', async () => instanceDirs().length === 0, 45000).catch(() => {
    assert.deepEqual(instanceDirs(), []);
  });
  for (const id of ids.slice(0, 20)) {
    assert.equal((await call(api1.url, 'GET', `/v2.1/servers/${id}`, admin)).status, 404);
    assert.deepEqual((await call(api1.url, 'GET', `/networking/v2.0/ports?device_id=${id}`, admin)).body.ports, []);
  }
  const stuck = (
    await call(api1.url, 'GET', '/v2.1/servers/detail?all_tenants=1&limit=1000', admin)
  ).body.servers.filter((s: { 'OS-EXT-STS:task_state': string | null }) => s['OS-EXT-STS:task_state'] !== null);
  assert.deepEqual(stuck, []);
});

test('agent down longer than service_down_time: delete goes local; the orphan is reaped when the node is back', {
  skip: bin ? false : 'no PostgreSQL',
  timeout: 120000,
}, async () => {
  const ids = await boot(4, 'local');
  const onB: string[] = [];
  for (const id of ids)
    if ((await call(api1.url, 'GET', `/v2.1/servers/${id}`, admin)).body.server['OS-EXT-SRV-ATTR:host'] === 'node-b')
      onB.push(id);
  assert.ok(onB.length > 0, 'some servers on node-b');
  agentB.child.kill('SIGSTOP');
  try {
    await until(
      'node-b reported down',
      async () =>
        (await call(api1.url, 'GET', '/v2.1/os-services?host=node-b', admin)).body.services[0].state === 'down',
      20000,
    );
    for (const id of onB) {
      assert.equal((await call(api1.url, 'DELETE', `/v2.1/servers/${id}`, demo)).status, 204);
      assert.equal(
        (await call(api1.url, 'GET', `/v2.1/servers/${id}`, demo)).status,
        404,
        'gone at once (local delete)',
      );
      assert.deepEqual((await call(api1.url, 'GET', `/networking/v2.0/ports?device_id=${id}`, admin)).body.ports, []);
    }
    assert.equal(guestPids(new Set(onB)).length, onB.length, 'the guests still run on the unreachable node');
  } finally {
    agentB.child.kill('SIGCONT');
  }
  agentB.child.kill('SIGKILL');
  agentB = await spawnAgent(agentArgs('node-b'), agentEnv);
  procs.push(agentB);
  await until('orphans reaped', async () => guestPids(new Set(onB)).length === 0, 30000);
  for (const id of ids) await call(api1.url, 'DELETE', `/v2.1/servers/${id}`, demo);
  await until('rest gone', async () => guestPids(new Set(ids)).length === 0, 30000);
});

test('freeze (over NOTIFY, from another API process): node-a goes down, deletes go local; unfrozen, it reaps the orphans', {
  skip: bin ? false : 'no PostgreSQL',
  timeout: 120000,
}, async () => {
  const ids = await boot(4, 'freeze');
  const hostOf = async (id: string) =>
    (await call(api1.url, 'GET', `/v2.1/servers/${id}`, admin)).body.server['OS-EXT-SRV-ATTR:host'] as string;
  const onA: string[] = [];
  for (const id of ids) if ((await hostOf(id)) === 'node-a') onA.push(id);
  assert.ok(onA.length > 0, 'some servers on node-a');
  const stateOfA = async () =>
    (await call(api1.url, 'GET', '/v2.1/os-services?host=node-a', admin)).body.services[0].state as string;
  const f = await call(api2.url, 'POST', '/stratus/v1/faults', admin, {
    fault: { host: 'node-a', operation: 'freeze', mode: 'hang' },
  });
  assert.equal(f.status, 201, JSON.stringify(f.body));
  await until('node-a reported down', async () => (await stateOfA()) === 'down', 20000);
  for (const id of onA) {
    assert.equal((await call(api1.url, 'DELETE', `/v2.1/servers/${id}`, demo)).status, 204);
    assert.equal((await call(api1.url, 'GET', `/v2.1/servers/${id}`, demo)).status, 404, 'gone at once (local)');
  }
  assert.equal(guestPids(new Set(onA)).length, onA.length, 'the frozen node still runs the guests');
  // Removed through the other API process: the agent hears of it over NOTIFY (or its 1 s re-read).
  assert.equal((await call(api1.url, 'DELETE', `/stratus/v1/faults/${f.body.fault.id}`, admin)).status, 204);
  await until('orphans reaped by the thawed node', async () => guestPids(new Set(onA)).length === 0, 30000);
  await until('node-a up again', async () => (await stateOfA()) === 'up', 20000);
  // A remote delete's timeline, written by the agent process: its steps name the node.
  const rest = ids.filter((id) => !onA.includes(id));
  for (const id of rest) {
    const host = await hostOf(id);
    const del = await call(api2.url, 'DELETE', `/v2.1/servers/${id}`, demo);
    assert.equal(del.status, 204);
    await until(`${id} gone`, async () => (await call(api1.url, 'GET', `/v2.1/servers/${id}`, demo)).status === 404);
    const steps = (await call(api1.url, 'GET', `/stratus/v1/servers/${id}/timeline`, admin)).body.timeline
      .steps as Array<{ step: string; host: string | null }>;
    assert.equal(steps.find((s) => s.step === 'driver.destroy')?.host, host);
    assert.ok(steps.some((s) => s.step === 'deleted'));
  }
  await until('rest gone', async () => guestPids(new Set(ids)).length === 0, 30000);
});

test('the control API can kill a whole agent (crash drill), and it comes back', {
  skip: bin ? false : 'no PostgreSQL',
  timeout: 60000,
}, async () => {
  const exited = new Promise<NodeJS.Signals | null>((r) => agentA.child.once('exit', (_code, signal) => r(signal)));
  const f = await call(api1.url, 'POST', '/stratus/v1/faults', admin, {
    fault: { host: 'node-a', operation: 'lease', mode: 'fail' },
  });
  assert.equal(f.status, 201);
  assert.equal(await exited, 'SIGKILL');
  assert.equal((await call(api1.url, 'DELETE', `/stratus/v1/faults/${f.body.fault.id}`, admin)).status, 204);
  agentA = await spawnAgent(agentArgs('node-a'), agentEnv);
  procs.push(agentA);
  const ids = await boot(2, 'drill');
  for (const id of ids) assert.equal((await call(api2.url, 'DELETE', `/v2.1/servers/${id}`, demo)).status, 204);
  await until('drill gone', async () => guestPids(new Set(ids)).length === 0, 30000);
});

test('a second agent under the same host name fences the first', {
  skip: bin ? false : 'no PostgreSQL',
  timeout: 60000,
}, async () => {
  const exited = new Promise<number | null>((r) => agentB.child.once('exit', (code) => r(code)));
  const twin = await spawnAgent(agentArgs('node-b'), agentEnv);
  procs.push(twin);
  assert.equal(await exited, 75, 'the first node-b stops once the second took the name over');
  agentB = twin;
  const ids = await boot(2, 'fence');
  for (const id of ids) assert.equal((await call(api1.url, 'DELETE', `/v2.1/servers/${id}`, demo)).status, 204);
  await until('fence gone', async () => guestPids(new Set(ids)).length === 0, 30000);
});
