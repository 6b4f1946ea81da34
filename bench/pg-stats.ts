/**
 * Round trips per DELETE on PostgreSQL, from PostgreSQL's own statistics: pg_stat_statements
 * (every statement, BEGIN and COMMIT included, counted per database user) and
 * pg_stat_database.xact_commit (transactions). Not a timing: the counts are the same on a busy
 * machine.
 *
 * The database server needs `shared_preload_libraries = pg_stat_statements`. With PostgreSQL's
 * server binaries at hand (STRATUS_TEST_PG_BIN, or Debian's /usr/lib/postgresql) the benchmark
 * starts a throwaway cluster with it (src/testing/postgres-cluster.ts); else it uses the
 * benchmark's PostgreSQL if that has it loaded; else it reports nothing.
 *
 * Two set-ups, each on a fresh database, `deletes` servers deleted at c64 after a warm-up:
 *  - split: `serve --agents 0` as database user stratus_api and `stratus agent` as
 *    stratus_agent: the API's and the agent's statements apart. This is also the path of
 *    `serve --workers N`, whose workers queue and NOTIFY and whose primary's agents lease.
 *  - in-process: `serve --workers 1` with its agent (tasks handed over in memory): one user, the total.
 */
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { PostgresCluster, freePort, postgresBin } from '../src/testing/postgres-cluster.js';
import { runLoad } from './load.js';
import { openSeeder } from './seed.js';
import { STRATUS_BIN, issueToken, spawnServer, startStratus, stopServer, type ServerProcess } from './servers.js';
import { round, tempDir } from './util.js';

export interface Statement {
  user: string;
  perDelete: number;
  /** PostgreSQL's planning and execution time per delete, ms (the statement's triggers included). */
  msPerDelete: number;
  /** The query, its lists of parameters folded (`($1, $2, …)` → `(…)`): one line per statement shape. */
  query: string;
}

export interface RoundTrips {
  setup: 'split' | 'in-process';
  workers: number;
  deletes: number;
  /** Statements per delete by the API's user and the agent's (in-process: both under `api`). */
  apiStatements: number;
  agentStatements: number;
  /** Committed transactions per delete (pg_stat_database.xact_commit; the benchmark's own reads subtracted). */
  transactions: number;
  /** Explicit COMMITs per delete by each user (a statement outside BEGIN is its own transaction). */
  apiCommits: number;
  agentCommits: number;
  /** Planning and execution time of every statement, ms per delete (commits' WAL writes are outside it). */
  dbMsPerDelete: number;
  top: Statement[];
}

export interface StatsServer {
  /** Admin URL (a superuser, database postgres). */
  adminUrl: string;
  where: string;
  /** pg_stat_statements is loaded (else only transactions are counted, from pg_stat_database). */
  statements: boolean;
  close(): void;
}

// track=top (the default): statements the clients sent, not those run inside them (FK actions, triggers): round trips.
const SETTINGS = [
  'shared_preload_libraries=pg_stat_statements',
  'pg_stat_statements.track=top',
  'pg_stat_statements.track_planning=on',
  'max_connections=200',
];

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
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

async function hasStatStatements(url: string): Promise<boolean> {
  return withClient(url, async (c) => {
    const r = await c.query<{ s: string }>(`SELECT current_setting('shared_preload_libraries') AS s`);
    return r.rows[0].s.split(',').some((x) => x.trim() === 'pg_stat_statements');
  }).catch(() => false);
}

/** A PostgreSQL with pg_stat_statements: a throwaway cluster if we can start one, else `fallbackUrl` if it has it. */
export async function statsServer(
  fallbackUrl: string | undefined,
  log: (m: string) => void,
): Promise<StatsServer | null> {
  let bin: string | null = null;
  try {
    bin = postgresBin();
  } catch {
    bin = null;
  }
  if (bin) {
    const cluster = new PostgresCluster(bin, await freePort(), SETTINGS);
    try {
      cluster.init();
      cluster.start();
      return {
        adminUrl: cluster.url,
        where: `throwaway cluster (${bin}) on port ${cluster.port}`,
        statements: true,
        close: () => cluster.destroy(),
      };
    } catch (err) {
      cluster.destroy();
      log(`could not start a PostgreSQL cluster with pg_stat_statements: ${(err as Error).message}`);
    }
  }
  if (!fallbackUrl) return null;
  // The benchmark's own server: statements if it loads pg_stat_statements, transactions in any case.
  const statements = await hasStatStatements(fallbackUrl);
  return {
    adminUrl: fallbackUrl,
    where: `the benchmark PostgreSQL${statements ? '' : ', without pg_stat_statements: transactions only'}`,
    statements,
    close: () => {},
  };
}

const dbUrl = (admin: string, user: string, db: string) => {
  const u = new URL(admin);
  u.username = user;
  u.password = '';
  u.pathname = `/${db}`;
  return u.toString();
};

/** Measures one set-up on a fresh database of `server`. */
export async function measureRoundTrips(
  server: StatsServer,
  opts: { setup: 'split' | 'in-process'; workers: number; deletes: number; host: string; log: (m: string) => void },
): Promise<RoundTrips> {
  const { setup, workers, deletes, host, log } = opts;
  const db = `stratus_rt_${randomBytes(4).toString('hex')}`;
  await withClient(server.adminUrl, async (c) => {
    await c.query(`CREATE DATABASE ${db}`);
    for (const role of ['stratus_api', 'stratus_agent']) {
      const exists = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      // Superusers: the agent writes tables the API's migration created; this is a throwaway server.
      if (!exists.rowCount) await c.query(`CREATE ROLE ${role} LOGIN SUPERUSER`);
    }
    if (server.statements) await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  });
  const apiUrl = dbUrl(server.adminUrl, 'stratus_api', db);
  const agentUrl = dbUrl(server.adminUrl, 'stratus_agent', db);
  const ownUrl = dbUrl(server.adminUrl, new URL(server.adminUrl).username || 'postgres', db);
  const data = tempDir(`round-trips-${setup}`);
  const procs: ServerProcess[] = [];
  let poll: pg.Client | null = null;
  try {
    // Migrate and seed the demo cloud, then the servers to delete (Stratus stopped).
    await stopServer((await startStratus({ data, database: apiUrl, name: host, extraArgs: ['--agents', '0'] })).child);
    const warm = 100;
    const seeder = await openSeeder({ dialect: 'postgres', url: ownUrl });
    const ids = await seeder.addTargets(warm + deletes, host);
    await seeder.close();

    if (setup === 'split') {
      procs.push(
        await spawnServer(
          STRATUS_BIN,
          ['agent', '--name', host, '--database', agentUrl, '--data', tempDir('rt-agent')],
          {
            banner: /Stratus agent (\S+) is up/,
            timeoutMs: 60000,
          },
        ),
      );
    }
    const s = await startStratus({
      data,
      database: apiUrl,
      name: host,
      workers,
      extraArgs: setup === 'split' ? ['--agents', '0'] : [],
    });
    procs.push(s);
    const token = await issueToken(s.url);
    const load = (paths: string[], c: number) =>
      runLoad({
        url: s.url,
        method: 'DELETE',
        headers: { 'x-auth-token': token },
        connections: c,
        durationSec: 120,
        paths: paths.map((id) => `/v2.1/servers/${id}`),
      });

    // The drain poll runs as the admin user: its statements are not the API's or the agent's;
    // its transactions are counted and subtracted.
    poll = new pg.Client({ connectionString: ownUrl });
    poll.on('error', () => {
      /* surfaced by the pending query */
    });
    await poll.connect();
    let polls = 0;
    const open = async () => {
      polls++;
      const r = await poll!.query(`SELECT count(*) AS n FROM tasks WHERE state IN ('queued', 'leased')`);
      return Number(r.rows[0].n);
    };
    const drain = async () => {
      const end = Date.now() + 120000;
      while ((await open()) > 0) {
        if (Date.now() > end) throw new Error('round trips: the agent did not drain in 120 s');
        await sleep(50);
      }
    };

    const deleted = async () => {
      polls++;
      const r = await poll!.query('SELECT count(*) AS n FROM servers WHERE deleted = 1');
      return Number(r.rows[0].n);
    };
    // The load stops counting when the ids run out (requests in flight then finish uncounted): count rows.
    await load(ids.slice(0, warm), 16);
    await drain();
    const before = await deleted();
    // An idle backend reports its transaction counts within 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL).
    await sleep(11000);
    const statsDb = await statsReader(server.adminUrl, db);
    if (server.statements) await statsDb.reset();
    const xact0 = await statsDb.commits();
    polls = 0;
    const run = await load(ids.slice(warm), 64);
    if (run.non2xx + run.errors) throw new Error(`round trips: failed deletes ${JSON.stringify(run.statuses)}`);
    await drain();
    // The denominator: servers this phase really deleted (every statement they cost is in the counts).
    const n = (await deleted()) - before;
    if (n < deletes / 2) throw new Error(`round trips: only ${n} of ${deletes} servers were deleted`);
    const statements = server.statements ? await statsDb.statements() : [];
    // Backends report their transaction counts when they exit: stop Stratus (and the agent) first.
    for (const p of procs.splice(0)) await stopServer(p.child);
    await poll.end();
    poll = null;
    await sleep(1000);
    const xact1 = await statsDb.commits();
    await statsDb.close();

    const sum = (user: string, pred: (q: string) => boolean = () => true) =>
      !server.statements
        ? Number.NaN
        : statements.filter((x) => x.user === user && pred(x.query)).reduce((k, x) => k + x.calls, 0) / n;
    const isCommit = (q: string) => /^\s*commit\b/i.test(q);
    const result: RoundTrips = {
      setup,
      workers,
      deletes: n,
      apiStatements: round(sum('stratus_api'), 2),
      agentStatements: round(sum('stratus_agent'), 2),
      // polls + 1: the drain's count queries (each its own transaction) and the reader's first read.
      transactions: round((xact1 - xact0 - polls - 1) / n, 2),
      apiCommits: round(sum('stratus_api', isCommit), 2),
      agentCommits: round(sum('stratus_agent', isCommit), 2),
      dbMsPerDelete: round(
        statements.filter((x) => x.user === 'stratus_api' || x.user === 'stratus_agent').reduce((k, x) => k + x.ms, 0) /
          n,
        3,
      ),
      top: byShape(statements.filter((x) => x.user === 'stratus_api' || x.user === 'stratus_agent'))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 40)
        .map((x) => ({
          user: x.user === 'stratus_api' ? 'api' : 'agent',
          perDelete: round(x.calls / n, 2),
          msPerDelete: round(x.ms / n, 4),
          query: x.query.slice(0, 160),
        })),
    };
    log(
      `round trips (${setup}, --workers ${workers}): ${result.apiStatements} API + ${result.agentStatements} agent statements, ${result.transactions} transactions per delete (${n} deletes)`,
    );
    return result;
  } finally {
    await poll?.end().catch(() => {});
    for (const p of procs) await stopServer(p.child);
    // The roles too: the server may be the benchmark's own, not a throwaway one.
    await withClient(server.adminUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.query('DROP ROLE IF EXISTS stratus_api, stratus_agent');
    }).catch((err: Error) => log(`round trips: clean-up: ${err.message}`));
  }
}

/** Reads the statistics of database `db` from the admin database (its own reads are not in `db`). */
async function statsReader(adminUrl: string, db: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  c.on('error', () => {
    /* surfaced by the pending query */
  });
  await c.connect();
  const oid = Number((await c.query('SELECT oid FROM pg_database WHERE datname = $1', [db])).rows[0].oid);
  return {
    reset: () => c.query('SELECT pg_stat_statements_reset()'),
    async commits(): Promise<number> {
      await c.query('SELECT pg_stat_clear_snapshot()');
      const r = await c.query('SELECT xact_commit FROM pg_stat_database WHERE datid = $1', [oid]);
      return Number(r.rows[0].xact_commit);
    },
    async statements(): Promise<StatementStat[]> {
      const r = await c.query(
        `SELECT r.rolname AS user, s.calls, s.query, s.total_exec_time + s.total_plan_time AS ms
           FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
          WHERE s.dbid = $1`,
        [oid],
      );
      return r.rows.map((x) => ({
        user: String(x.user),
        calls: Number(x.calls),
        query: String(x.query),
        ms: Number(x.ms),
      }));
    },
    close: () => c.end(),
  };
}

interface StatementStat {
  user: string;
  calls: number;
  query: string;
  ms: number;
}

/** The statistics summed per statement shape: the same statement with lists of other lengths is one line. */
function byShape(stats: StatementStat[]): StatementStat[] {
  const shapes = new Map<string, StatementStat>();
  for (const x of stats) {
    const query = x.query
      .replace(/\s+/g, ' ')
      .replace(/\(\$\d+(, \$\d+)*\)(, \(\$\d+(, \$\d+)*\))*/g, '(…)')
      .replace(/\$\d+/g, '$');
    const key = `${x.user} ${query}`;
    const s = shapes.get(key);
    if (s) {
      s.calls += x.calls;
      s.ms += x.ms;
    } else shapes.set(key, { ...x, query });
  }
  return [...shapes.values()];
}

/** The round-trip lines of the report. */
export function roundTripLines(rts: RoundTrips[], where: string): string[] {
  if (!rts.length) return [];
  const out = [`round trips per DELETE, from pg_stat_statements and pg_stat_database (${where}):`];
  const n = (x: number) => (Number.isFinite(x) ? String(x) : '-');
  for (const r of rts) {
    const who =
      r.setup === 'split'
        ? `API (serve --agents 0 --workers ${r.workers}) ${n(r.apiStatements)} statements (${n(r.apiCommits)} COMMIT), agent (stratus agent) ${n(r.agentStatements)} (${n(r.agentCommits)} COMMIT)`
        : `serve --workers ${r.workers} with its in-process agent: ${n(r.apiStatements)} statements (${n(r.apiCommits)} COMMIT), API and agent together`;
    out.push(
      `  ${who}; ${r.transactions} transactions per delete (${r.deletes} deletes at c64); PostgreSQL planning + execution ${n(r.dbMsPerDelete)} ms per delete`,
    );
  }
  return out;
}
