import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaults, type Config } from '../config/config.js';
import { startStack, type Stack } from '../runtime/stack.js';
import type { Clock } from '../domain/clock.js';
import { DEMO_IMAGE_NAME } from '../runtime/seed.js';
import { settleVolumeWork } from '../services/volume/volume-work.js';

export type Persona = 'admin' | 'member' | 'reader' | 'other';
const PERSONAS: Record<Persona, { user: string; project: string }> = {
  admin: { user: 'admin', project: 'admin' },
  member: { user: 'demo', project: 'demo' },
  reader: { user: 'demo_reader', project: 'demo' },
  other: { user: 'alt_demo', project: 'alt_demo' },
};

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A running Stratus (real HTTP on 127.0.0.1, real database) plus tokens for every persona. */
export class TestCloud {
  readonly tokens = {} as Record<Persona, string>;
  readonly projects = {} as Record<Persona, string>;
  private constructor(
    readonly stack: Stack,
    private dataDir: string,
  ) {}

  /** Starts a cloud; the database is SQLite in a temp dir unless STRATUS_TEST_DATABASE or `database` says otherwise. */
  static async start(overrides: Partial<Config> = {}, opts: { clock?: Clock } = {}): Promise<TestCloud> {
    const dataDir = mkdtempSync(join(tmpdir(), 'stratus-test-'));
    const config: Config = {
      ...defaults(),
      host: '127.0.0.1',
      port: 0,
      data: dataDir,
      agentName: 'compute-test',
      logLevel: 'silent',
      lockoutFailureAttempts: 0,
      ...overrides,
    };
    const stack = await startStack(config, {
      log: pino({ level: process.env.STRATUS_TEST_LOG ?? 'silent' }),
      clock: opts.clock,
    });
    const cloud = new TestCloud(stack, dataDir);
    try {
      for (const p of Object.keys(PERSONAS) as Persona[]) {
        const res = await cloud.issueToken(PERSONAS[p].user, PERSONAS[p].project);
        cloud.tokens[p] = res.token;
        cloud.projects[p] = res.projectId;
      }
    } catch (err) {
      await cloud.close(); // a failed start must not leave a server keeping the test process alive
      throw err;
    }
    return cloud;
  }

  get url(): string {
    return this.stack.url;
  }

  async issueToken(user: string, project: string, password = this.stack.deps.config.password) {
    const res = await this.request('POST', '/identity/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: user, domain: { name: 'Default' }, password } },
          },
          scope: { project: { name: project, domain: { name: 'Default' } } },
        },
      },
    });
    if (res.status !== 201) throw new Error(`token for ${user}: ${res.status} ${res.text}`);
    return { token: res.headers.get('x-subject-token')!, projectId: res.body.token.project.id as string };
  }

  /** One HTTP request. `as` picks a persona's token; `token` gives one explicitly; `mv` sets the compute microversion. */
  async request(
    method: string,
    path: string,
    opts: {
      as?: Persona;
      token?: string;
      body?: unknown;
      rawBody?: string;
      mv?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const token = opts.token ?? (opts.as ? this.tokens[opts.as] : undefined);
    if (token) headers['x-auth-token'] = token;
    if (opts.mv) headers['openstack-api-version'] = `compute ${opts.mv}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(this.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  /** Boots a server as `as` and waits until the agent made it ACTIVE. */
  async createServer(
    as: Persona = 'member',
    extra: Record<string, unknown> = {},
    opts: { wait?: boolean } = {},
  ): Promise<string> {
    const image = (await this.request('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body
      .images[0].id;
    const res = await this.request('POST', '/v2.1/servers', {
      as,
      body: { server: { name: 'test-server', imageRef: image, flavorRef: '1', networks: 'auto', ...extra } },
      mv: '2.37',
    });
    if (res.status !== 202) throw new Error(`create: ${res.status} ${res.text}`);
    const id = res.body.server.id as string;
    if (opts.wait !== false) await this.drain();
    return id;
  }

  /** Runs every agent until no task is ready: tests never sleep to wait for async work. */
  /** Waits until the agents have no task left and the volume service no file work in flight. */
  async drain(): Promise<void> {
    for (const a of this.stack.agents) await a.drain();
    await settleVolumeWork(this.stack.deps);
    for (const a of this.stack.agents) await a.drain();
  }

  async server(id: string, as: Persona = 'admin', mv = '2.96'): Promise<HttpResult> {
    return this.request('GET', `/v2.1/servers/${id}`, { as, mv });
  }

  /** The row as stored, including deleted ones (white-box checks of the postconditions). */
  async row(id: string) {
    return this.stack.deps.db.selectFrom('servers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async close(): Promise<void> {
    await this.stack.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
