/**
 * `npm run bench` — Stratus' DELETE path under load, measured against a bare Fastify baseline
 * in the same run. Everything runs on 127.0.0.1; every server is a child process; the load
 * comes from autocannon in its own child process (bench/load.ts).
 *
 *   npm run bench                 full run (about 5 minutes on 2 cores)
 *   npm run bench -- --quick      smoke run (under a minute)
 *   npm run bench -- --profile    CPU profile of Stratus under the c64 DELETE load (top frames)
 *   npm run bench -- --no-pg      skip PostgreSQL even if STRATUS_BENCH_DATABASE_URL / STRATUS_TEST_DATABASE_URL is set
 *   npm run bench -- --streams-only [--quick] [--profile]   only scenario 7 (DELETE c64 with and without 1000
 *                                 idle watch streams); --profile: Stratus' top frames in each window
 *
 * Scenarios: 1 baseline, 2 DELETE throughput/latency at c1/c16/c64 (SQLite, and PostgreSQL when
 * a URL is given), 3 convergence (204 → server 404 and its ports gone; fake driver, and process
 * driver with real guest processes), 4 growth (list and DELETE
 * latency at 1k…1M rows, half of them deleted), 5 cold start, 6 RSS after each scenario, 7 DELETE
 * c64 (SQLite) plain, with 1000 idle watch streams open, plain again.
 * Output: the table below, bench/results/latest.json and bench/results/latency.svg.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runLoad, type LoadResult } from './load.js';
import { openSeeder, type DbRef, type Seeder } from './seed.js';
import {
  startBaseline,
  startStratus,
  stopServer,
  stopAll,
  killAllSync,
  issueToken,
  childPids,
  type ServerProcess,
} from './servers.js';
import { renderChart, type Panel } from './chart.js';
import { hotFrames, profileStartUs, type HotFrames } from './profile.js';
import { measureRoundTrips, roundTripLines, statsServer, type RoundTrips } from './pg-stats.js';
import { openStreams, type StreamsClosed, type StreamsOpened } from './streams.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  closeHttp,
  cpuSince,
  cpuSnapshot,
  type CpuSplit,
  median,
  removeTempDirs,
  request,
  round,
  summarize,
  tempDir,
  type Summary,
} from './util.js';

// --- configuration -----------------------------------------------------------------------

interface Plan {
  /** Baseline concurrency levels and seconds per level. */
  baselineLevels: number[];
  baselineSec: number;
  /** DELETE: seconds per level (the cap) and distinct servers seeded per level (the run also ends when they are used up). */
  deleteLevels: Array<{ c: number; sec: number; servers: number }>;
  warmSec: number;
  warmServers: number;
  convergeServers: number;
  /** Servers booted as real processes (process driver) for the convergence of a real destroy. */
  processServers: number;
  growthSizes: number[];
  growthTargets: number;
  listSec: number;
  growthDeleteSec: number;
  /** Growth on PostgreSQL too (when a URL is given); [] skips it. */
  pgGrowthSizes: number[];
  /** PostgreSQL DELETE levels with `serve --workers 2` (and at --workers 1 with `--only pg-workers`). */
  pgWorkerLevels: Array<{ c: number; sec: number; servers: number }>;
  /** Deletes counted for the round trips per delete (bench/pg-stats.ts). */
  roundTripDeletes: number;
  coldReps: number;
  /** Idle watch streams held open during the second of three DELETE runs at c64. */
  idleStreams: number;
  /** Hard limit for the whole run (a watchdog; the plan itself fits well inside). */
  limitSec: number;
}

const FULL: Plan = {
  baselineLevels: [1, 16, 64],
  baselineSec: 5,
  deleteLevels: [
    { c: 1, sec: 8, servers: 6000 },
    { c: 16, sec: 8, servers: 12000 },
    { c: 64, sec: 10, servers: 20000 },
  ],
  warmSec: 1.5,
  warmServers: 3000,
  convergeServers: 200,
  processServers: 40,
  growthSizes: [1_000, 100_000, 1_000_000],
  growthTargets: 500,
  listSec: 3,
  growthDeleteSec: 3,
  pgGrowthSizes: [1_000, 100_000],
  pgWorkerLevels: [
    { c: 16, sec: 8, servers: 12000 },
    { c: 64, sec: 10, servers: 20000 },
  ],
  roundTripDeletes: 3000,
  coldReps: 3,
  idleStreams: 1000,
  limitSec: 960,
};
const QUICK: Plan = {
  baselineLevels: [1, 16, 64],
  baselineSec: 1.2,
  deleteLevels: [
    { c: 1, sec: 1.5, servers: 1000 },
    { c: 16, sec: 1.5, servers: 2000 },
    { c: 64, sec: 2, servers: 3000 },
  ],
  warmSec: 0.5,
  warmServers: 600,
  convergeServers: 50,
  processServers: 10,
  growthSizes: [1_000, 20_000],
  growthTargets: 200,
  listSec: 1,
  growthDeleteSec: 1,
  pgGrowthSizes: [],
  pgWorkerLevels: [{ c: 64, sec: 2, servers: 3000 }],
  roundTripDeletes: 1000,
  coldReps: 2,
  idleStreams: 1000,
  limitSec: 400,
};

const TARGETS = {
  deleteRatioC64: 0.5,
  convergeP50: 5,
  convergeP99: 50,
  listP50AtLargest: 10,
  growthRatio: 1.2,
  coldStartMs: 1000,
};

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profileMode = argv.includes('--profile');
/** `--only pg-workers`: the baseline, PostgreSQL DELETE at --workers 1 and 2, round trips per delete. */
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
if (only !== undefined && only !== 'pg-workers') throw new Error(`--only: expected pg-workers, got ${only}`);
const streamsOnly = argv.includes('--streams-only');
const plan = quick ? QUICK : FULL;
const pgAdminUrl = argv.includes('--no-pg')
  ? undefined
  : process.env.STRATUS_BENCH_DATABASE_URL || process.env.STRATUS_TEST_DATABASE_URL || undefined;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const HOST = 'bench-node';

const log = (msg: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const t0 = performance.now();

// --- PostgreSQL: a fresh database per scenario, dropped at the end ---------------------------

const pgDatabases: string[] = [];

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 5000 });
  c.on('error', () => {
    /* surfaced by the pending query */
  });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function createPgDatabase(): Promise<string> {
  const name = `stratus_bench_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  pgDatabases.push(name);
  const u = new URL(pgAdminUrl!);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropPgDatabases(): Promise<void> {
  const names = pgDatabases.splice(0);
  if (!names.length) return;
  await withAdmin(async (c) => {
    for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }).catch((err: Error) => log(`could not drop ${names.join(', ')}: ${err.message}`));
}

// --- helpers -----------------------------------------------------------------------------

/** A data dir with a migrated, demo-seeded database: start Stratus once, stop it. */
async function preparedCloud(label: string, database?: string): Promise<{ data: string; ref: DbRef }> {
  const data = tempDir(label);
  const s = await startStratus({ data, database, name: HOST });
  await stopServer(s.child);
  return {
    data,
    ref: database ? { dialect: 'postgres', url: database } : { dialect: 'sqlite', file: join(data, 'stratus.sqlite') },
  };
}

/** Waits until the agent has no queued or leased task left; ms waited (NaN past the cap). */
async function waitDrain(seeder: Seeder, capMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < capMs) {
    if ((await seeder.openTasks()) === 0) return performance.now() - start;
    await sleep(10);
  }
  return NaN;
}

const deletePaths = (ids: string[]) => ids.map((id) => `/v2.1/servers/${id}`);

function deleteLoad(s: ServerProcess, token: string, c: number, sec: number, ids: string[]): Promise<LoadResult> {
  return runLoad({
    url: s.url,
    method: 'DELETE',
    headers: { 'x-auth-token': token },
    connections: c,
    durationSec: sec,
    paths: deletePaths(ids),
  });
}

function describe(r: LoadResult): string {
  const bad = r.non2xx + r.errors ? `, non-2xx ${r.non2xx}, errors ${r.errors} ${JSON.stringify(r.statuses)}` : '';
  return `${round(r.rps, 0)} req/s, p50 ${round(r.latency.p50)} ms, p99 ${round(r.latency.p99)} ms (${r.ok} in ${round(r.elapsedMs / 1000, 1)} s${r.exhausted ? ', servers used up' : ''}${bad})`;
}

// --- 1. baseline -------------------------------------------------------------------------

interface BaselineResult {
  levels: LoadResult[];
  rssMb: number;
}

async function baseline(): Promise<BaselineResult> {
  const s = await startBaseline();
  try {
    // Same request shape as the DELETE runs: DELETE /v2.1/servers/<distinct uuid>, X-Auth-Token.
    const load = (c: number, sec: number) =>
      runLoad({
        url: s.url,
        method: 'DELETE',
        headers: { 'x-auth-token': 'x'.repeat(46) },
        connections: c,
        durationSec: sec,
        randomServerIds: true,
      });
    await load(16, plan.warmSec);
    const levels: LoadResult[] = [];
    for (const c of plan.baselineLevels) {
      const r = await load(c, plan.baselineSec);
      log(`baseline c${c}: ${describe(r)}`);
      levels.push(r);
    }
    return { levels, rssMb: s.rss() };
  } finally {
    await stopServer(s.child);
  }
}

// --- 2 + 3. DELETE throughput and convergence ------------------------------------------------

interface ConvergeResult extends Summary {
  timeouts: number;
  failures: number;
}
interface DeleteResult {
  dialect: 'sqlite' | 'postgres';
  /** `serve --workers`. */
  workers: number;
  levels: LoadResult[];
  /** Deletes the agent finished per second within a level's load window (the API's window), and its backlog (open tasks) when the window closed. */
  windowDoneRps: Record<number, number>;
  backlogAtEnd: Record<number, number>;
  drainMs: Record<number, number>;
  /** Deletes the agent finished per second, from the start of a level's load to the end of its drain. */
  completeRps: Record<number, number>;
  /** CPU ms per finished delete, load start → backlog drained, of Stratus (all its processes), PostgreSQL, and the rest (the load generator). */
  cpuMsPerDelete: Record<number, CpuSplit>;
  convergence?: ConvergeResult;
  seeded: number;
  seedMs: number;
  /** Restart with `seeded` live servers: spawn → banner. */
  restartMs: number;
  /** 204s counted in the windows; servers deleted=1 after the drain (≥ accepted: requests in flight at a window's end complete too). */
  accepted: number;
  completed: number;
  /** After the drain: live servers still `deleting`, and dead-lettered tasks. Both must be 0. */
  stuck: number;
  deadTasks: number;
  rssMb: Record<string, number>;
  /** When each level's load ran, in ms after the spawn of Stratus (to cut the CPU profile to it). */
  windows: Record<number, { fromMs: number; toMs: number }>;
  profile?: HotFrames;
  /** With --workers: the primary's profile (its compute agents) over the same window. */
  agentProfile?: HotFrames;
}

/** "stratus postgres", "stratus postgres ×2 workers". */
const nameOf = (d: { dialect: string; workers: number }) =>
  `stratus ${d.dialect}${d.workers > 1 ? ` ×${d.workers} workers` : ''}`;
/** latest.json key prefix of a DELETE scenario: '', 'pg_', 'pg_w2_'. */
const deletePrefix = (d: { dialect: string; workers: number }) =>
  `${prefixOf(d.dialect)}${d.workers > 1 ? `w${d.workers}_` : ''}`;

async function deleteScenario(
  dialect: 'sqlite' | 'postgres',
  opts: { levels: Plan['deleteLevels']; converge: number; profileDir?: string; workers?: number },
): Promise<DeleteResult> {
  const workers = opts.workers ?? 1;
  const database = dialect === 'postgres' ? await createPgDatabase() : undefined;
  const { data, ref } = await preparedCloud(`delete-${dialect}`, database);
  const seeder = await openSeeder(ref);
  try {
    const want = plan.warmServers + opts.levels.reduce((n, l) => n + l.servers, 0) + opts.converge;
    const t = performance.now();
    const ids = await seeder.addTargets(want, HOST);
    const seedMs = performance.now() - t;
    log(`${dialect}: seeded ${want} servers (and ports) in ${round(seedMs, 0)} ms`);
    const profileFlags = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : undefined;
    const s = await startStratus({ data, database, name: HOST, nodeFlags: profileFlags, workers });
    const rssMb: Record<string, number> = {};
    const result: DeleteResult = {
      dialect,
      workers,
      levels: [],
      windowDoneRps: {},
      backlogAtEnd: {},
      drainMs: {},
      completeRps: {},
      cpuMsPerDelete: {},
      seeded: want,
      seedMs,
      restartMs: s.startMs,
      accepted: 0,
      completed: 0,
      stuck: 0,
      deadTasks: 0,
      rssMb,
      windows: {},
    };
    try {
      log(`${dialect}: Stratus restarted with ${want} live servers in ${round(s.startMs, 0)} ms`);
      const token = await issueToken(s.url);
      const take = (n: number) => ids.splice(0, n);
      const check = await request(`${s.url}/v2.1/servers/${ids[0]}`, 'GET', { headers: { 'x-auth-token': token } });
      if (check.status !== 200)
        throw new Error(`a seeded server is not visible to demo: ${check.status} ${check.body.slice(0, 200)}`);

      const warm = await deleteLoad(s, token, 16, plan.warmSec, take(plan.warmServers));
      result.accepted += warm.ok;
      await waitDrain(seeder, 30000);
      for (const l of opts.levels) {
        const deletedBefore = (await seeder.counts()).deleted;
        const stratusPids = () => [s.pid, ...childPids(s.pid)];
        const cpuBefore = cpuSnapshot(stratusPids());
        const r = await deleteLoad(s, token, l.c, l.sec, take(l.servers));
        const end = performance.now() - s.spawnedAt;
        // What the agent finished inside the API's window, and what it still had to do at its end.
        const [atEnd, backlog] = await Promise.all([seeder.counts(), seeder.openTasks()]);
        result.windowDoneRps[l.c] = (atEnd.deleted - deletedBefore) / (r.elapsedMs / 1000);
        result.backlogAtEnd[l.c] = backlog;
        result.windows[l.c] = { fromMs: end - r.elapsedMs, toMs: end };
        result.accepted += r.ok;
        result.levels.push(r);
        result.drainMs[l.c] = await waitDrain(seeder, quick ? 20000 : 60000);
        const completed = (await seeder.counts()).deleted - deletedBefore;
        const cpu = cpuSince(cpuBefore, cpuSnapshot(stratusPids()));
        result.cpuMsPerDelete[l.c] = {
          stratus: round(cpu.stratus / completed, 3),
          postgres: round(cpu.postgres / completed, 3),
          other: round(cpu.other / completed, 3),
        };
        result.completeRps[l.c] = completed / ((performance.now() - s.spawnedAt - result.windows[l.c].fromMs) / 1000);
        rssMb[`delete_c${l.c}`] = s.rss();
        log(
          `${nameOf(result)} DELETE c${l.c}: ${describe(r)}; agent ${round(result.windowDoneRps[l.c], 0)} done/s in the window, backlog ${backlog} at its end, drained ${round(result.drainMs[l.c], 0)} ms after (${round(result.completeRps[l.c], 0)} deletes completed/s); CPU ms per delete: Stratus ${result.cpuMsPerDelete[l.c].stratus}, PostgreSQL ${result.cpuMsPerDelete[l.c].postgres}, rest ${result.cpuMsPerDelete[l.c].other}`,
        );
      }
      if (opts.converge > 0) {
        result.convergence = await convergence(s, token, take(opts.converge));
        result.accepted += result.convergence.count;
        rssMb.convergence = s.rss();
        log(
          `${dialect} convergence: p50 ${round(result.convergence.p50)} ms, p95 ${round(result.convergence.p95)} ms, p99 ${round(result.convergence.p99)} ms (${result.convergence.count} servers, ${result.convergence.timeouts} timeouts)`,
        );
      }
      await waitDrain(seeder, 30000);
      const c = await seeder.counts();
      result.completed = c.deleted;
      result.stuck = await seeder.stuckDeleting();
      result.deadTasks = (await seeder.taskStates()).dead ?? 0;
    } finally {
      await stopServer(s.child);
    }
    if (opts.profileDir) {
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (the others are SQLite's checkpointer).
      const files = readdirSync(opts.profileDir)
        .filter((f) => f.endsWith('.cpuprofile') && f.split('.')[4] === '0')
        .sort();
      const pidOf = (f: string) => Number(f.split('.')[3]);
      const primary = files.filter((f) => pidOf(f) === s.pid).pop();
      // With --workers: one API worker's profile (they are alike); the primary's is the agents'.
      const file = workers > 1 ? files.find((f) => pidOf(f) !== s.pid) : primary;
      const w = result.windows[opts.levels[opts.levels.length - 1].c];
      if (file && primary) {
        // Windows are timed from the primary's spawn; a worker's profile starts later.
        const shift =
          (profileStartUs(join(opts.profileDir, file)) - profileStartUs(join(opts.profileDir, primary))) / 1000;
        result.profile = hotFrames(join(opts.profileDir, file), ROOT, 15, w.fromMs - shift, w.toMs - shift);
        if (workers > 1) result.agentProfile = hotFrames(join(opts.profileDir, primary), ROOT, 15, w.fromMs, w.toMs);
      }
    }
    return result;
  } finally {
    await seeder.close();
  }
}

/** One server at a time: DELETE, then poll (GET server, then its ports) until both are gone. */
async function convergence(s: ServerProcess, token: string, ids: string[]): Promise<ConvergeResult> {
  const headers = { 'x-auth-token': token };
  const times: number[] = [];
  let timeouts = 0,
    failures = 0;
  const capMs = 10000;
  for (const id of ids) {
    const d = await request(`${s.url}/v2.1/servers/${id}`, 'DELETE', { headers });
    const accepted = performance.now();
    if (d.status !== 204) {
      failures++;
      continue;
    }
    let done = false;
    while (!done && performance.now() - accepted < capMs) {
      const g = await request(`${s.url}/v2.1/servers/${id}`, 'GET', { headers });
      if (g.status !== 404) continue;
      const p = await request(`${s.url}/networking/v2.0/ports?device_id=${id}`, 'GET', { headers });
      done = p.status === 200 && (JSON.parse(p.body) as { ports: unknown[] }).ports.length === 0;
    }
    if (done) times.push(performance.now() - accepted);
    else timeouts++;
  }
  return { ...summarize(times), timeouts, failures };
}

/** Convergence with the process driver: each server is a real guest process that DELETE must end. */
interface ProcessConvergence extends ConvergeResult {
  guestsLeft: number;
  bootMs: number;
}

async function processConvergence(n: number): Promise<ProcessConvergence> {
  const data = tempDir('process-driver');
  const s = await startStratus({ data, name: HOST, extraArgs: ['--driver', 'process'] });
  try {
    const token = await issueToken(s.url);
    const headers = { 'x-auth-token': token, 'openstack-api-version': 'compute 2.37' };
    const images = JSON.parse((await request(`${s.url}/image/v2/images`, 'GET', { headers })).body) as {
      images: Array<{ id: string }>;
    };
    const t = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await request(`${s.url}/v2.1/servers`, 'POST', {
        headers,
        body: { server: { name: `guest-${i}`, imageRef: images.images[0].id, flavorRef: '1', networks: 'auto' } },
      });
      if (r.status !== 202) throw new Error(`process driver: create failed: ${r.status} ${r.body.slice(0, 200)}`);
      ids.push((JSON.parse(r.body) as { server: { id: string } }).server.id);
    }
    const pids: number[] = [];
    for (const id of ids) {
      for (let status = ''; status !== 'ACTIVE'; ) {
        const g = JSON.parse((await request(`${s.url}/v2.1/servers/${id}`, 'GET', { headers })).body) as {
          server: { status: string };
        };
        status = g.server.status;
        if (status === 'ERROR') throw new Error(`process driver: server ${id} went ERROR`);
        if (performance.now() - t > 60000) throw new Error('process driver: servers did not boot in 60 s');
        if (status !== 'ACTIVE') await new Promise((r) => setTimeout(r, 20));
      }
      pids.push(Number(readFileSync(join(data, HOST, 'instances', id, 'pid'), 'utf8').trim()));
    }
    const bootMs = performance.now() - t;
    const conv = await convergence(s, token, ids);
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    const dirs = readdirSync(join(data, HOST, 'instances'));
    return { ...conv, guestsLeft: Math.max(alive.length, dirs.length), bootMs };
  } finally {
    await stopServer(s.child);
  }
}

// --- 4. growth ---------------------------------------------------------------------------

interface GrowthStage {
  size: number;
  live: number;
  deleted: number;
  ports: number;
  tasks: number;
  actions: number;
  seedMs: number;
  startMs: number;
  list: LoadResult;
  del: LoadResult;
  rssMb: number;
}
interface GrowthResult {
  dialect: 'sqlite' | 'postgres';
  stages: GrowthStage[];
}

async function growth(dialect: 'sqlite' | 'postgres', sizes: number[]): Promise<GrowthResult> {
  const database = dialect === 'postgres' ? await createPgDatabase() : undefined;
  const { data, ref } = await preparedCloud(`growth-${dialect}`, database);
  const seeder = await openSeeder(ref);
  const stages: GrowthStage[] = [];
  try {
    for (const size of sizes) {
      // Half the rows deleted, half live; `growthTargets` of the live ones are on our node, to DELETE.
      const before = await seeder.counts();
      const deletedFill = Math.max(0, Math.floor(size / 2) - before.deleted);
      const liveFill = Math.max(0, size - Math.floor(size / 2) - before.live - plan.growthTargets);
      const t = performance.now();
      await seeder.addFillers(liveFill, deletedFill, HOST);
      const targets = await seeder.addTargets(plan.growthTargets, HOST);
      const seedMs = performance.now() - t;
      const c = await seeder.counts();
      log(
        `${dialect} growth ${label(size)}: ${c.servers} servers (${c.deleted} deleted), ${c.ports} ports, ${c.actions} instance actions, ${c.tasks} tasks; seeded in ${round(seedMs / 1000, 1)} s`,
      );
      const s = await startStratus({ data, database, name: HOST });
      try {
        const token = await issueToken(s.url);
        const headers = { 'x-auth-token': token };
        const listPath = '/v2.1/servers/detail?limit=100';
        const page = await request(`${s.url}${listPath}`, 'GET', { headers });
        const n = page.status === 200 ? (JSON.parse(page.body) as { servers: unknown[] }).servers.length : 0;
        if (n !== 100) throw new Error(`list page: ${page.status}, ${n} servers`);
        await runLoad({
          url: s.url,
          method: 'GET',
          headers,
          connections: 1,
          durationSec: plan.warmSec,
          path: listPath,
        });
        const list = await runLoad({
          url: s.url,
          method: 'GET',
          headers,
          connections: 1,
          durationSec: plan.listSec,
          path: listPath,
        });
        const del = await deleteLoad(s, token, 1, plan.growthDeleteSec, targets);
        await waitDrain(seeder, quick ? 10000 : 30000);
        stages.push({
          size,
          live: c.live,
          deleted: c.deleted,
          ports: c.ports,
          tasks: c.tasks,
          actions: c.actions,
          seedMs,
          startMs: s.startMs,
          list,
          del,
          rssMb: s.rss(),
        });
        log(
          `${dialect} growth ${label(size)}: start ${round(s.startMs, 0)} ms; list ${describe(list)}; DELETE c1 ${describe(del)}`,
        );
      } finally {
        await stopServer(s.child);
      }
    }
  } finally {
    await seeder.close();
  }
  return { dialect, stages };
}

// --- 5. cold start -----------------------------------------------------------------------

interface ColdStart {
  bannerFreshMs: number[];
  firstDeleteMs: number[];
  bannerSeededMs: number[];
  rssMb: number;
}

async function coldStart(): Promise<ColdStart> {
  const out: ColdStart = { bannerFreshMs: [], firstDeleteMs: [], bannerSeededMs: [], rssMb: NaN };
  // (a) a fresh, empty data dir: migrate, seed the demo cloud, listen.
  for (let i = 0; i < plan.coldReps; i++) {
    const s = await startStratus({ data: tempDir('cold-fresh'), name: HOST });
    out.bannerFreshMs.push(s.startMs);
    await stopServer(s.child);
  }
  // (b) a fresh data dir holding a copy of a prepared database: spawn → token → DELETE 204.
  const { ref } = await preparedCloud('cold-template');
  const seeder = await openSeeder(ref);
  const ids = await seeder.addTargets(plan.coldReps, HOST);
  await seeder.close();
  for (const id of ids) {
    const data = tempDir('cold-seeded');
    copyFileSync((ref as { file: string }).file, join(data, 'stratus.sqlite'));
    const s = await startStratus({ data, name: HOST });
    try {
      const token = await issueToken(s.url);
      const d = await request(`${s.url}/v2.1/servers/${id}`, 'DELETE', { headers: { 'x-auth-token': token } });
      if (d.status !== 204) throw new Error(`cold start DELETE: ${d.status} ${d.body.slice(0, 200)}`);
      out.firstDeleteMs.push(performance.now() - s.spawnedAt);
      out.bannerSeededMs.push(s.startMs);
      out.rssMb = s.rss();
    } finally {
      await stopServer(s.child);
    }
  }
  log(
    `cold start: banner (fresh dir) ${out.bannerFreshMs.map((x) => round(x, 0)).join(', ')} ms; first DELETE 204 ${out.firstDeleteMs.map((x) => round(x, 0)).join(', ')} ms`,
  );
  return out;
}

// --- 7. DELETE with idle watch streams ---------------------------------------------------------

interface StreamsResult {
  plainBefore: LoadResult;
  withStreams: LoadResult;
  plainAfter: LoadResult;
  /** withStreams ÷ the mean of the two plain runs around it. */
  ratio: number;
  opened: StreamsOpened;
  closed: StreamsClosed;
  rssMb: { plain: number; idleStreams: number; underLoad: number; after: number };
}

/**
 * The same DELETE run (SQLite, c64) three times on one server: plain, with `plan.idleStreams`
 * watch streams open (held by a child process of their own, half as demo following one untouched
 * server, half as admin on its own, idle project), and plain again, so drift shows.
 */
async function streamsScenario(profileDir?: string): Promise<StreamsResult> {
  const level = plan.deleteLevels.find((l) => l.c === 64)!;
  const { data, ref } = await preparedCloud('streams');
  const windows: Record<string, { fromMs: number; toMs: number }> = {};
  const seeder = await openSeeder(ref);
  try {
    const want = plan.warmServers + 3 * level.servers + 1;
    const ids = await seeder.addTargets(want, HOST);
    const profileFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : undefined;
    const s = await startStratus({ data, name: HOST, nodeFlags: profileFlags });
    try {
      const demo = await issueToken(s.url);
      const admin = await issueToken(s.url, 'admin', 'admin');
      const take = (n: number) => ids.splice(0, n);
      const untouched = take(1)[0];
      await deleteLoad(s, demo, 16, plan.warmSec, take(plan.warmServers));
      await waitDrain(seeder, 30000);
      const run = async (what: string) => {
        const r = await deleteLoad(s, demo, level.c, level.sec, take(level.servers));
        const end = performance.now() - s.spawnedAt;
        windows[what] = { fromMs: end - r.elapsedMs, toMs: end };
        const drain = await waitDrain(seeder, quick ? 20000 : 60000);
        log(`streams scenario, DELETE c${level.c} ${what}: ${describe(r)}; drained ${round(drain, 0)} ms after`);
        return r;
      };
      const plainBefore = await run('plain');
      const rssPlain = s.rss();
      // Each stream is a descriptor in Stratus and in the holder; children inherit our limit.
      const fds = openFileLimit();
      if (fds < plan.idleStreams + 512)
        log(
          `streams scenario: the open-file limit is ${fds}, too low for ${plan.idleStreams} streams (run \`ulimit -n ${plan.idleStreams + 1024}\` first): the count connected shows what fit`,
        );
      const streams = await openStreams({
        url: s.url,
        count: plan.idleStreams,
        as: [
          { token: demo, query: { server_id: untouched } },
          { token: admin, query: {} },
        ],
        openConcurrency: 50,
        maxSec: level.sec + 120,
      });
      const o = streams.opened;
      log(
        `streams scenario: ${o.connected}/${o.requested} idle streams connected in ${round(o.openMs, 0)} ms${o.failed ? ` (${o.failed} failed: ${o.reasons.join('; ')})` : ''}`,
      );
      const rssIdle = s.rss();
      let withStreams: LoadResult;
      let rssLoaded: number;
      let closed: StreamsClosed;
      try {
        withStreams = await run(`with ${o.connected} idle streams`);
        rssLoaded = s.rss();
      } finally {
        closed = await streams.stop();
      }
      log(
        `streams scenario: ${closed.stillOpen} streams still open at the end, ${closed.events} events and ${closed.heartbeats} heartbeats received while held`,
      );
      const plainAfter = await run('plain again');
      const ratio = withStreams.rps / ((plainBefore.rps + plainAfter.rps) / 2);
      log(`streams scenario: ratio with streams ÷ plain ${round(ratio, 3)}`);
      const rssAfter = s.rss();
      await stopServer(s.child);
      if (profileDir) printStreamsProfile(profileDir, windows);
      return {
        plainBefore,
        withStreams,
        plainAfter,
        ratio,
        opened: o,
        closed,
        rssMb: { plain: rssPlain, idleStreams: rssIdle, underLoad: rssLoaded, after: rssAfter },
      };
    } finally {
      await stopServer(s.child);
    }
  } finally {
    await seeder.close();
  }
}

/** `--streams-only --profile`: the top frames of Stratus in each of the three windows, on stderr. */
function printStreamsProfile(dir: string, windows: Record<string, { fromMs: number; toMs: number }>): void {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.split('.')[4] === '0')
    .sort()
    .pop();
  if (!file) {
    log('streams scenario: no .cpuprofile was written');
    return;
  }
  for (const [what, w] of Object.entries(windows)) {
    const p = hotFrames(join(dir, file), ROOT, 12, w.fromMs, w.toMs);
    const lines = [`profile, DELETE c64 ${what} (${p.samples} samples): self % / total %, by total`];
    for (const x of p.byTotal)
      lines.push(`  ${x.selfPct.toFixed(1).padStart(5)} ${x.totalPct.toFixed(1).padStart(5)}  ${x.frame}`);
    lines.push('  by self:');
    for (const x of p.bySelf)
      lines.push(`  ${x.selfPct.toFixed(1).padStart(5)} ${x.totalPct.toFixed(1).padStart(5)}  ${x.frame}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}

/** The soft RLIMIT_NOFILE of this process (children inherit it); Infinity when unknown. */
function openFileLimit(): number {
  try {
    const m = readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\d+|unlimited)/m);
    return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}

function streamsResults(x: StreamsResult): Record<string, unknown> {
  return {
    streams_requested: x.opened.requested,
    streams_connected: x.opened.connected,
    streams_failed: x.opened.failed,
    streams_open_ms: round(x.opened.openMs, 0),
    streams_still_open_at_end: x.closed.stillOpen,
    streams_events_received: x.closed.events,
    streams_delete_rps_c64_plain_before: round(x.plainBefore.rps, 0),
    streams_delete_rps_c64_with_streams: round(x.withStreams.rps, 0),
    streams_delete_rps_c64_plain_after: round(x.plainAfter.rps, 0),
    streams_delete_p99_ms_c64_plain_before: round(x.plainBefore.latency.p99, 3),
    streams_delete_p99_ms_c64_with_streams: round(x.withStreams.latency.p99, 3),
    streams_delete_p99_ms_c64_plain_after: round(x.plainAfter.latency.p99, 3),
    streams_delete_errors:
      x.plainBefore.non2xx +
      x.plainBefore.errors +
      x.withStreams.non2xx +
      x.withStreams.errors +
      x.plainAfter.non2xx +
      x.plainAfter.errors,
    streams_delete_ratio_c64: round(x.ratio, 4),
    streams_rss_mb_plain: x.rssMb.plain,
    streams_rss_mb_idle_streams: x.rssMb.idleStreams,
    streams_rss_mb_under_load: x.rssMb.underLoad,
    streams_rss_mb_after: x.rssMb.after,
  };
}

function streamsReport(x: StreamsResult): string {
  const f = (v: number, d = 3) => (Number.isFinite(v) ? String(round(v, d)) : '-');
  const row = (what: string, n: number, l: LoadResult, rss: number) => [
    what,
    String(n),
    f(l.rps, 0),
    f(l.latency.p50),
    f(l.latency.p99),
    String(l.non2xx + l.errors),
    f(rss, 1),
  ];
  const rows = [
    ['DELETE c64 (sqlite) and idle watch streams', 'streams', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'RSS MB'],
    row('plain', 0, x.plainBefore, x.rssMb.plain),
    row('with idle streams', x.opened.connected, x.withStreams, x.rssMb.underLoad),
    row('plain again', 0, x.plainAfter, x.rssMb.after),
  ];
  return [
    table(rows),
    `  ratio with streams ÷ mean of the plain runs: ${f(x.ratio)}; streams connected ${x.opened.connected}/${x.opened.requested} in ${f(x.opened.openMs, 0)} ms (half demo with server_id of an untouched server, half admin on its own project), ${x.closed.stillOpen} still open at the end, ${x.closed.events} events received while held; RSS with the streams idle ${f(x.rssMb.idleStreams, 1)} MB (plain ${f(x.rssMb.plain, 1)} MB)`,
  ].join('\n');
}

// --- report ------------------------------------------------------------------------------

interface Run {
  baseline: BaselineResult;
  deletes: DeleteResult[];
  roundTrips?: RoundTrips[];
  roundTripsWhere?: string;
  processConvergence: ProcessConvergence;
  growths: GrowthResult[];
  cold: ColdStart;
  streams: StreamsResult;
}

function label(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}m` : size >= 1000 ? `${size / 1000}k` : String(size);
}

function gitInfo(): { commit: string; dirty: boolean } {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return {
      commit: git('rev-parse', 'HEAD'),
      dirty: git('status', '--porcelain', '--', 'src', 'package.json') !== '',
    };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

const at = (levels: LoadResult[], c: number) => levels.find((l) => l.connections === c);
const prefixOf = (dialect: string) => (dialect === 'postgres' ? 'pg_' : '');

/** latest.json: flat keys (PostgreSQL ones prefixed pg_), plus the target verdicts. */
/** Read when the run starts, right after the build (the tree may change while we measure). */
const GIT = gitInfo();

function buildResults(run: Run, elapsedS: number): Record<string, unknown> {
  const { baseline: b, cold } = run;
  const git = GIT;
  const r: Record<string, unknown> = {
    timestamp: new Date().toISOString(),
    quick,
    git_commit: git.commit,
    git_dirty: git.dirty,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    cpu_count: cpus().length,
    node_version: process.version,
    duration_s: round(elapsedS, 1),
    baseline_rps: round(at(b.levels, 64)!.rps, 0),
  };
  for (const l of b.levels) {
    r[`baseline_rps_c${l.connections}`] = round(l.rps, 0);
    r[`baseline_p50_ms_c${l.connections}`] = round(l.latency.p50, 3);
    r[`baseline_p99_ms_c${l.connections}`] = round(l.latency.p99, 3);
  }
  const pc = run.processConvergence;
  Object.assign(r, {
    process_converge_p50_ms: round(pc.p50, 3),
    process_converge_p95_ms: round(pc.p95, 3),
    process_converge_p99_ms: round(pc.p99, 3),
    process_converge_max_ms: round(pc.max, 3),
    process_converge_servers: pc.count,
    process_converge_timeouts: pc.timeouts + pc.failures,
    process_guests_left: pc.guestsLeft,
  });
  for (const d of run.deletes) {
    const p = deletePrefix(d);
    for (const l of d.levels) {
      const c = l.connections;
      r[`${p}delete_rps_c${c}`] = round(l.rps, 0);
      r[`${p}delete_p50_ms_c${c}`] = round(l.latency.p50, 3);
      r[`${p}delete_p99_ms_c${c}`] = round(l.latency.p99, 3);
      const base = at(b.levels, c);
      if (base) r[`${p}delete_ratio_c${c}`] = round(l.rps / base.rps, 4);
      r[`${p}delete_errors_c${c}`] = l.non2xx + l.errors;
      r[`${p}delete_completed_per_s_c${c}`] = round(d.completeRps[c], 0);
      r[`${p}delete_done_per_s_in_window_c${c}`] = round(d.windowDoneRps[c], 0);
      r[`${p}delete_backlog_at_window_end_c${c}`] = d.backlogAtEnd[c];
      r[`${p}drain_ms_after_c${c}`] = round(d.drainMs[c], 0);
      r[`${p}delete_cpu_ms_per_delete_c${c}`] = d.cpuMsPerDelete[c];
    }
    if (d.convergence) {
      r[`${p}converge_p50_ms`] = round(d.convergence.p50, 3);
      r[`${p}converge_p95_ms`] = round(d.convergence.p95, 3);
      r[`${p}converge_p99_ms`] = round(d.convergence.p99, 3);
      r[`${p}converge_max_ms`] = round(d.convergence.max, 3);
      r[`${p}converge_servers`] = d.convergence.count;
      r[`${p}converge_timeouts`] = d.convergence.timeouts + d.convergence.failures;
    }
    r[`${p}deletes_accepted`] = d.accepted;
    r[`${p}deletes_completed`] = d.completed;
    r[`${p}stuck_deleting`] = d.stuck;
    r[`${p}dead_tasks`] = d.deadTasks;
    r[`${p}restart_ms_with_live_servers`] = round(d.restartMs, 0);
    r[`${p}restart_live_servers`] = d.seeded;
  }
  r.postgres = run.deletes.some((d) => d.dialect === 'postgres')
    ? 'measured'
    : 'not run (set STRATUS_BENCH_DATABASE_URL or STRATUS_TEST_DATABASE_URL)';
  for (const g of run.growths) {
    const p = prefixOf(g.dialect);
    for (const s of g.stages) {
      const k = label(s.size);
      r[`${p}list_${k}_p50_ms`] = round(s.list.latency.p50, 3);
      r[`${p}list_${k}_p99_ms`] = round(s.list.latency.p99, 3);
      r[`${p}delete_${k}_p50_ms`] = round(s.del.latency.p50, 3);
      r[`${p}delete_${k}_p99_ms`] = round(s.del.latency.p99, 3);
      r[`${p}restart_ms_${k}`] = round(s.startMs, 0);
    }
    const first = g.stages[0],
      last = g.stages[g.stages.length - 1];
    r[`${p}growth_sizes`] = g.stages.map((s) => s.size);
    r[`${p}growth_largest_size`] = last.size;
    r[`${p}list_largest_p50_ms`] = round(last.list.latency.p50, 3);
    r[`${p}list_growth_ratio`] = round(last.list.latency.p50 / first.list.latency.p50, 3);
    r[`${p}delete_growth_ratio`] = round(last.del.latency.p50 / first.del.latency.p50, 3);
  }
  r.growth_rows =
    'half deleted=1 (each with its delete action and terminate event), half live (each with a port, on other hosts); DELETE targets on the benchmark node';
  r.cold_start_ms = round(median(cold.firstDeleteMs), 0);
  r.cold_start_banner_ms = round(median(cold.bannerFreshMs), 0);
  r.cold_start_banner_seeded_ms = round(median(cold.bannerSeededMs), 0);
  const rssBy: Record<string, number> = { baseline: b.rssMb };
  for (const d of run.deletes)
    for (const [k, v] of Object.entries(d.rssMb)) rssBy[`${deletePrefix(d) || 'sqlite_'}${k}`] = v;
  for (const g of run.growths) for (const s of g.stages) rssBy[`${g.dialect}_growth_${label(s.size)}`] = s.rssMb;
  rssBy.cold_start = cold.rssMb;
  rssBy.sqlite_streams_idle = run.streams.rssMb.idleStreams;
  rssBy.sqlite_streams_under_load = run.streams.rssMb.underLoad;
  Object.assign(r, streamsResults(run.streams));
  r.rss_mb_by_scenario = rssBy;
  r.rss_mb = Math.max(
    ...Object.entries(rssBy)
      .filter(([k]) => k !== 'baseline')
      .map(([, v]) => v)
      .filter(Number.isFinite),
  );
  for (const rt of run.roundTrips ?? []) {
    const p = `pg_round_trips_${rt.setup === 'split' ? 'split' : 'in_process'}_w${rt.workers}_`;
    r[`${p}api_statements_per_delete`] = rt.apiStatements;
    r[`${p}agent_statements_per_delete`] = rt.agentStatements;
    r[`${p}transactions_per_delete`] = rt.transactions;
    r[`${p}top_statements`] = rt.top;
  }
  r.targets = evaluate(r);
  return r;
}

interface Verdict {
  metric: string;
  measured: number;
  target: string;
  met: boolean;
  note?: string;
}

function evaluate(r: Record<string, unknown>): Verdict[] {
  const n = (k: string) => r[k] as number;
  const v: Verdict[] = [];
  const atLeast = (metric: string, want: number, note?: string) => {
    if (r[metric] !== undefined)
      v.push({ metric, measured: n(metric), target: `>= ${want}`, met: n(metric) >= want, note });
  };
  const atMost = (metric: string, want: number, note?: string, shown = metric) => {
    if (r[metric] !== undefined)
      v.push({ metric: shown, measured: n(metric), target: `<= ${want}`, met: n(metric) <= want, note });
  };
  for (const p of ['', 'pg_', 'pg_w2_']) {
    if (r[`${p}delete_rps_c64`] === undefined) continue;
    atLeast(`${p}delete_ratio_c64`, TARGETS.deleteRatioC64);
    atMost(`${p}converge_p50_ms`, TARGETS.convergeP50);
    atMost(`${p}converge_p99_ms`, TARGETS.convergeP99);
  }
  for (const p of ['', 'pg_']) {
    if (r[`${p}growth_largest_size`] === undefined) continue;
    const largest = label(n(`${p}growth_largest_size`));
    const scope = n(`${p}growth_largest_size`) < 1_000_000 ? `measured at ${largest}; the target is for 1m` : undefined;
    atMost(`${p}list_largest_p50_ms`, TARGETS.listP50AtLargest, scope, `${p}list_${largest}_p50_ms`);
    atMost(`${p}list_growth_ratio`, TARGETS.growthRatio, `1k → ${largest}`);
    atMost(`${p}delete_growth_ratio`, TARGETS.growthRatio, `1k → ${largest}`);
  }
  atMost('cold_start_ms', TARGETS.coldStartMs, 'spawn → first DELETE 204');
  return v;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r, j) => {
      const line = r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd();
      return j === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/** The DELETE rows: the API's rate next to the agent's, over the same window, and the backlog it left. */
function deleteTable(run: Pick<Run, 'baseline' | 'deletes'>): string {
  const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '-' : String(round(x, d)));
  const b = run.baseline;
  const rows = [
    [
      'DELETE /v2.1/servers/{id}',
      'conc',
      'req/s',
      'ratio',
      'p50 ms',
      'p99 ms',
      'errors',
      'done/s',
      'backlog',
      'drain ms',
      'done/s to drain',
    ],
  ];
  for (const l of b.levels)
    rows.push([
      'baseline (bare Fastify 204)',
      String(l.connections),
      f(l.rps, 0),
      '1',
      f(l.latency.p50, 3),
      f(l.latency.p99, 3),
      String(l.non2xx + l.errors),
      '',
      '',
      '',
      '',
    ]);
  for (const d of run.deletes) {
    for (const l of d.levels) {
      const base = at(b.levels, l.connections);
      rows.push([
        nameOf(d),
        String(l.connections),
        f(l.rps, 0),
        base ? f(l.rps / base.rps, 3) : '-',
        f(l.latency.p50, 3),
        f(l.latency.p99, 3),
        String(l.non2xx + l.errors),
        f(d.windowDoneRps[l.connections], 0),
        String(d.backlogAtEnd[l.connections] ?? '-'),
        f(d.drainMs[l.connections], 0),
        f(d.completeRps[l.connections], 0),
      ]);
    }
  }
  return [
    table(rows),
    '  ratio = req/s ÷ baseline req/s at the same concurrency, this run; done/s = deletes the agents finished per second in the same window as req/s;',
    '  backlog = tasks still open when the window closed; done/s to drain = deletes finished per second, load start → backlog drained',
  ].join('\n');
}

function report(run: Run, r: Record<string, unknown>): string {
  const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '-' : String(round(x, d)));
  const out: string[] = [];
  out.push(
    `Stratus DELETE benchmark — ${r.quick ? 'quick' : 'full'} run, ${r.timestamp}, ${r.cpu_model} ×${r.cpu_count}, node ${r.node_version}, commit ${String(r.git_commit).slice(0, 12)}${r.git_dirty ? ' (+ uncommitted changes)' : ''}`,
  );
  out.push('');
  out.push(deleteTable(run));
  out.push('');
  out.push(...roundTripLines(run.roundTrips ?? [], run.roundTripsWhere ?? ''));
  if (run.roundTrips?.length) out.push('');
  const conv = [
    ['convergence (204 → GET 404, ports gone)', 'servers', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'timeouts'],
  ];
  for (const d of run.deletes)
    if (d.convergence)
      conv.push([
        nameOf(d),
        String(d.convergence.count),
        f(d.convergence.p50, 3),
        f(d.convergence.p95, 3),
        f(d.convergence.p99, 3),
        f(d.convergence.max, 3),
        String(d.convergence.timeouts + d.convergence.failures),
      ]);
  const pc = run.processConvergence;
  conv.push([
    'stratus sqlite, process driver',
    String(pc.count),
    f(pc.p50, 3),
    f(pc.p95, 3),
    f(pc.p99, 3),
    f(pc.max, 3),
    String(pc.timeouts + pc.failures),
  ]);
  out.push(table(conv));
  out.push(
    `  process driver: every server a real guest process (SIGTERM, then SIGKILL after a grace period); guest processes or instance directories left after the deletes: ${pc.guestsLeft}`,
  );
  out.push('');
  const gr = [
    [
      'growth (c1; half the rows deleted)',
      'rows',
      'actions',
      'tasks',
      'list p50',
      'list p99',
      'DELETE p50',
      'DELETE p99',
      'restart ms',
      'RSS MB',
    ],
  ];
  for (const g of run.growths)
    for (const s of g.stages) {
      gr.push([
        `${g.dialect} ${label(s.size)}`,
        String(s.live + s.deleted),
        String(s.actions),
        String(s.tasks),
        f(s.list.latency.p50, 3),
        f(s.list.latency.p99, 3),
        f(s.del.latency.p50, 3),
        f(s.del.latency.p99, 3),
        f(s.startMs, 0),
        f(s.rssMb, 1),
      ]);
    }
  out.push(table(gr));
  for (const g of run.growths) {
    const p = prefixOf(g.dialect);
    out.push(
      `  ${g.dialect}: growth 1k → ${label(g.stages[g.stages.length - 1].size)} (p50): list ${f(r[`${p}list_growth_ratio`] as number, 2)}×, DELETE ${f(r[`${p}delete_growth_ratio`] as number, 2)}×`,
    );
  }
  out.push('  list = GET /v2.1/servers/detail?limit=100 as demo');
  out.push('');
  out.push(
    `cold start: spawn → banner ${r.cold_start_banner_ms} ms (fresh data dir); spawn → first DELETE 204 ${r.cold_start_ms} ms (fresh dir with a copy of a prepared database; token included)`,
  );
  for (const d of run.deletes)
    out.push(
      `${nameOf(d)}: restart with ${d.seeded} live servers on the node took ${round(d.restartMs, 0)} ms to the banner`,
    );
  out.push(
    `RSS MB at the end of each scenario: ${Object.entries(r.rss_mb_by_scenario as Record<string, number>)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  for (const d of run.deletes)
    out.push(
      `integrity (${nameOf(d)}): ${d.accepted} deletes accepted in the windows, ${d.completed} servers deleted, ${d.stuck} stuck in deleting, ${d.deadTasks} dead tasks`,
    );
  for (const d of run.deletes)
    for (const [c, cpu] of Object.entries(d.cpuMsPerDelete))
      out.push(
        `CPU ms per delete (${nameOf(d)}, c${c}, load start → drained): Stratus ${cpu.stratus}, PostgreSQL ${cpu.postgres}, rest of the machine (load generator) ${cpu.other}`,
      );
  if (!run.deletes.some((d) => d.dialect === 'postgres')) out.push(`postgres: ${r.postgres}`);
  out.push('');
  out.push(streamsReport(run.streams));
  out.push('');
  const tv = [['target', 'measured', 'wanted', 'verdict', '']];
  for (const v of r.targets as Verdict[])
    tv.push([v.metric, f(v.measured, 3), v.target, v.met ? 'met' : 'NOT MET', v.note ?? '']);
  out.push(table(tv));
  return out.join('\n') + '\n';
}

const COLORS: Record<string, string> = { sqlite: '#1f77b4', postgres: '#2ca02c' };

function chart(run: Run, r: Record<string, unknown>): string {
  const pt = (x: number, y: number): [number, number] => [x, y];
  const concurrency: Panel = {
    title: 'DELETE latency vs concurrency',
    xLabel: 'concurrent connections',
    yLabel: 'latency (ms, log scale)',
    xLog: true,
    yLog: true,
    xTicks: plan.deleteLevels.map((l) => [l.c, String(l.c)]),
    series: [
      ...run.deletes.flatMap((d) => [
        {
          name: `${nameOf(d)} p50`,
          color: d.workers > 1 ? '#17becf' : COLORS[d.dialect],
          points: d.levels.map((l) => pt(l.connections, l.latency.p50)),
        },
        {
          name: `${nameOf(d)} p99`,
          color: d.workers > 1 ? '#17becf' : COLORS[d.dialect],
          dashed: true,
          points: d.levels.map((l) => pt(l.connections, l.latency.p99)),
        },
      ]),
      { name: 'baseline p50', color: '#888', points: run.baseline.levels.map((l) => pt(l.connections, l.latency.p50)) },
      {
        name: 'baseline p99',
        color: '#888',
        dashed: true,
        points: run.baseline.levels.map((l) => pt(l.connections, l.latency.p99)),
      },
    ],
  };
  const sizes = [...new Set(run.growths.flatMap((g) => g.stages.map((s) => s.size)))].sort((a, b) => a - b);
  const size: Panel = {
    title: 'Latency vs table size (c1)',
    xLabel: 'servers in the table (half deleted)',
    yLabel: 'latency (ms, log scale)',
    xLog: true,
    yLog: true,
    xTicks: sizes.map((x) => [x, label(x)]),
    target: { y: TARGETS.listP50AtLargest, label: `list p50 target ${TARGETS.listP50AtLargest} ms` },
    series: run.growths.flatMap((g) => [
      {
        name: `${g.dialect} list p50`,
        color: g.dialect === 'sqlite' ? '#d62728' : '#ff7f0e',
        points: g.stages.map((s) => pt(s.size, s.list.latency.p50)),
      },
      {
        name: `${g.dialect} list p99`,
        color: g.dialect === 'sqlite' ? '#d62728' : '#ff7f0e',
        dashed: true,
        points: g.stages.map((s) => pt(s.size, s.list.latency.p99)),
      },
      {
        name: `${g.dialect} DELETE p50`,
        color: g.dialect === 'sqlite' ? '#9467bd' : '#8c564b',
        points: g.stages.map((s) => pt(s.size, s.del.latency.p50)),
      },
      {
        name: `${g.dialect} DELETE p99`,
        color: g.dialect === 'sqlite' ? '#9467bd' : '#8c564b',
        dashed: true,
        points: g.stages.map((s) => pt(s.size, s.del.latency.p99)),
      },
    ]),
  };
  const ratios = run.deletes
    .map(
      (d) =>
        `${nameOf(d).replace('stratus ', '')} ${d.levels.map((l) => `c${l.connections} ${r[`${deletePrefix(d)}delete_ratio_c${l.connections}`] ?? '-'}`).join(', ')}`,
    )
    .join('; ');
  return renderChart(
    [concurrency, size],
    [
      `DELETE throughput ÷ bare-Fastify baseline (same run): ${ratios}`,
      `${r.quick ? 'quick' : 'full'} run ${r.timestamp}, ${r.cpu_model} ×${r.cpu_count}, commit ${String(r.git_commit).slice(0, 12)}`,
    ],
  );
}

// --- main --------------------------------------------------------------------------------

let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll();
    statsCleanup?.();
    await dropPgDatabases();
    removeTempDirs();
    closeHttp();
  })();
  return cleaning;
}

function profileLines(title: string, p: HotFrames): string[] {
  const lines = [title, '', 'self %  total %  frame (by self time)'];
  for (const x of p.bySelf)
    lines.push(`${x.selfPct.toFixed(1).padStart(6)}  ${x.totalPct.toFixed(1).padStart(7)}  ${x.frame}`);
  lines.push('', 'self %  total %  frame (by inclusive time)');
  for (const x of p.byTotal)
    lines.push(`${x.selfPct.toFixed(1).padStart(6)}  ${x.totalPct.toFixed(1).padStart(7)}  ${x.frame}`);
  lines.push('', 'self %  total %  Stratus functions (dist/src) by inclusive time');
  for (const x of p.stratus)
    lines.push(`${x.selfPct.toFixed(1).padStart(6)}  ${x.totalPct.toFixed(1).padStart(7)}  ${x.frame}`);
  return lines;
}

/** `--profile`: SQLite, and with a PostgreSQL URL also PostgreSQL at --workers 1 and 2 (one worker's profile, and the primary's agents). */
async function profile(): Promise<void> {
  const c64 = plan.deleteLevels.find((l) => l.c === 64)!;
  const runs: Array<{ dialect: 'sqlite' | 'postgres'; workers: number; file: string }> = [];
  if (only !== 'pg-workers') runs.push({ dialect: 'sqlite', workers: 1, file: 'profile-c64.txt' });
  if (pgAdminUrl) {
    runs.push({ dialect: 'postgres', workers: 1, file: 'profile-c64-postgres.txt' });
    runs.push({ dialect: 'postgres', workers: 2, file: 'profile-c64-postgres-w2.txt' });
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  for (const x of runs) {
    const d = await deleteScenario(x.dialect, {
      levels: [c64],
      converge: 0,
      profileDir: tempDir('profile'),
      workers: x.workers,
    });
    const p = d.profile;
    if (!p) throw new Error('no .cpuprofile was written');
    const what =
      x.workers > 1
        ? `one API worker of stratus serve --workers ${x.workers} (${x.dialect})`
        : `stratus serve (${x.dialect})`;
    const lines = profileLines(
      `CPU profile of ${what} during the DELETE c64 load only: ${describe(d.levels[0])}; agents ${round(d.windowDoneRps[64], 0)} done/s, backlog ${d.backlogAtEnd[64]}; ${p.samples} samples of 1 ms`,
      p,
    );
    if (d.agentProfile)
      lines.push(
        '',
        ...profileLines(
          `The primary (its compute agent, no HTTP) over the same window: ${d.agentProfile.samples} samples`,
          d.agentProfile,
        ),
      );
    const text = `${lines.join('\n')}\n`;
    writeFileSync(join(RESULTS_DIR, x.file), text);
    process.stdout.write(`${text}\nwritten to bench/results/${x.file}\n\n`);
  }
}

// --- round trips per delete (bench/pg-stats.ts) ------------------------------------------------

let statsCleanup: (() => void) | null = null;

async function roundTrips(): Promise<{ list: RoundTrips[]; where: string }> {
  const server = await statsServer(pgAdminUrl, log);
  if (!server) {
    log('round trips: no PostgreSQL (set STRATUS_TEST_PG_BIN to start one with pg_stat_statements): not measured');
    return { list: [], where: 'not measured' };
  }
  statsCleanup = () => server.close();
  try {
    log(`round trips: ${server.where}`);
    const list: RoundTrips[] = [];
    for (const setup of ['in-process', 'split'] as const)
      list.push(
        await measureRoundTrips(server, { setup, workers: 1, deletes: plan.roundTripDeletes, host: HOST, log }),
      );
    const lines = [...roundTripLines(list, server.where), ''];
    for (const rt of list) {
      lines.push(
        `statements of the ${rt.setup} set-up by PostgreSQL time (planning + execution), per delete: calls, ms:`,
      );
      for (const t of rt.top)
        lines.push(
          `  ${t.user.padEnd(5)} ${t.perDelete.toFixed(2).padStart(6)} ${t.msPerDelete.toFixed(4).padStart(8)}  ${t.query}`,
        );
      lines.push('');
    }
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, 'pg-round-trips.txt'), lines.join('\n'));
    return { list, where: server.where };
  } finally {
    statsCleanup = null;
    server.close();
  }
}

/** `--only pg-workers`: the baseline, PostgreSQL at --workers 1 and 2, round trips; the DELETE table. */
async function onlyPgWorkers(): Promise<void> {
  if (!pgAdminUrl) throw new Error('--only pg-workers needs STRATUS_BENCH_DATABASE_URL or STRATUS_TEST_DATABASE_URL');
  const baselineResult = await baseline();
  const deletes: DeleteResult[] = [];
  for (const workers of [1, 2])
    deletes.push(
      await deleteScenario('postgres', { levels: plan.pgWorkerLevels, converge: plan.convergeServers, workers }),
    );
  const rt = await roundTrips();
  const run = { baseline: baselineResult, deletes };
  const out = [deleteTable(run), ''];
  for (const d of deletes)
    if (d.convergence)
      out.push(
        `convergence (${nameOf(d)}): p50 ${round(d.convergence.p50, 3)} ms, p99 ${round(d.convergence.p99, 3)} ms (${d.convergence.count} servers, ${d.convergence.timeouts + d.convergence.failures} timeouts)`,
      );
  for (const d of deletes)
    out.push(
      `integrity (${nameOf(d)}): ${d.accepted} deletes accepted, ${d.completed} servers deleted, ${d.stuck} stuck in deleting, ${d.deadTasks} dead tasks; RSS MB ${JSON.stringify(d.rssMb)}`,
    );
  for (const d of run.deletes)
    for (const [c, cpu] of Object.entries(d.cpuMsPerDelete))
      out.push(
        `CPU ms per delete (${nameOf(d)}, c${c}, load start → drained): Stratus ${cpu.stratus}, PostgreSQL ${cpu.postgres}, rest of the machine (load generator) ${cpu.other}`,
      );
  out.push('', ...roundTripLines(rt.list, rt.where));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = JSON.stringify(
    {
      timestamp: new Date().toISOString(),
      quick,
      git_commit: GIT.commit,
      baseline: baselineResult.levels.map((l) => ({ c: l.connections, rps: round(l.rps, 0) })),
      deletes: deletes.map((d) => ({
        workers: d.workers,
        levels: d.levels.map((l) => ({
          c: l.connections,
          rps: round(l.rps, 0),
          p50_ms: round(l.latency.p50, 3),
          p99_ms: round(l.latency.p99, 3),
          done_per_s_in_window: round(d.windowDoneRps[l.connections], 0),
          backlog_at_window_end: d.backlogAtEnd[l.connections],
          drain_ms: round(d.drainMs[l.connections], 0),
          cpu_ms_per_delete: d.cpuMsPerDelete[l.connections],
        })),
        convergence: d.convergence,
      })),
      round_trips: rt.list,
    },
    null,
    2,
  );
  writeFileSync(join(RESULTS_DIR, 'pg-workers.json'), `${json}\n`);
  process.stdout.write(
    `\n${out.join('\n')}\n\nwritten: bench/results/pg-workers.json, bench/results/pg-round-trips.txt\n`,
  );
}

async function main(): Promise<void> {
  if (profileMode && !streamsOnly) return profile();
  if (only === 'pg-workers') return onlyPgWorkers();
  if (streamsOnly) {
    const x = await streamsScenario(profileMode ? tempDir('streams-profile') : undefined);
    process.stdout.write(`\n${streamsReport(x)}\n\n${JSON.stringify(streamsResults(x), null, 2)}\n`);
    return;
  }
  log(`${quick ? 'quick' : 'full'} run; postgres: ${pgAdminUrl ? 'yes' : 'no'}`);
  const baselineResult = await baseline();
  const deletes = [await deleteScenario('sqlite', { levels: plan.deleteLevels, converge: plan.convergeServers })];
  let rt: { list: RoundTrips[]; where: string } = { list: [], where: '' };
  if (pgAdminUrl) {
    deletes.push(await deleteScenario('postgres', { levels: plan.deleteLevels, converge: plan.convergeServers }));
    deletes.push(
      await deleteScenario('postgres', { levels: plan.pgWorkerLevels, converge: plan.convergeServers, workers: 2 }),
    );
    rt = await roundTrips();
  }
  const processConv = await processConvergence(plan.processServers);
  log(
    `process driver convergence: p50 ${round(processConv.p50)} ms, p99 ${round(processConv.p99)} ms (${processConv.count} guests booted in ${round(processConv.bootMs, 0)} ms; ${processConv.guestsLeft} left)`,
  );
  const growths = [await growth('sqlite', plan.growthSizes)];
  if (pgAdminUrl && plan.pgGrowthSizes.length) growths.push(await growth('postgres', plan.pgGrowthSizes));
  const cold = await coldStart();
  const streams = await streamsScenario();
  const run: Run = {
    baseline: baselineResult,
    deletes,
    processConvergence: processConv,
    growths,
    cold,
    roundTrips: rt.list,
    roundTripsWhere: rt.where,
    streams,
  };
  const r = buildResults(run, (performance.now() - t0) / 1000);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileSync(join(RESULTS_DIR, 'latency.svg'), chart(run, r));
  process.stdout.write('\n' + report(run, r));
  process.stdout.write(
    `\nwritten: bench/results/latest.json, bench/results/latency.svg (${round((performance.now() - t0) / 1000, 1)} s)\n`,
  );
}

// A closed stdout (e.g. `| head`) must not skip the cleanup.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', () => {
    /* EPIPE: keep going */
  });
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', () => {
  killAllSync();
  removeTempDirs();
});
const watchdog = setTimeout(() => {
  log(`time limit of ${plan.limitSec} s exceeded: stopping`);
  void cleanup().finally(() => process.exit(1));
}, plan.limitSec * 1000);
watchdog.unref();

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  log(`failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanup();
}
