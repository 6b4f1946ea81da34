import { startVolumeService } from '../services/volume/volume-recovery.js';
import { settleVolumeWork } from '../services/volume/volume-work.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { isLoopback } from '../config/config.js';
import { openDatabase, type OpenedDb } from '../db/dialects/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { Policy } from '../policy/policy.js';
import { randomIds, systemClock, type Clock, type Ids } from '../domain/clock.js';
import type { Deps } from '../services/context.js';
import { TokenService } from '../services/identity/tokens.js';
import { buildApp } from '../http/app.js';
import { storageErrorAsDomainError } from '../db/storage-errors.js';
import { Metrics } from '../metrics/metrics.js';
import { ComputeAgent } from '../agent/agent.js';
import { FakeDriver } from '../drivers/fake/fake.driver.js';
import { ProcessDriver } from '../drivers/process/process.driver.js';
import type { ComputeDriver } from '../drivers/driver.js';
import { seedDemoCloud, syncDemoPasswords } from './seed.js';
import { TaskDispatcher } from '../tasks/dispatcher.js';
import type { AgentDeps } from '../agent/agent-deps.js';
import { ServerEvents } from '../services/stratus/server-events.js';

export interface Stack {
  app: FastifyInstance;
  deps: Deps;
  agents: ComputeAgent[];
  database: OpenedDb;
  url: string;
  /** The watch API's hub. */
  events: ServerEvents;
  close(): Promise<void>;
}

function makeDriver(name: Config['driver'], dataDir: string): ComputeDriver {
  if (name === 'fake') return new FakeDriver();
  return new ProcessDriver({ dataDir });
}

/** Builds the shared dependencies: database (migrated), policy, logger, the task dispatcher. */
export async function openDeps(
  config: Config,
  opts: { clock?: Clock; ids?: Ids; log?: Logger; migrate?: boolean } = {},
): Promise<{ deps: Deps; database: OpenedDb }> {
  const log = opts.log ?? pino({ level: config.logLevel });
  const database = openDatabase(config.database, config.data);
  // API workers (serve --workers N) skip it: the primary migrated before forking them.
  if (opts.migrate !== false) await migrateToLatest(database.db);
  const policy = config.policyFile ? Policy.fromFile(config.policyFile) : new Policy();
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds;
  const tasks = new TaskDispatcher({ db: database.db, dialect: database.dialect, clock, ids, config, log });
  const deps: Deps = { db: database.db, transact: database.dialect.transact, policy, clock, ids, config, log, tasks };
  return { deps, database };
}

/** The part of the shared dependencies a compute agent uses. */
function agentDeps(deps: Deps, database: OpenedDb): AgentDeps {
  const { db, transact, clock, ids, log, config, tasks } = deps;
  return { db, dialect: database.dialect, transact, clock, ids, log, config, tasks };
}

/** Refuses a public address with the demo password (before anything starts). */
export function checkExposure(config: Config): void {
  if (!isLoopback(config.host) && config.password === 'secret') {
    throw new Error(
      `Refusing to listen on ${config.host} with the demo password: set STRATUS_PASSWORD (or --password).`,
    );
  }
}

/** Once per cloud start: seed the demo cloud, then the volume service's start-up (cinder-volume init_host). */
export async function prepareCloud(config: Config, deps: Deps, seed = true): Promise<void> {
  if (seed) {
    const seeded = await seedDemoCloud(deps.db, { password: config.password, clock: deps.clock, ids: deps.ids });
    if (!seeded && (await syncDemoPasswords(deps.db, config.password)))
      deps.log.warn("demo users' password changed to the configured one");
  }
  // Default volume type, and the volume work a crash left unfinished.
  await startVolumeService(deps);
}

/** The `config.agents` in-process compute agents, started, and the dispatcher listening for them. */
export async function startAgents(
  config: Config,
  deps: Deps,
  database: OpenedDb,
  metrics: Metrics,
): Promise<ComputeAgent[]> {
  const agents: ComputeAgent[] = [];
  for (let i = 0; i < config.agents; i++) {
    const host = config.agents === 1 ? config.agentName : `${config.agentName}-${i + 1}`;
    const agent = new ComputeAgent(
      agentDeps(deps, database),
      makeDriver(config.driver, join(config.data, host)),
      host,
      metrics,
    );
    agents.push(agent);
    await agent.start();
  }
  await deps.tasks.listen();
  return agents;
}

/** The HTTP API on `deps`, listening; under `serve --workers N` in each worker (they share the port). */
export async function listenApi(
  config: Config,
  deps: Deps,
  database: OpenedDb,
  metrics: Metrics,
  workerId?: number,
): Promise<{ app: FastifyInstance; url: string; events: ServerEvents }> {
  const tokens = new TokenService(deps);
  const events = new ServerEvents(deps, database.dialect, { validate: (t) => tokens.validate(t) });
  const app = await buildApp({
    events,
    deps,
    tokens,
    metrics,
    loggerInstance: deps.log,
    storageErrors: storageErrorAsDomainError,
    workerId,
  });
  // Every API process prunes the change rows past the retention (idempotent; at most once a minute).
  const pruning = events.startPruning();
  app.addHook('onClose', async () => pruning.stop());
  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', '127.0.0.1');
  // Until something is bound there is no default public URL (the port may be 0: any free one).
  if (!config.publicUrl) app.publicUrl = defaultPublicUrl(config.host, new URL(url).port);
  return { app, url, events };
}

/** `stratus serve`: the API plus `config.agents` in-process compute agents. */
export async function startStack(
  config: Config,
  opts: { clock?: Clock; ids?: Ids; log?: Logger; seed?: boolean } = {},
): Promise<Stack> {
  checkExposure(config);
  const { deps, database } = await openDeps(config, opts);
  await prepareCloud(config, deps, opts.seed !== false);
  const metrics = new Metrics();
  const agents = await startAgents(config, deps, database, metrics);
  const { app, url, events } = await listenApi(config, deps, database, metrics);
  return {
    app,
    deps,
    agents,
    database,
    url,
    events,
    async close() {
      await closeApi(app);
      await deps.tasks.stop();
      for (const a of agents) await a.stop();
      await settleVolumeWork(deps);
      await database.close();
    },
  };
}

/**
 * Closes the HTTP server once the requests in flight are answered. Node closes the connections
 * idle at close() only: one whose request was still running stayed open after its answer
 * (keep-alive holds it for Fastify's 72 s), and the close waited for it (under --workers the
 * primary killed the worker after 15 s, and requests sent on such a connection were never
 * answered). A keep-alive of 1 ms from now on closes each such connection once its answer is
 * sent, all of it: closing "idle" connections instead would cut a finished answer a slow client
 * has not read yet.
 */
export async function closeApi(app: FastifyInstance): Promise<void> {
  app.server.keepAliveTimeout = 1;
  await app.close();
}

/** `http://<host>:<port>` as bound; for a wildcard address, this machine's name (clients cannot reach 0.0.0.0). */
function defaultPublicUrl(host: string, port: string): string {
  const name =
    host === '0.0.0.0' || host === '::' || host === '' ? hostname() : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/** Writes clouds.yaml (stratus-admin, stratus-demo, stratus-alt) for the openstack CLI. */
export function writeCloudsYaml(config: Config, url: string): string {
  const dir = resolve(config.data);
  mkdirSync(dir, { recursive: true });
  const cloud = (user: string, project: string) =>
    [
      `  stratus-${user === 'alt_demo' ? 'alt' : user}:`,
      '    auth:',
      `      auth_url: ${url}/identity/v3`,
      `      username: ${user}`,
      `      password: ${config.password}`,
      `      project_name: ${project}`,
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '    identity_api_version: 3',
      '    interface: public',
    ].join('\n');
  const text = `clouds:\n${cloud('admin', 'admin')}\n${cloud('demo', 'demo')}\n${cloud('alt_demo', 'alt_demo')}\n`;
  const file = join(dir, 'clouds.yaml');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

export interface AgentProcess {
  agent: ComputeAgent;
  deps: Deps;
  close(): Promise<void>;
}

/** `stratus agent`: one compute node as its own process, reaching the database directly. */
export async function startAgentProcess(config: Config, opts: { log?: Logger } = {}): Promise<AgentProcess> {
  const { deps, database } = await openDeps(config, opts);
  const agent = new ComputeAgent(
    agentDeps(deps, database),
    makeDriver(config.driver, config.data),
    config.agentName,
    undefined,
    true,
  );
  await agent.start();
  await deps.tasks.listen();
  return {
    agent,
    deps,
    async close() {
      await deps.tasks.stop();
      await agent.stop();
      await database.close();
    },
  };
}
