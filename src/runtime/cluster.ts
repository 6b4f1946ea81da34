/**
 * `stratus serve --workers N` (PostgreSQL): node:cluster. The primary migrates and seeds once,
 * runs the in-process compute agents (no HTTP: an API worker can die and be replaced without
 * taking a node's agent with it, and agent work never queues behind requests), then forks N API
 * workers that share the listening port. A worker has no agent, so the dispatcher queues its
 * tasks and NOTIFYs after the commit, the path a separate `stratus agent` process uses.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { Metrics } from '../metrics/metrics.js';
import { settleVolumeWork } from '../services/volume/volume-work.js';
import { checkExposure, closeApi, listenApi, openDeps, prepareCloud, startAgents } from './stack.js';

/** Worker deaths allowed within RESTART_WINDOW_MS before the primary gives up and stops. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** A worker that has not finished its in-flight requests by then is killed. */
const WORKER_STOP_MS = 15_000;
/** A worker slower than this to answer a metrics request is left out of the aggregate. */
const METRICS_TIMEOUT_MS = 2_000;

/** One process's metrics, as `Registry.getMetricsAsJSON()` gives them. */
type MetricsJson = Awaited<ReturnType<Metrics['registry']['getMetricsAsJSON']>>;

type Message =
  | { t: 'stratus:starting' }
  | { t: 'stratus:listening'; url: string }
  | { t: 'stratus:shutdown' }
  | { t: 'stratus:metrics?'; id: number }
  | { t: 'stratus:metrics'; id: number; text: string }
  | { t: 'stratus:metrics-json?'; id: number }
  | { t: 'stratus:metrics-json'; id: number; json: MetricsJson };

const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' && m !== null && String((m as { t?: unknown }).t).startsWith('stratus:');

export interface ClusterPrimary {
  url: string;
  workers: number;
  agents: number;
  dialect: string;
  where: string;
  /** Rejects when workers keep dying (more than MAX_RESTARTS in RESTART_WINDOW_MS). */
  fatal: Promise<never>;
  /** Ends every worker (in-flight requests finish), then the agents and the database. */
  close(): Promise<void>;
}

export const isClusterWorker = (): boolean => cluster.isWorker;

/** In the primary: prepares the cloud, starts the agents, forks the workers and waits until each listens. */
export async function startClusterPrimary(config: Config): Promise<ClusterPrimary> {
  checkExposure(config);
  const { deps, database } = await openDeps(config);
  const log = deps.log;
  await prepareCloud(config, deps);
  const metrics = new Metrics();
  const agents = await startAgents(config, deps, database, metrics);

  let stopping = false;
  const deaths: number[] = [];
  let onFatal: (err: Error) => void = () => {};
  const fatal = new Promise<never>((_, reject) => {
    onFatal = reject;
  });
  fatal.catch(() => {});

  const listening = new Map<number, string>();
  let allListening: () => void = () => {};
  const up = new Promise<void>((resolve) => {
    allListening = resolve;
  });

  let nextId = 0;
  const pending = new Map<number, { want: number; got: MetricsJson[]; done: () => void }>();
  const aggregate = async (): Promise<string> => {
    const id = ++nextId;
    const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
    const got: MetricsJson[] = [await metrics.registry.getMetricsAsJSON()];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, METRICS_TIMEOUT_MS);
      pending.set(id, {
        want: live.length,
        got,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      if (live.length === 0) resolve();
      for (const w of live) w.send({ t: 'stratus:metrics-json?', id } satisfies Message);
    });
    pending.delete(id);
    return AggregatorRegistry.aggregate(got).metrics();
  };

  const fork = (): Worker => {
    const w = cluster.fork();
    w.on('message', (m: unknown) => {
      if (!isMessage(m)) return;
      // A shutdown sent before the worker had its handler was lost: it gets another.
      if (m.t === 'stratus:starting') {
        if (stopping) w.send({ t: 'stratus:shutdown' } satisfies Message);
      } else if (m.t === 'stratus:listening') {
        listening.set(w.id, m.url);
        if (listening.size >= config.workers) allListening();
      } else if (m.t === 'stratus:metrics?') {
        void aggregate().then(
          (text) => w.isConnected() && w.send({ t: 'stratus:metrics', id: m.id, text } satisfies Message),
          (err: Error) => log.warn({ err: err.message }, 'metrics aggregation failed'),
        );
      } else if (m.t === 'stratus:metrics-json') {
        const p = pending.get(m.id);
        if (!p) return;
        p.got.push(m.json);
        if (p.got.length > p.want) p.done();
      }
    });
    return w;
  };

  cluster.on('exit', (w, code, signal) => {
    listening.delete(w.id);
    if (stopping) return;
    const now = Date.now();
    deaths.push(now);
    while (deaths.length && deaths[0] < now - RESTART_WINDOW_MS) deaths.shift();
    if (deaths.length > MAX_RESTARTS) {
      log.error(
        { worker: w.id, pid: w.process.pid, code, signal },
        `API worker died: more than ${MAX_RESTARTS} deaths in ${RESTART_WINDOW_MS / 1000} s, stopping`,
      );
      onFatal(new Error(`API workers keep dying (last: exit ${code ?? signal})`));
      return;
    }
    const next = fork();
    log.warn({ worker: w.id, pid: w.process.pid, code, signal, replacement: next.id }, 'API worker died: replaced');
  });

  for (let i = 0; i < config.workers; i++) fork();

  const close = async () => {
    if (stopping) return;
    stopping = true;
    await stopWorkers(log);
    await deps.tasks.stop();
    for (const a of agents) await a.stop();
    await settleVolumeWork(deps);
    await database.close();
  };
  try {
    await Promise.race([up, fatal]);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    url: [...listening.values()][0],
    workers: config.workers,
    agents: agents.length,
    dialect: database.dialect.name,
    where: database.where,
    fatal,
    close,
  };
}

/** Asks every worker to stop (they finish in-flight requests), kills those still running after WORKER_STOP_MS. */
async function stopWorkers(log: Logger): Promise<void> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          const timer = setTimeout(() => {
            log.warn({ worker: w.id, pid: w.process.pid }, 'API worker did not stop in time: killed');
            w.process.kill('SIGKILL');
          }, WORKER_STOP_MS);
          w.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          if (w.isConnected()) w.send({ t: 'stratus:shutdown' } satisfies Message);
          else w.process.kill('SIGTERM');
        }),
    ),
  );
}

/** In a worker: the API only (no migration, no seeding, no agents), listening on the shared port. */
export async function startClusterWorker(config: Config): Promise<{ close(): Promise<void> }> {
  const id = cluster.worker!.id;
  const metrics = new Metrics();
  let nextId = 0;
  const waiting = new Map<number, (text: string) => void>();
  // Handlers first, then `starting` (the primary answers it with a shutdown if it is stopping): a
  // stop asked while the worker starts (it ignores signals) is kept, so it never listens after
  // the others closed the shared socket, nor stalls the primary.
  let stop = false;
  let close: (() => Promise<void>) | null = null;
  const end = () => {
    stop = true;
    if (close) void close().finally(() => process.exit(0));
  };
  process.on('message', (m: unknown) => {
    if (!isMessage(m)) return;
    if (m.t === 'stratus:shutdown') end();
    else if (m.t === 'stratus:metrics') waiting.get(m.id)?.(m.text);
    else if (m.t === 'stratus:metrics-json?')
      void metrics.registry
        .getMetricsAsJSON()
        .then((json) => process.send?.({ t: 'stratus:metrics-json', id: m.id, json } satisfies Message));
  });
  // The primary is gone (killed): no orphan worker keeps the port.
  process.on('disconnect', end);
  process.send!({ t: 'stratus:starting' } satisfies Message);
  const { deps, database } = await openDeps({ ...config, agents: 0 }, { migrate: false });
  if (stop) {
    await deps.tasks.stop();
    await database.close();
    process.exit(0);
  }
  // /stratus/metrics: the primary's aggregate of every process (prom-client's AggregatorRegistry).
  metrics.source = () =>
    new Promise<string>((resolve, reject) => {
      const reqId = ++nextId;
      const timer = setTimeout(() => {
        waiting.delete(reqId);
        reject(new Error('the primary did not answer the metrics request'));
      }, METRICS_TIMEOUT_MS * 2);
      waiting.set(reqId, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      process.send!({ t: 'stratus:metrics?', id: reqId } satisfies Message);
    });
  const { app, url } = await listenApi(config, deps, database, metrics, id);
  let closing: Promise<void> | null = null;
  close = () => {
    closing ??= (async () => {
      await closeApi(app);
      await deps.tasks.stop();
      await settleVolumeWork(deps);
      await database.close();
    })();
    return closing;
  };
  // Asked to stop while listenApi ran: close at once.
  if (stop) end();
  else process.send!({ t: 'stratus:listening', url } satisfies Message);
  return { close };
}
