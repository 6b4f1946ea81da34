/**
 * Round trips per DELETE on PostgreSQL, counted by PostgreSQL itself (issue 15).
 *
 *   npm run build && node dist/bench/statements.js [--deletes 200] [--concurrency 64] [--split]
 *
 * Starts a throwaway cluster (PostgreSQL's binaries: STRATUS_TEST_PG_BIN or /usr/lib/postgresql)
 * with log_statement=all and `%u %v` (role, virtual transaction id) in each log line, seeds
 * servers as the bench does, starts Stratus connected as its own role, deletes them (each a
 * distinct server), waits until the agent has closed every task, and counts the log lines of
 * that window: statements = logged statements (BEGIN and COMMIT included: each one round trip),
 * transactions = distinct virtual transaction ids (an autocommit statement is its own).
 * `--split` runs the API (`serve --agents 0`) and the agent (`stratus agent`) as two processes
 * under two roles, to tell their shares apart; by default the agent is in-process, as in the
 * bench, and the per-statement table says which side ran what.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openSeeder } from './seed.js';
import { issueToken, spawnServer, startStratus, stopAll, stopServer, STRATUS_BIN } from './servers.js';
import { closeHttp, request, round, tempDir, removeTempDirs } from './util.js';
import { runLoad } from './load.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('deletes', 200);
const C = arg('concurrency', 64);
const WARM = 20;
const split = process.argv.includes('--split');
/** No statement log: only the rate and latency (the log itself slows PostgreSQL down). */
const rateOnly = process.argv.includes('--rate');
const HOST = 'bench-node';

function pgBin(): string {
  if (process.env.STRATUS_TEST_PG_BIN) return process.env.STRATUS_TEST_PG_BIN;
  const root = '/usr/lib/postgresql';
  const v = execFileSync('ls', [root]).toString().trim().split('\n').sort().pop();
  return join(root, v!, 'bin');
}

const asPostgres = (cmd: string[]) =>
  process.getuid?.() === 0
    ? execFileSync('su', ['postgres', '-c', cmd.map((s) => `'${s.replace(/'/g, `'\\''`)}'`).join(' ')], {
        stdio: 'ignore',
      })
    : execFileSync(cmd[0], cmd.slice(1), { stdio: 'ignore' });

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface Tally {
  statements: number;
  transactions: number;
  byText: Map<string, number>;
}

/** Log lines from byte `from` on, per role. */
function tally(logFile: string, from: number): Map<string, Tally> {
  // A statement's continuation lines start with a tab: join them to its first line.
  const text = readFileSync(logFile).subarray(from).toString().replace(/\n\t/g, ' ');
  const out = new Map<string, Tally>();
  const vxids = new Map<string, Set<string>>();
  // Prefix: "<role> <vxid> LOG:  statement: …" or "… LOG:  execute <name>: …"
  const re = /^(\S+) (\S+) LOG:\s+(?:statement|execute [^:]*): (.*)$/gm;
  for (const m of text.matchAll(re)) {
    const [, role, vxid, sqlText] = m;
    if (!role.startsWith('stratus_')) continue;
    let t = out.get(role);
    if (!t) {
      t = { statements: 0, transactions: 0, byText: new Map() };
      out.set(role, t);
      vxids.set(role, new Set());
    }
    t.statements++;
    vxids.get(role)!.add(vxid);
    const key = sqlText.replace(/\s+/g, ' ').slice(0, 110);
    t.byText.set(key, (t.byText.get(key) ?? 0) + 1);
  }
  for (const [role, t] of out) t.transactions = vxids.get(role)!.size;
  return out;
}

async function main(): Promise<void> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-stmts-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  const port = await freePort();
  const logFile = join(dir, 'log');
  asPostgres([join(bin, 'initdb'), '-D', dir, '-A', 'trust', '-U', 'postgres']);
  asPostgres([
    join(bin, 'pg_ctl'),
    '-D',
    dir,
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=off -c log_statement=${rateOnly ? 'none' : 'all'} -c log_line_prefix='%u %v '`,
    '-l',
    logFile,
    '-w',
    'start',
  ]);
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query('CREATE ROLE stratus_api SUPERUSER LOGIN; CREATE ROLE stratus_agent SUPERUSER LOGIN');
  await c.end();
  const as = (role: string) => `postgres://${role}@127.0.0.1:${port}/postgres`;
  try {
    const data = tempDir('stmts');
    const first = await startStratus({ data, database: as('stratus_api'), name: HOST });
    await stopServer(first.child);
    const seeder = await openSeeder({ dialect: 'postgres', url: admin });
    const ids = await seeder.addTargets(WARM + N, HOST);
    const s = await startStratus({
      data,
      database: as('stratus_api'),
      name: HOST,
      extraArgs: split ? ['--agents', '0'] : [],
    });
    const agent = split
      ? await spawnServer(STRATUS_BIN, ['agent', '--name', HOST, '--data', data, '--database', as('stratus_agent')], {
          banner: /Stratus agent (\S+) is up/,
        })
      : null;
    const token = await issueToken(s.url);
    const drain = async () => {
      for (let i = 0; i < 3000 && (await seeder.openTasks()) > 0; i++) await sleep(20);
    };
    const fire = async (list: string[], conc: number) => {
      let next = 0;
      const statuses: Record<number, number> = {};
      await Promise.all(
        Array.from({ length: conc }, async () => {
          while (next < list.length) {
            const id = list[next++];
            const r = await request(`${s.url}/v2.1/servers/${id}`, 'DELETE', { headers: { 'x-auth-token': token } });
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          }
        }),
      );
      return statuses;
    };
    await fire(ids.slice(0, WARM), 4);
    await drain();
    await sleep(500);
    const deletedBefore = (await seeder.counts()).deleted;
    const from = statSync(logFile).size;
    // The load generator of the bench (autocannon in its own process), one distinct server per request.
    const load = await runLoad({
      url: s.url,
      method: 'DELETE',
      headers: { 'x-auth-token': token },
      connections: C,
      durationSec: 20,
      paths: ids.slice(WARM).map((id) => `/v2.1/servers/${id}`),
    });
    const statuses = load.statuses;
    await drain();
    await sleep(500);
    // Divide by the servers deleted (the window may close before the list is used up).
    const n = (await seeder.counts()).deleted - deletedBefore;
    const t = tally(logFile, from);
    console.log(
      `${n} deletes at c=${C} (${split ? 'API and agent as two processes' : 'in-process agent'}): ${JSON.stringify(statuses)}, ${round(load.rps, 0)} req/s, p50 ${round(load.latency.p50)} ms, p99 ${round(load.latency.p99)} ms`,
    );
    for (const [role, x] of t) {
      console.log(
        `\n${role}: ${round(x.statements / n)} statements and ${round(x.transactions / n)} transactions per delete`,
      );
      for (const [q, k] of [...x.byText].sort((a, b) => b[1] - a[1]))
        if (k / n >= 0.05)
          console.log(
            `  ${round(k / n)
              .toFixed(2)
              .padStart(6)}  ${q}`,
          );
    }
    await seeder.close();
    if (agent) await stopServer(agent.child);
    await stopServer(s.child);
  } finally {
    await stopAll();
    closeHttp();
    removeTempDirs();
    try {
      asPostgres([join(bin, 'pg_ctl'), '-D', dir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      /* already stopped */
    }
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
