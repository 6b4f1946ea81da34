#!/usr/bin/env node
import { Command } from 'commander';
import { loadConfig, ConfigError, type Config } from '../config/config.js';
import { resolveCloud } from '../client/cloud-config.js';
import { ClientError } from '../client/client-error.js';
import { waitForServer, parseTarget } from '../client/wait.js';

const started = performance.now();
// The server side loads only for the commands that run it: `stratus wait` is a client and
// starts in a fraction of the time without it.
const stack = () => import('../runtime/stack.js');
const cluster = () => import('../runtime/cluster.js');

const program = new Command().name('stratus').description('An OpenStack Compute (Nova) API-compatible control plane');

type Flags = Record<string, string | undefined>;
function configFrom(flags: Flags): Config {
  const map: Partial<Record<keyof Config, unknown>> = {
    host: flags.host,
    port: flags.port,
    data: flags.data,
    database: flags.database,
    driver: flags.driver,
    agents: flags.agents,
    workers: flags.workers,
    agentName: flags.name,
    zone: flags.zone,
    password: flags.password,
    policyFile: flags.policyFile,
    logLevel: flags.logLevel,
    reclaimInstanceInterval: flags.reclaimInstanceInterval,
    serviceDownTime: flags.serviceDownTime,
    publicUrl: flags.publicUrl,
    trustProxy: flags.trustProxy,
    lockoutFailureAttempts: flags.lockoutFailureAttempts,
    lockoutDuration: flags.lockoutDuration,
  };
  return loadConfig(map, process.env, flags.config ?? process.env.STRATUS_CONFIG);
}

/** SIGINT/SIGTERM: close cleanly (finish in-flight work, release the database), then exit. */
function closeOnSignals(close: () => Promise<void>): void {
  const shutdown = async () => {
    await close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

const common = (c: Command) =>
  c
    .option('--data <dir>', 'data directory (SQLite file, clouds.yaml)')
    .option('--database <url>', 'sqlite: (default) or postgres://…')
    .option('--config <file>', 'YAML config file')
    .option('--log-level <level>', 'pino log level');

/** Options of a process that runs compute agents. */
const compute = (c: Command) =>
  c
    .option('--driver <name>', 'compute driver: fake|process')
    .option('--service-down-time <s>', 'seconds without heartbeat before a compute node is down')
    .option('--zone <name>', 'availability zone of the compute node(s) (default nova; an aggregate zone wins)');

compute(common(program.command('serve').description('run the API (and in-process compute agents)')))
  .option('--host <host>', 'address to listen on (default 127.0.0.1)')
  .option('--port <port>', 'port (default 8774)')
  .option('--agents <n>', 'in-process compute agents (0: API only)')
  .option('--workers <n>', 'API worker processes sharing the port (PostgreSQL only; default 1)')
  .option('--name <host>', 'name of the in-process compute node')
  .option('--password <pw>', 'password of the seeded demo users')
  .option('--policy-file <file>', 'policy overrides (YAML/JSON)')
  .option('--reclaim-instance-interval <s>', 'soft delete: seconds before reclaim (0: off)')
  .option('--public-url <url>', 'base URL clients use (catalog, links); default http://<host>:<port>')
  .option('--trust-proxy <0|1>', 'honour X-Forwarded-Proto/-Host/-For from a proxy in front (default 0)')
  .option('--lockout-failure-attempts <n>', 'failed logins per user and address before a lockout (default 10; 0: off)')
  .option('--lockout-duration <s>', 'seconds a lockout lasts (default 60)')
  .action(async (flags: Flags) => {
    const config = configFrom(flags);
    const { startStack, writeCloudsYaml } = await stack();
    const { isClusterWorker, startClusterPrimary, startClusterWorker } = await cluster();
    if (isClusterWorker()) {
      // The primary owns the lifecycle (a Ctrl-C reaches the whole group): a worker stops when
      // the primary tells it to, or when the primary is gone.
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => {});
      await startClusterWorker(config);
      return;
    }
    let url: string, where: string, close: () => Promise<void>;
    if (config.workers > 1) {
      const primary = await startClusterPrimary(config);
      ({ url, close } = primary);
      where = `${primary.dialect}: ${primary.where}; ${config.workers} API workers, ${primary.agents} agent(s)`;
      primary.fatal.catch(async (err: Error) => {
        process.stderr.write(`stratus: ${err.message}\n`);
        await close();
        process.exit(1);
      });
    } else {
      const stack = await startStack(config);
      ({ url, close } = stack);
      where = `${stack.database.dialect.name}: ${stack.database.where}; ${stack.agents.length} agent(s)`;
    }
    const clouds = writeCloudsYaml(config, url);
    const ms = Math.round(performance.now() - started);
    process.stdout.write(
      [
        `Stratus is up at ${url} (${where}, driver ${config.driver}) in ${ms} ms`,
        `  compute:  ${url}/v2.1`,
        `  identity: ${url}/identity/v3`,
        `Dashboard: ${url}/dashboard/ (log in as demo or admin)`,
        `Point the openstack CLI at it:`,
        `  export OS_CLIENT_CONFIG_FILE=${clouds}`,
        `  openstack --os-cloud stratus-demo server list`,
        '',
      ].join('\n'),
    );
    closeOnSignals(close);
  });

compute(common(program.command('agent').description('run one compute node as its own process')))
  .option('--name <host>', "compute node name (default: this machine's hostname)")
  .action(async (flags: Flags) => {
    const config = configFrom(flags);
    const node = await (await stack()).startAgentProcess(config);
    process.stdout.write(
      `Stratus agent ${config.agentName} is up (driver ${config.driver}) in ${Math.round(performance.now() - started)} ms\n`,
    );
    closeOnSignals(() => node.close());
  });

const db = program.command('db').description('database maintenance');
common(db.command('migrate').description('create or upgrade the schema')).action(async (flags: Flags) => {
  const { database } = await (await stack()).openDeps(configFrom(flags));
  process.stdout.write(`schema is current (${database.dialect.name}: ${database.where})\n`);
  await database.close();
});
common(
  db.command('purge').description('remove deleted servers (and their actions and timeline steps) deleted before DATE'),
)
  .requiredOption('--before <date>', 'ISO date, e.g. 2026-01-31')
  .action(async (flags: Flags) => {
    const t = Date.parse(flags.before!);
    if (Number.isNaN(t)) throw new ConfigError(`--before: not a date: ${flags.before}`);
    const { database } = await (await stack()).openDeps(configFrom(flags));
    const { purgeDeletedServers } = await import('../db/repositories/servers.repository.js');
    const n = await purgeDeletedServers(database.db, new Date(t).toISOString());
    process.stdout.write(`purged ${n} deleted server(s)\n`);
    await database.close();
  });

program
  .command('wait')
  .description(
    'wait for a server to reach a status or be deleted, through the watch API (exit 0 reached, 1 failed, 2 usage/auth, 124 timeout)',
  )
  .argument('<server>', 'server id or name')
  .requiredOption('--for <state>', 'deleted, or a server status: ACTIVE, SHUTOFF, ERROR… (any case)')
  .option('--timeout <seconds>', 'give up after this long, exit 124 (0: never)', '600')
  .option('--os-cloud <name>', 'cloud in clouds.yaml (default: OS_CLOUD; without either, the OS_* variables)')
  .option('-q, --quiet', 'print nothing on success')
  .option('-v, --verbose', 'say on stderr what is being watched, once the stream is open')
  // Usage errors exit 2 (commander's own default is 1, which here means "the wait failed").
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .action(
    async (
      server: string,
      flags: { for: string; timeout: string; osCloud?: string; quiet?: boolean; verbose?: boolean },
    ) => {
      try {
        const timeoutSec = Number(flags.timeout);
        if (!/^[0-9]+(\.[0-9]+)?$/.test(flags.timeout) || !Number.isFinite(timeoutSec))
          throw new ClientError(`--timeout ${flags.timeout}: not a number of seconds`, 2);
        parseTarget(flags.for);
        const cloud = resolveCloud(process.env, { cloud: flags.osCloud });
        const note = (msg: string) => process.stderr.write(`stratus wait: ${msg}\n`);
        const out = await waitForServer(cloud, {
          server,
          target: flags.for,
          timeoutSec,
          note,
          verbose: flags.verbose,
        });
        if (out.code === 0) {
          if (!flags.quiet) process.stdout.write(`${out.message}\n`);
        } else note(out.message);
        process.exit(out.code);
      } catch (err) {
        if (!(err instanceof ClientError)) throw err;
        process.stderr.write(`stratus wait: ${err.message}\n`);
        process.exit(err.exitCode);
      }
    },
  );

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`stratus: ${err.message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
