/**
 * Bulk seeding straight into Stratus' database (Stratus stopped), so the benchmark can start
 * from 1k…1M servers in seconds instead of creating them through the API.
 *
 * Rows look like the ones Stratus writes itself (src/services/compute/servers.ts, src/services/network/ports.ts):
 *  - targets: live servers of user `demo` in project `demo` on the benchmark's compute node,
 *    vm_state active, launched, each with one port Stratus "created for" it (created_for_server=1,
 *    device_owner compute:nova) on the `private` network: what DELETE has to tear down;
 *  - live fillers: the same, but on other compute hosts (a big cloud has many nodes);
 *  - deleted fillers: deleted=1 rows (ports already gone) with the record Stratus keeps of their
 *    deletion: a `delete` instance action and its `compute_terminate_instance` event.
 * SQLite: prepared statements, one transaction per 50k rows. PostgreSQL: INSERT … SELECT FROM
 * unnest(arrays), 5k rows a statement, then VACUUM (ANALYZE) (as autovacuum would).
 * (Stratus deletes finished tasks, so none are seeded.)
 */
import { randomUUID, randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import pg from 'pg';

export type DbRef = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

/** What the demo cloud seeded (src/runtime/seed.ts) and the rows need to point at. */
export interface Cloud {
  projectId: string;
  userId: string;
  networkId: string;
  subnetId: string;
  imageId: string;
  flavor: string;
}

export interface Counts {
  servers: number;
  live: number;
  deleted: number;
  ports: number;
  tasks: number;
  actions: number;
}

type Value = string | number | null;
type Column = [name: string, pgType: 'text' | 'int'];

const SERVER_COLUMNS: Column[] = [
  ['id', 'text'],
  ['project_id', 'text'],
  ['user_id', 'text'],
  ['name', 'text'],
  ['description', 'text'],
  ['image_id', 'text'],
  ['flavor_id', 'text'],
  ['flavor', 'text'],
  ['vm_state', 'text'],
  ['task_state', 'text'],
  ['power_state', 'int'],
  ['host', 'text'],
  ['launched_at', 'text'],
  ['terminated_at', 'text'],
  ['locked_by', 'text'],
  ['locked_reason', 'text'],
  ['metadata', 'text'],
  ['key_name', 'text'],
  ['reservation_id', 'text'],
  ['launch_index', 'int'],
  ['hostname', 'text'],
  ['access_ipv4', 'text'],
  ['access_ipv6', 'text'],
  ['availability_zone', 'text'],
  ['user_data', 'text'],
  ['requested_networks', 'text'],
  ['fault', 'text'],
  ['created_at', 'text'],
  ['updated_at', 'text'],
  ['deleted_at', 'text'],
  ['deleted', 'int'],
];
const PORT_COLUMNS: Column[] = [
  ['id', 'text'],
  ['network_id', 'text'],
  ['project_id', 'text'],
  ['name', 'text'],
  ['mac_address', 'text'],
  ['fixed_ips', 'text'],
  ['device_id', 'text'],
  ['device_owner', 'text'],
  ['binding_host_id', 'text'],
  ['status', 'text'],
  ['admin_state_up', 'int'],
  ['created_for_server', 'int'],
  ['created_at', 'text'],
  ['updated_at', 'text'],
];
const ACTION_COLUMNS: Column[] = [
  ['id', 'text'],
  ['server_id', 'text'],
  ['action', 'text'],
  ['request_id', 'text'],
  ['user_id', 'text'],
  ['project_id', 'text'],
  ['start_time', 'text'],
  ['finish_time', 'text'],
  ['message', 'text'],
  ['updated_at', 'text'],
];
const EVENT_COLUMNS: Column[] = [
  ['id', 'text'],
  ['action_id', 'text'],
  ['event', 'text'],
  ['start_time', 'text'],
  ['finish_time', 'text'],
  ['result', 'text'],
  ['traceback', 'text'],
  ['host', 'text'],
  ['details', 'text'],
];

/** Seeded rows get distinct, increasing creation times (list pages sort by created_at). */
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (seq: number, plusMs = 0) => new Date(T0 + seq * 10 + plusMs).toISOString();
/** Addresses of the benchmark's own subnet on the private network (10.128.0.0/9: 8M addresses). */
const ipFor = (n: number) => {
  const x = 0x0a800000 + 2 + n;
  return [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
};
const macFor = (uuid: string) => {
  const h = uuid.replace(/-/g, '');
  return `fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
};

interface Rows {
  servers: Value[][];
  ports: Value[][];
  actions: Value[][];
  events: Value[][];
}
const TABLES: Array<[keyof Rows, string, Column[]]> = [
  ['servers', 'servers', SERVER_COLUMNS],
  ['ports', 'ports', PORT_COLUMNS],
  ['actions', 'instance_actions', ACTION_COLUMNS],
  ['events', 'instance_action_events', EVENT_COLUMNS],
];
const emptyRows = (): Rows => ({ servers: [], ports: [], actions: [], events: [] });

class RowFactory {
  constructor(
    private cloud: Cloud,
    private seq: number,
    private portSeq: number,
  ) {}

  /** A live server on `host` with its port and its create action. */
  live(rows: Rows, host: string, label: string): string {
    const id = randomUUID();
    const seq = this.seq++;
    const created = at(seq);
    const c = this.cloud;
    const name = `${label}-${seq}`;
    rows.servers.push([
      id,
      c.projectId,
      c.userId,
      name,
      null,
      c.imageId,
      '1',
      c.flavor,
      'active',
      null,
      1,
      host,
      at(seq, 5000),
      null,
      null,
      null,
      '{}',
      null,
      `r-${randomBytes(4).toString('hex')}`,
      0,
      name,
      '',
      '',
      'nova',
      null,
      JSON.stringify([{ networkId: c.networkId }]),
      null,
      created,
      at(seq, 5000),
      null,
      0,
    ]);
    const portId = randomUUID();
    rows.ports.push([
      portId,
      c.networkId,
      c.projectId,
      '',
      macFor(portId),
      JSON.stringify([{ subnet_id: c.subnetId, ip_address: ipFor(this.portSeq++) }]),
      id,
      'compute:nova',
      host,
      'ACTIVE',
      1,
      1,
      created,
      created,
    ]);
    // Its `create` action, as every server the API made has: the actions table is as large as
    // a real cloud's (empty, PostgreSQL planned the watch trigger's lookup of a server's newest
    // action as a scan of the whole table, which grew through the run).
    rows.actions.push([
      randomUUID(),
      id,
      'create',
      `req-${randomUUID()}`,
      c.userId,
      c.projectId,
      created,
      at(seq, 5000),
      null,
      at(seq, 5000),
    ]);
    return id;
  }

  /** A server deleted long ago, with its `delete` action and the event of the terminate. */
  deleted(rows: Rows, host: string): void {
    const id = randomUUID();
    const seq = this.seq++;
    const c = this.cloud;
    const gone = at(seq, 3_600_000);
    const name = `gone-${seq}`;
    rows.servers.push([
      id,
      c.projectId,
      c.userId,
      name,
      null,
      c.imageId,
      '1',
      c.flavor,
      'deleted',
      null,
      0,
      host,
      at(seq, 5000),
      gone,
      null,
      null,
      '{}',
      null,
      `r-${randomBytes(4).toString('hex')}`,
      0,
      name,
      '',
      '',
      'nova',
      null,
      JSON.stringify([{ networkId: c.networkId }]),
      null,
      at(seq),
      gone,
      gone,
      1,
    ]);
    const actionId = randomUUID();
    rows.actions.push([actionId, id, 'delete', `req-${randomUUID()}`, c.userId, c.projectId, gone, gone, null, gone]);
    rows.events.push([randomUUID(), actionId, 'compute_terminate_instance', gone, gone, 'Success', null, host, null]);
  }
}

export interface Seeder {
  readonly cloud: Cloud;
  /** `count` live servers on `host` (each with a port); returns their ids. */
  addTargets(count: number, host: string): Promise<string[]>;
  /** Growth fillers: `live` servers on other hosts (with ports) and `deleted` rows (with their done task). */
  addFillers(live: number, deleted: number, deletedOnHost: string): Promise<void>;
  counts(): Promise<Counts>;
  /** Tasks not finished yet (queued or leased): the agent's backlog. */
  openTasks(): Promise<number>;
  /** Live servers still in task_state `deleting`. */
  stuckDeleting(): Promise<number>;
  /** Number of tasks per state (done, dead, queued, leased). */
  taskStates(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const BATCH_SQLITE = 50_000;
const BATCH_PG = 5_000;

export async function openSeeder(ref: DbRef): Promise<Seeder> {
  const backend = ref.dialect === 'sqlite' ? new SqliteBackend(ref.file) : await PgBackend.open(ref.url);
  const cloud = await loadCloud(backend);
  const counts0 = await readCounts(backend);
  const factory = new RowFactory(cloud, counts0.servers, counts0.ports + counts0.servers);

  async function write(produce: (rows: Rows, i: number) => void, count: number, batch: number): Promise<void> {
    for (let done = 0; done < count; ) {
      const n = Math.min(batch, count - done);
      const rows = emptyRows();
      for (let i = 0; i < n; i++) produce(rows, done + i);
      await backend.insert(rows);
      done += n;
    }
  }
  const batch = ref.dialect === 'sqlite' ? BATCH_SQLITE : BATCH_PG;

  return {
    cloud,
    async addTargets(count, host) {
      const ids: string[] = [];
      await write(
        (rows) => {
          ids.push(factory.live(rows, host, 'bench'));
        },
        count,
        batch,
      );
      await backend.afterBulk();
      return ids;
    },
    async addFillers(live, deleted, deletedOnHost) {
      // Interleaved, so live and deleted rows share the same ranges of ids and times.
      const total = live + deleted;
      let l = 0,
        d = 0;
      await write(
        (rows, i) => {
          const wantLive = Math.round(((i + 1) * live) / total);
          if (l < wantLive) {
            factory.live(rows, `filler-${i % 100}`, 'filler');
            l++;
          } else {
            factory.deleted(rows, deletedOnHost);
            d++;
          }
        },
        total,
        batch,
      );
      if (l !== live || d !== deleted) throw new Error('filler accounting is off');
      await backend.afterBulk();
    },
    counts: () => readCounts(backend),
    async openTasks() {
      const r = await backend.query(`SELECT count(*) AS n FROM tasks WHERE state IN ('queued', 'leased')`);
      return Number(r[0].n);
    },
    async stuckDeleting() {
      const r = await backend.query(`SELECT count(*) AS n FROM servers WHERE deleted = 0 AND task_state = 'deleting'`);
      return Number(r[0].n);
    },
    async taskStates() {
      const rows = await backend.query('SELECT state, count(*) AS n FROM tasks GROUP BY state');
      return Object.fromEntries(rows.map((r) => [String(r.state), Number(r.n)]));
    },
    close: () => backend.close(),
  };
}

async function loadCloud(b: Backend): Promise<Cloud> {
  const one = async (sql: string, params: Value[] = []) => {
    const r = await b.query(sql, params);
    if (!r[0]) throw new Error(`demo cloud not seeded (no row for: ${sql})`);
    return r[0];
  };
  const project = await one(`SELECT id FROM projects WHERE name = 'demo'`);
  const user = await one(`SELECT id FROM users WHERE name = 'demo'`);
  const net = await one(`SELECT id FROM networks WHERE name = 'private'`);
  const image = await one(`SELECT id FROM images ORDER BY created_at LIMIT 1`);
  const f = await one(`SELECT id, name, vcpus, ram, disk, ephemeral, swap, extra_specs FROM flavors WHERE id = '1'`);
  const flavor = JSON.stringify({
    id: f.id,
    name: f.name,
    vcpus: Number(f.vcpus),
    ram: Number(f.ram),
    disk: Number(f.disk),
    ephemeral: Number(f.ephemeral),
    swap: Number(f.swap),
    extra_specs: JSON.parse(String(f.extra_specs)),
  });
  // The demo's 10.0.0.0/24 has 253 addresses; the seeded ports get their own big subnet on the same network.
  let subnet = (await b.query(`SELECT id FROM subnets WHERE name = 'z-bench-subnet'`))[0];
  if (!subnet) {
    const id = randomUUID();
    const now = new Date().toISOString();
    await b.query(
      `INSERT INTO subnets (id, network_id, project_id, name, cidr, gateway_ip, ip_version, created_at, updated_at) VALUES (${b.params(9)})`,
      [id, String(net.id), String(project.id), 'z-bench-subnet', '10.128.0.0/9', '10.128.0.1', 4, now, now],
    );
    subnet = { id };
  }
  return {
    projectId: String(project.id),
    userId: String(user.id),
    networkId: String(net.id),
    subnetId: String(subnet.id),
    imageId: String(image.id),
    flavor,
  };
}

async function readCounts(b: Backend): Promise<Counts> {
  const r = (
    await b.query(`SELECT (SELECT count(*) FROM servers) AS servers, (SELECT count(*) FROM servers WHERE deleted = 1) AS deleted,
    (SELECT count(*) FROM ports) AS ports, (SELECT count(*) FROM tasks) AS tasks, (SELECT count(*) FROM instance_actions) AS actions`)
  )[0];
  const servers = Number(r.servers),
    deleted = Number(r.deleted);
  return {
    servers,
    deleted,
    live: servers - deleted,
    ports: Number(r.ports),
    tasks: Number(r.tasks),
    actions: Number(r.actions),
  };
}

// --- dialects ----------------------------------------------------------------------------

interface Backend {
  query(sql: string, params?: Value[]): Promise<Array<Record<string, Value>>>;
  params(n: number): string;
  insert(rows: Rows): Promise<void>;
  afterBulk(): Promise<void>;
  close(): Promise<void>;
}

class SqliteBackend implements Backend {
  private db: SQLite.Database;
  private statements: Record<keyof Rows, SQLite.Statement>;
  constructor(file: string) {
    this.db = new SQLite(file, { timeout: 10000 });
    this.db.pragma('journal_mode = WAL');
    // Seeding only: a crash here just means reseeding.
    this.db.pragma('synchronous = OFF');
    this.db.pragma('cache_size = -262144'); // 256 MB: index inserts into big tables stay in memory
    const prep = (table: string, cols: Column[]) =>
      this.db.prepare(
        `INSERT INTO ${table} (${cols.map((c) => c[0]).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
      );
    this.statements = Object.fromEntries(TABLES.map(([key, table, cols]) => [key, prep(table, cols)])) as Record<
      keyof Rows,
      SQLite.Statement
    >;
  }
  async query(sql: string, params: Value[] = []) {
    const st = this.db.prepare(sql);
    if (st.reader) return st.all(...params) as Array<Record<string, Value>>;
    st.run(...params);
    return [];
  }
  params(n: number) {
    return Array.from({ length: n }, () => '?').join(', ');
  }
  async insert(rows: Rows) {
    this.db.transaction(() => {
      for (const [key] of TABLES) for (const r of rows[key]) this.statements[key].run(...r);
    })();
  }
  async afterBulk() {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
  async close() {
    this.db.close();
  }
}

class PgBackend implements Backend {
  private constructor(private client: pg.Client) {}
  static async open(url: string): Promise<PgBackend> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    // The database may be dropped under us when the benchmark is interrupted: fail the query, not the process.
    client.on('error', () => {
      /* surfaced by the pending query, if any */
    });
    await client.connect();
    await client.query('SET synchronous_commit = off');
    return new PgBackend(client);
  }
  async query(sql: string, params: Value[] = []) {
    return (await this.client.query(sql, params)).rows as Array<Record<string, Value>>;
  }
  params(n: number) {
    return Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ');
  }
  private async insertColumns(table: string, cols: Column[], rows: Value[][]) {
    if (rows.length === 0) return;
    const arrays = cols.map((_, j) => rows.map((r) => r[j]));
    const sql = `INSERT INTO ${table} (${cols.map((c) => c[0]).join(', ')}) SELECT * FROM unnest(${cols.map((c, j) => `$${j + 1}::${c[1] === 'int' ? 'integer' : 'text'}[]`).join(', ')})`;
    await this.client.query(sql, arrays);
  }
  async insert(rows: Rows) {
    await this.client.query('BEGIN');
    try {
      for (const [key, table, cols] of TABLES) await this.insertColumns(table, cols, rows[key]);
      await this.client.query('COMMIT');
    } catch (err) {
      await this.client.query('ROLLBACK');
      throw err;
    }
  }
  // VACUUM too: otherwise autovacuum visits the freshly inserted rows in the middle of the measurement.
  async afterBulk() {
    await this.client.query('VACUUM (ANALYZE) servers, ports, instance_actions, instance_action_events');
  }
  async close() {
    await this.client.end();
  }
}
