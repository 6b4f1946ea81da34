import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import YAML from 'yaml';

/** Every option Stratus reads, with its default and what it is for. Read once at start-up. */
export interface Config {
  host: string;
  port: number;
  /** Directory for the SQLite database, clouds.yaml and instance directories. */
  data: string;
  /** `sqlite:` (default, under --data) or a postgres:// URL. */
  database: string;
  driver: 'fake' | 'process';
  /** Compute agents started in this process (0: API only). */
  agents: number;
  /**
   * API worker processes of `stratus serve` (node:cluster, sharing the port). Default 1; more
   * only on PostgreSQL (on SQLite one process owns the file: its group commit is in-process).
   */
  workers: number;
  /** Name of the in-process compute node (Nova's `host`). */
  agentName: string;
  /**
   * Availability zone the compute nodes of this process register in (Nova's
   * default_availability_zone, per node). An aggregate with `availability_zone` metadata that
   * holds the node wins over it, as in Nova.
   */
  zone: string;
  /** Password of the seeded demo users; required when binding beyond loopback. */
  password: string;
  /** Optional oslo-style policy override file (YAML or JSON). */
  policyFile: string | null;
  /** Seconds a token stays valid (Keystone's [token] expiration). */
  tokenExpiration: number;
  /** Seconds without a heartbeat after which a compute service counts as down (Nova's service_down_time). */
  serviceDownTime: number;
  /** Seconds between agent heartbeats (Nova's report_interval). */
  reportInterval: number;
  /** > 0 turns DELETE into a soft delete, reclaimed after this many seconds (Nova's reclaim_instance_interval). */
  reclaimInstanceInterval: number;
  /** 1: a resize may stay on the server's node (Nova's allow_resize_to_same_host; on in the demo cloud, as devstack sets it). */
  allowResizeToSameHost: number;
  /** Seconds after which the agent confirms a finished resize itself; 0 = never (Nova's resize_confirm_window). */
  resizeConfirmWindow: number;
  /**
   * Nova's shelved_offload_time: 0 offloads a shelved server at once (Nova's default), -1 never;
   * N > 0 leaves it SHELVED on its node (Stratus has no periodic offload yet: as -1).
   */
  shelvedOffloadTime: number;
  /** Seconds a leased task may run before another worker may take it over. */
  taskLease: number;
  /** Attempts before a task is dead-lettered. */
  taskMaxAttempts: number;
  /**
   * Open tasks a node may hold before the 204 of a DELETE that gave it work waits for it (at
   * most 5 s): the API's rate follows the node's instead of a backlog growing behind fast 204s
   * (TaskDispatcher.roomOn). 0: no limit.
   */
  agentBacklog: number;
  /**
   * Seconds a request waits for its compute node's answer (changePassword, console output), as
   * Nova's rpc_response_timeout bounds its RPC calls; tests of the timeout paths shorten it.
   */
  rpcResponseTimeout: number;
  /** Largest request body accepted, in bytes (Nova's max_request_body_size). */
  maxBodySize: number;
  logLevel: string;
  /** Prometheus metrics at /stratus/metrics (1) or off (0: the benchmark measures their cost). */
  metrics: number;
  /** 1: server create and rebuild return the admin password (Nova's [api] enable_instance_password); 0: omit it. */
  enableInstancePassword: number;
  /**
   * The base URL clients reach this API at (catalog, links, WWW-Authenticate). Default:
   * `http://<host>:<port>` as bound. The client's Host header is never used for it.
   */
  publicUrl: string | null;
  /** 1: honour X-Forwarded-Proto/-Host/-For from a proxy in front (off by default: clients could forge them). */
  trustProxy: number;
  /** Failed logins allowed per user and source address within `lockoutDuration` before 401s without checking (0: off). */
  lockoutFailureAttempts: number;
  /** Seconds a user and source address stay refused after too many failed logins. */
  lockoutDuration: number;
  /**
   * Default quotas (Nova's [quota] options), for projects without a limit of their own; -1 is
   * unlimited, the default, so the demo cloud holds as many servers as benchmarks need.
   */
  quotaInstances: number;
  quotaCores: number;
  quotaRam: number;
  quotaKeyPairs: number;
  quotaMetadataItems: number;
  quotaServerGroups: number;
  quotaServerGroupMembers: number;
  /** Glance's image_size_cap: the largest image data an upload may stream (bytes; Glance's default, 1 TiB). */
  imageSizeCap: number;
  /** Seconds the watch API keeps server changes for replay (Last-Event-ID) before pruning them. */
  eventsRetention: number;
  /** Seconds between heartbeats (and token re-checks) on watch API streams. */
  eventsHeartbeat: number;
}

interface OptionSpec {
  key: keyof Config;
  flag: string;
  env: string;
  /** int: a non-negative integer; limit: an integer >= -1 (-1: unlimited). */
  kind: 'string' | 'int' | 'limit';
  description: string;
}

export const OPTIONS: OptionSpec[] = [
  { key: 'host', flag: 'host', env: 'STRATUS_HOST', kind: 'string', description: 'address to listen on' },
  { key: 'port', flag: 'port', env: 'STRATUS_PORT', kind: 'int', description: 'port to listen on' },
  { key: 'data', flag: 'data', env: 'STRATUS_DATA', kind: 'string', description: 'data directory' },
  { key: 'database', flag: 'database', env: 'STRATUS_DATABASE', kind: 'string', description: 'database URL' },
  {
    key: 'driver',
    flag: 'driver',
    env: 'STRATUS_DRIVER',
    kind: 'string',
    description: 'compute driver (fake|process)',
  },
  { key: 'agents', flag: 'agents', env: 'STRATUS_AGENTS', kind: 'int', description: 'in-process compute agents' },
  {
    key: 'workers',
    flag: 'workers',
    env: 'STRATUS_WORKERS',
    kind: 'int',
    description: 'API worker processes (default 1; more only on PostgreSQL)',
  },
  { key: 'agentName', flag: 'name', env: 'STRATUS_NAME', kind: 'string', description: 'compute node name' },
  {
    key: 'zone',
    flag: 'zone',
    env: 'STRATUS_ZONE',
    kind: 'string',
    description: 'availability zone of the compute node (an aggregate zone wins)',
  },
  { key: 'password', flag: 'password', env: 'STRATUS_PASSWORD', kind: 'string', description: 'demo users password' },
  {
    key: 'policyFile',
    flag: 'policy-file',
    env: 'STRATUS_POLICY_FILE',
    kind: 'string',
    description: 'policy override file',
  },
  {
    key: 'tokenExpiration',
    flag: 'token-expiration',
    env: 'STRATUS_TOKEN_EXPIRATION',
    kind: 'int',
    description: 'token lifetime (s)',
  },
  {
    key: 'serviceDownTime',
    flag: 'service-down-time',
    env: 'STRATUS_SERVICE_DOWN_TIME',
    kind: 'int',
    description: 'compute down after (s)',
  },
  {
    key: 'reportInterval',
    flag: 'report-interval',
    env: 'STRATUS_REPORT_INTERVAL',
    kind: 'int',
    description: 'heartbeat interval (s)',
  },
  {
    key: 'reclaimInstanceInterval',
    flag: 'reclaim-instance-interval',
    env: 'STRATUS_RECLAIM_INSTANCE_INTERVAL',
    kind: 'int',
    description: 'soft delete reclaim (s)',
  },
  {
    key: 'allowResizeToSameHost',
    flag: 'allow-resize-to-same-host',
    env: 'STRATUS_ALLOW_RESIZE_TO_SAME_HOST',
    kind: 'int',
    description: 'resize may stay on the same node (1/0)',
  },
  {
    key: 'resizeConfirmWindow',
    flag: 'resize-confirm-window',
    env: 'STRATUS_RESIZE_CONFIRM_WINDOW',
    kind: 'int',
    description: 'auto-confirm resizes after (s), 0 never',
  },
  {
    key: 'shelvedOffloadTime',
    flag: 'shelved-offload-time',
    env: 'STRATUS_SHELVED_OFFLOAD_TIME',
    kind: 'int',
    description: 'offload shelved servers after (s; 0 at once, -1 never)',
  },
  { key: 'taskLease', flag: 'task-lease', env: 'STRATUS_TASK_LEASE', kind: 'int', description: 'task lease (s)' },
  {
    key: 'rpcResponseTimeout',
    flag: 'rpc-response-timeout',
    env: 'STRATUS_RPC_RESPONSE_TIMEOUT',
    kind: 'int',
    description: 'wait for a compute node answer (s)',
  },
  {
    key: 'taskMaxAttempts',
    flag: 'task-max-attempts',
    env: 'STRATUS_TASK_MAX_ATTEMPTS',
    kind: 'int',
    description: 'task attempts',
  },
  {
    key: 'agentBacklog',
    flag: 'agent-backlog',
    env: 'STRATUS_AGENT_BACKLOG',
    kind: 'int',
    description: "tasks a node may hold before a DELETE's 204 waits for it (0: no limit)",
  },
  {
    key: 'maxBodySize',
    flag: 'max-body-size',
    env: 'STRATUS_MAX_BODY_SIZE',
    kind: 'int',
    description: 'max request body (bytes)',
  },
  { key: 'logLevel', flag: 'log-level', env: 'STRATUS_LOG_LEVEL', kind: 'string', description: 'pino log level' },
  {
    key: 'enableInstancePassword',
    flag: 'enable-instance-password',
    env: 'STRATUS_ENABLE_INSTANCE_PASSWORD',
    kind: 'int',
    description: 'return adminPass from server create (1) or not (0)',
  },
  {
    key: 'metrics',
    flag: 'metrics',
    env: 'STRATUS_METRICS',
    kind: 'int',
    description: 'Prometheus metrics on (1) or off (0)',
  },
  {
    key: 'publicUrl',
    flag: 'public-url',
    env: 'STRATUS_PUBLIC_URL',
    kind: 'string',
    description: 'base URL for the catalog and links',
  },
  {
    key: 'trustProxy',
    flag: 'trust-proxy',
    env: 'STRATUS_TRUST_PROXY',
    kind: 'int',
    description: 'honour X-Forwarded-* (1) or not (0)',
  },
  {
    key: 'lockoutFailureAttempts',
    flag: 'lockout-failure-attempts',
    env: 'STRATUS_LOCKOUT_FAILURE_ATTEMPTS',
    kind: 'int',
    description: 'failed logins per user and address before a lockout (0: off)',
  },
  {
    key: 'lockoutDuration',
    flag: 'lockout-duration',
    env: 'STRATUS_LOCKOUT_DURATION',
    kind: 'int',
    description: 'lockout after failed logins (s)',
  },
  {
    key: 'imageSizeCap',
    flag: 'image-size-cap',
    env: 'STRATUS_IMAGE_SIZE_CAP',
    kind: 'int',
    description: 'largest image upload in bytes (Glance image_size_cap)',
  },
  {
    key: 'eventsRetention',
    flag: 'events-retention',
    env: 'STRATUS_EVENTS_RETENTION',
    kind: 'int',
    description: 'watch API: seconds server changes are kept for replay',
  },
  {
    key: 'eventsHeartbeat',
    flag: 'events-heartbeat',
    env: 'STRATUS_EVENTS_HEARTBEAT',
    kind: 'int',
    description: 'watch API: seconds between stream heartbeats',
  },
  ...(
    [
      ['quotaInstances', 'instances', 'servers'],
      ['quotaCores', 'cores', 'vCPUs of servers'],
      ['quotaRam', 'ram', 'MiB of RAM of servers'],
      ['quotaKeyPairs', 'key-pairs', 'key pairs per user'],
      ['quotaMetadataItems', 'metadata-items', 'metadata items per server'],
      ['quotaServerGroups', 'server-groups', 'server groups'],
      ['quotaServerGroupMembers', 'server-group-members', 'servers per server group'],
    ] as const
  ).map(
    ([key, name, what]): OptionSpec => ({
      key,
      flag: `quota-${name}`,
      env: `STRATUS_QUOTA_${name.toUpperCase().replace(/-/g, '_')}`,
      kind: 'limit',
      description: `default quota: ${what} per project (-1: unlimited)`,
    }),
  ),
];

export function defaults(): Config {
  return {
    host: '127.0.0.1',
    port: 8774,
    data: './data',
    database: 'sqlite:',
    driver: 'fake',
    agents: 1,
    workers: 1,
    agentName: hostname(),
    zone: 'nova',
    password: 'secret',
    policyFile: null,
    tokenExpiration: 3600,
    serviceDownTime: 60,
    reportInterval: 10,
    reclaimInstanceInterval: 0,
    allowResizeToSameHost: 1,
    resizeConfirmWindow: 0,
    shelvedOffloadTime: 0,
    taskLease: 60,
    taskMaxAttempts: 5,
    agentBacklog: 256,
    rpcResponseTimeout: 10,
    maxBodySize: 114688,
    logLevel: 'info',
    metrics: 1,
    enableInstancePassword: 1,
    publicUrl: null,
    trustProxy: 0,
    lockoutFailureAttempts: 10,
    lockoutDuration: 60,
    quotaInstances: -1,
    quotaCores: -1,
    quotaRam: -1,
    quotaKeyPairs: -1,
    quotaMetadataItems: -1,
    quotaServerGroups: -1,
    quotaServerGroupMembers: -1,
    imageSizeCap: 1099511627776,
    eventsRetention: 3600,
    eventsHeartbeat: 15,
  };
}

export class ConfigError extends Error {}

/**
 * Flags win over environment, environment over the config file, the file over defaults.
 * `flags` holds raw commander values keyed by Config key.
 */
export function loadConfig(
  flags: Partial<Record<keyof Config, unknown>>,
  env: NodeJS.ProcessEnv,
  configFile?: string,
): Config {
  const cfg = defaults();
  const layers: Array<Partial<Record<string, unknown>>> = [];
  if (configFile) {
    const parsed = YAML.parse(readFileSync(configFile, 'utf8')) ?? {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${configFile}: expected a mapping`);
    const fromFile: Record<string, unknown> = {};
    for (const o of OPTIONS) {
      const v = (parsed as Record<string, unknown>)[o.flag] ?? (parsed as Record<string, unknown>)[o.key];
      if (v !== undefined) fromFile[o.key] = v;
    }
    layers.push(fromFile);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const o of OPTIONS) if (env[o.env] !== undefined && env[o.env] !== '') fromEnv[o.key] = env[o.env];
  layers.push(fromEnv);
  layers.push(flags as Record<string, unknown>);
  const out = cfg as unknown as Record<string, unknown>;
  for (const layer of layers) {
    for (const o of OPTIONS) {
      const v = layer[o.key];
      if (v === undefined || v === null) continue;
      if (o.kind === 'int' || o.kind === 'limit') {
        const n = typeof v === 'number' ? v : Number(String(v));
        const min = o.kind === 'limit' ? -1 : 0;
        if (!Number.isInteger(n) || n < min || (o.kind === 'limit' && n > 0x7fffffff))
          throw new ConfigError(
            `option ${o.flag}: expected ${min < 0 ? 'an integer >= -1' : 'a non-negative integer'}, got ${String(v)}`,
          );
        out[o.key] = n;
      } else {
        out[o.key] = String(v);
      }
    }
  }
  if (cfg.driver !== 'fake' && cfg.driver !== 'process')
    throw new ConfigError(`option driver: expected fake or process, got ${cfg.driver}`);
  if (cfg.port > 65535) throw new ConfigError('option port: out of range');
  if (cfg.publicUrl !== null) {
    let u: URL;
    try {
      u = new URL(cfg.publicUrl);
    } catch {
      throw new ConfigError(`option public-url: not a URL: ${cfg.publicUrl}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new ConfigError('option public-url: expected http:// or https://');
    if (u.search || u.hash || u.username || u.password) {
      throw new ConfigError('option public-url: a base URL has no query, fragment or credentials');
    }
  }
  // Nova's az_name: printable, no ':' (it separates zone:host:node in server create), no edge spaces.
  if (!/^[^\s:](?:[^:]{0,253}[^\s:])?$/u.test(cfg.zone) || /[\p{Cc}]/u.test(cfg.zone))
    throw new ConfigError(`option zone: not a valid availability zone name: ${JSON.stringify(cfg.zone)}`);
  if (cfg.trustProxy > 1) throw new ConfigError('option trust-proxy: expected 0 or 1');
  const workersSet = layers.some((l) => l.workers !== undefined && l.workers !== null);
  const postgres = isPostgresUrl(cfg.database);
  // One process unless asked: measured at c64 on 2 cores, two workers answered fewer deletes than
  // one and their agent (in the primary, fed by NOTIFY) fell behind (README, --workers).
  if (!workersSet) cfg.workers = 1;
  else if (cfg.workers < 1 || cfg.workers > 64) throw new ConfigError('option workers: expected 1 to 64');
  else if (cfg.workers > 1 && !postgres)
    throw new ConfigError(
      `option workers: ${cfg.workers} needs PostgreSQL (--database postgres://…); on SQLite one process owns the database file (its group commit is in-process): use --workers 1`,
    );
  if (cfg.eventsRetention < 1 || cfg.eventsRetention > 30 * 86400)
    throw new ConfigError('option events-retention: expected 1 to 2592000 seconds');
  // Idle proxies close streams after a minute or so: a heartbeat must come well within that.
  if (cfg.eventsHeartbeat < 1 || cfg.eventsHeartbeat > 300)
    throw new ConfigError('option events-heartbeat: expected 1 to 300 seconds');
  return cfg;
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
