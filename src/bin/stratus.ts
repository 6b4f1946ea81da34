#!/usr/bin/env node
import { Command } from 'commander';
import { loadConfig, ConfigError, type Config } from '../config/config.js';
import { startStack, writeCloudsYaml, openDeps, startAgentProcess } from '../runtime/stack.js';
import { purgeDeletedServers } from '../db/repositories/servers.repository.js';

const started = performance.now();
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
    const stack = await startStack(config);
    const clouds = writeCloudsYaml(config, stack.url);
    const ms = Math.round(performance.now() - started);
    process.stdout.write(
      [
        `Stratus is up at ${stack.url} (${stack.database.dialect.name}: ${stack.database.where}; ${stack.agents.length} agent(s), driver ${config.driver}) in ${ms} ms`,
        `  compute:  ${stack.url}/v2.1`,
        `  identity: ${stack.url}/identity/v3`,
        `Dashboard: ${stack.url}/dashboard/ (log in as demo or admin)`,
        `Point the openstack CLI at it:`,
        `  export OS_CLIENT_CONFIG_FILE=${clouds}`,
        `  openstack --os-cloud stratus-demo server list`,
        '',
      ].join('\n'),
    );
    closeOnSignals(() => stack.close());
  });

compute(common(program.command('agent').description('run one compute node as its own process')))
  .option('--name <host>', "compute node name (default: this machine's hostname)")
  .action(async (flags: Flags) => {
    const config = configFrom(flags);
    const node = await startAgentProcess(config);
    process.stdout.write(
      `Stratus agent ${config.agentName} is up (driver ${config.driver}) in ${Math.round(performance.now() - started)} ms\n`,
    );
    closeOnSignals(() => node.close());
  });

const db = program.command('db').description('database maintenance');
common(db.command('migrate').description('create or upgrade the schema')).action(async (flags: Flags) => {
  const { database } = await openDeps(configFrom(flags));
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
    const { database } = await openDeps(configFrom(flags));
    const n = await purgeDeletedServers(database.db, new Date(t).toISOString());
    process.stdout.write(`purged ${n} deleted server(s)\n`);
    await database.close();
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`stratus: ${err.message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
