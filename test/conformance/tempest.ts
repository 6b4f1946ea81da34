/**
 * Tempest as Stratus' conformance suite: starts a Stratus, writes a Tempest workspace for it
 * (pre-provisioned accounts, the features Stratus serves switched on), runs Debian's `tempest`
 * and reads the subunit stream back into passed / failed / skipped lists.
 *
 * Used by `npm run conformance` (cli.ts, the whole tempest.api.compute package) and by the CI
 * subset (tempest-subset.test.ts). Nothing here special-cases a test.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnFreshStratus, type StratusProcess } from '../../src/testing/process.js';

export const TEMPEST_BIN = '/usr/bin/tempest';
/** Debian's interpreter (the one tempest's modules are installed for), not a pyenv one on PATH. */
export const PYTHON = '/usr/bin/python3';
export const STESTR_BIN = '/usr/bin/stestr';
export const PASSWORD = 'secret';

export function tempestInstalled(): boolean {
  return existsSync(TEMPEST_BIN) && existsSync(STESTR_BIN) && existsSync(PYTHON);
}

/**
 * What Stratus serves today, as Tempest's feature flags. Every flag is written explicitly so
 * that a default of Tempest never switches on something we do not serve.
 */
export const COMPUTE_FEATURES: Record<string, boolean | string> = {
  // served
  pause: true,
  suspend: true,
  shelve: true,
  console_output: true,
  enable_instance_password: true,
  resize: true,
  rescue: true,
  change_password: true,
  snapshot: true,
  cold_migration: true,
  live_migration: true,
  personality: true,
  // served, but Tempest's os-interface classes also need SSH into the guest (validation), so they skip
  interface_attach: true,
  // not served (no endpoint or action for them); vnc_console: the console is a text page, not noVNC
  stable_rescue: false,
  shelve_migrate: false,
  live_migrate_back_and_forth: false,
  block_migration_for_live_migration: false,
  block_migrate_cinder_iscsi: false,
  can_migrate_between_any_hosts: false,
  metadata_service: false,
  config_drive: false,
  disk_config: false,
  hostname_fqdn_sanitization: false,
  vnc_console: false,
  spice_console: false,
  rdp_console: false,
  serial_console: false,
  attach_encrypted_volume: false,
  swap_volume: false,
  volume_backed_live_migration: false,
  volume_multiattach: false,
  nova_cert: false,
  xenapi_apis: false,
  ide_bus: false,
  unified_limits: false,
  // the scheduler filters whose behaviour Stratus's placement has (zones, live nodes, server groups)
  scheduler_enabled_filters:
    'AvailabilityZoneFilter,ComputeFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter',
};

export const SERVICES_AVAILABLE: Record<string, boolean> = {
  nova: true,
  neutron: true,
  glance: true,
  cinder: true,
  swift: false,
  horizon: false,
};

export interface Cloud {
  stratus: StratusProcess;
  url: string;
  dataDir: string;
  imageId: string;
  flavorId: string;
  flavorAltId: string;
  publicNetworkId: string;
  networkExtensions: string[];
  stop(): Promise<void>;
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

async function adminToken(url: string): Promise<string> {
  const res = await json(`${url}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password: PASSWORD } },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token)
    throw new Error(`harness: cannot get an admin token from ${url} (HTTP ${res.status})`);
  return token;
}

/** Starts a Stratus with its demo cloud on a free loopback port and reads the ids Tempest needs. */
export async function startCloud(): Promise<Cloud> {
  const stratus = await spawnFreshStratus('tempest-data', ['--host', '127.0.0.1', '--agents', '2'], {
    STRATUS_PASSWORD: PASSWORD,
  });
  const { url, dataDir, stop } = stratus;
  try {
    const token = await adminToken(url);
    const h = { headers: { 'x-auth-token': token } };
    const images = await json(`${url}/image/v2/images`, h);
    const image = (images.body?.images ?? []).find((i: { name: string }) => i.name === 'cirros-0.6.2-x86_64-disk');
    const flavors = (await json(`${url}/v2.1/flavors`, h)).body?.flavors ?? [];
    const byName = (n: string) => flavors.find((f: { name: string }) => f.name === n)?.id;
    const nets = (await json(`${url}/networking/v2.0/networks?name=public`, h)).body?.networks ?? [];
    const ext = (await json(`${url}/networking/v2.0/extensions`, h)).body?.extensions ?? [];
    if (!image || !byName('m1.tiny') || !byName('m1.small') || !nets[0])
      throw new Error('harness: the demo cloud lacks its image, flavors or public network');
    return {
      stratus,
      url,
      dataDir,
      imageId: image.id,
      flavorId: byName('m1.tiny'),
      flavorAltId: byName('m1.small'),
      publicNetworkId: nets[0].id,
      networkExtensions: ext.map((e: { alias: string }) => e.alias),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The pre-provisioned accounts: the seeded users, as they are (no dynamic credentials). */
export function accountsYaml(): string {
  // demo_reader is left out on purpose: Tempest hands any non-admin account out as `primary`,
  // and a reader cannot create servers.
  const account = (user: string, project: string, extra: string) =>
    `- username: ${user}\n  project_name: ${project}\n  password: ${PASSWORD}\n  domain_name: Default\n${extra}`;
  return [
    account('demo', 'demo', '  roles:\n    - member\n'),
    account('alt_demo', 'alt_demo', '  roles:\n    - member\n'),
    account('admin', 'admin', '  roles:\n    - admin\n  types:\n    - admin\n'),
  ].join('');
}

function ini(sections: Record<string, Record<string, string | number | boolean>>): string {
  let out = '';
  for (const [name, opts] of Object.entries(sections)) {
    out += `[${name}]\n`;
    for (const [k, v] of Object.entries(opts)) out += `${k} = ${v}\n`;
    out += '\n';
  }
  return out;
}

export function tempestConf(cloud: Cloud, ws: string, opts: { buildTimeout?: number } = {}): string {
  const buildTimeout = opts.buildTimeout ?? 60;
  return ini({
    DEFAULT: { log_file: 'tempest.log', log_dir: join(ws, 'logs'), debug: false },
    auth: {
      use_dynamic_credentials: false,
      test_accounts_file: join(ws, 'etc', 'accounts.yaml'),
      default_credentials_domain_name: 'Default',
      create_isolated_networks: false,
      // Tests with force_tenant_isolation create their own project and user with these (Keystone's
      // admin API); without them Tempest fails them with "Password is not defined".
      admin_username: 'admin',
      admin_password: PASSWORD,
      admin_project_name: 'admin',
      admin_domain_name: 'Default',
    },
    identity: {
      uri_v3: `${cloud.url}/identity/v3`,
      auth_version: 'v3',
      region: 'RegionOne',
      v3_endpoint_type: 'public',
      admin_role: 'admin',
      default_domain_id: 'default',
    },
    'identity-feature-enabled': { api_v2: false, api_v3: true },
    compute: {
      image_ref: cloud.imageId,
      image_ref_alt: cloud.imageId,
      flavor_ref: cloud.flavorId,
      flavor_ref_alt: cloud.flavorAltId,
      fixed_network_name: 'private',
      build_timeout: buildTimeout,
      build_interval: 1,
      ready_wait: 0,
      min_microversion: '2.1',
      max_microversion: '2.96',
      // two in-process compute agents: the multi-node tests (server groups, migrations) run too
      min_compute_nodes: 2,
      endpoint_type: 'publicURL',
      // Stratus offloads a shelved server at once, as Nova's default shelved_offload_time = 0
      shelved_offload_time: 0,
    },
    'compute-feature-enabled': COMPUTE_FEATURES,
    network: {
      public_network_id: cloud.publicNetworkId,
      floating_network_name: 'public',
      project_networks_reachable: false,
      shared_physical_network: false,
      build_timeout: buildTimeout,
      build_interval: 1,
    },
    'network-feature-enabled': {
      api_extensions: cloud.networkExtensions.join(',') || 'None',
      ipv6: false,
      floating_ips: true,
      port_security: false,
    },
    image: { build_timeout: buildTimeout, build_interval: 1 },
    'image-feature-enabled': { api_v2: true, api_v1: false },
    service_available: SERVICES_AVAILABLE,
    validation: { run_validation: false },
    volume: {
      build_timeout: buildTimeout,
      build_interval: 1,
      catalog_type: 'volumev3',
      min_microversion: '3.0',
      max_microversion: '3.71',
      volume_size: 1,
    },
    // what Stratus' Cinder serves (README "Block storage"): no backups, manage, revert or multiattach
    'volume-feature-enabled': {
      api_v3: true,
      snapshot: true,
      clone: true,
      backup: false,
      manage_snapshot: false,
      manage_volume: false,
      multi_backend: false,
      extend_attached_volume: false,
      extend_attached_encrypted_volume: false,
      volume_revert: false,
      cluster_active_active: false,
    },
    oslo_concurrency: { lock_path: join(ws, 'tempest_lock') },
  });
}

export interface Workspace {
  dir: string;
  confFile: string;
  env: Record<string, string>;
  remove(): Promise<void>;
}

function run(
  cmd: string,
  args: string[],
  opts: {
    cwd?: string;
    env?: Record<string, string>;
    timeoutMs: number;
    stdin?: Buffer;
    onOutput?: (s: string) => void;
  },
): Promise<{ code: number | null; stdout: Buffer; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      opts.onOutput?.(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      opts.onOutput?.(d.toString());
    });
    // the whole process group: tempest starts stestr workers of its own
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5000).unref();
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err, timedOut });
    });
    child.stdin.end(opts.stdin ?? Buffer.alloc(0));
  });
}

/** `tempest init` in a temporary directory (its registry file too), then our tempest.conf and accounts. */
export async function createWorkspace(cloud: Cloud, opts: { buildTimeout?: number } = {}): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'stratus-tempest-'));
  const dir = join(root, 'ws');
  const env = { HOME: root, TEMPEST_CONFIG_DIR: join(dir, 'etc'), TEMPEST_CONFIG: 'tempest.conf', OS_LOG_CAPTURE: '1' };
  const init = await run(TEMPEST_BIN, ['init', '--workspace-path', join(root, 'workspace.yaml'), dir], {
    env,
    timeoutMs: 120000,
  });
  if (init.code !== 0) throw new Error(`harness: tempest init failed (${init.code}):\n${init.stderr}`);
  const confFile = join(dir, 'etc', 'tempest.conf');
  await writeFile(join(dir, 'etc', 'accounts.yaml'), accountsYaml());
  await writeFile(confFile, tempestConf(cloud, dir, opts));
  return { dir, confFile, env, remove: () => rm(root, { recursive: true, force: true }) };
}

export type Status = 'success' | 'fail' | 'skip';
export interface TestResult {
  id: string;
  name: string;
  status: Status;
  reason: string;
  seconds: number;
}
export interface RunResult {
  passed: TestResult[];
  failed: TestResult[];
  skipped: TestResult[];
  seconds: number;
  exitCode: number | null;
  timedOut: boolean;
  output: string;
}

/** Reads a subunit v2 stream into one JSON line per test (status, skip reason or traceback). */
const SUBUNIT_TO_JSON = String.raw`
import json, sys, subunit, testtools
out = []
def on_test(t):
    details = t.get('details', {})
    def text(key):
        d = details.get(key)
        if d is None:
            return ''
        try:
            return ''.join(x.decode('utf-8', 'replace') if isinstance(x, bytes) else x for x in d.iter_bytes())
        except Exception:
            return ''
    reason = text('reason') or text('traceback')
    start, stop = t.get('timestamps', (None, None))
    secs = (stop - start).total_seconds() if start and stop else 0
    out.append({'id': t['id'], 'status': t['status'], 'reason': reason, 'seconds': secs})
stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name='stdout')
result = testtools.StreamToDict(on_test)
result.startTestRun()
try:
    stream.run(result)
finally:
    result.stopTestRun()
json.dump(out, sys.stdout)
`;

/** A test's name without Tempest's `[id-…,smoke]` attributes. */
export function shortName(id: string): string {
  return id.replace(/\[[^\]]*\]$/, '');
}

/** The first line of a failure that says what went wrong (the exception, not the traceback). */
export function firstErrorLine(reason: string): string {
  const lines = reason
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let i = lines.length - 1;
  while (
    i >= 0 &&
    !(
      /^[A-Za-z_][\w.]*(: |:$|$)/.test(lines[i]) &&
      !/^(Details|Body|Response|Traceback):?/.test(lines[i]) &&
      /Error|Exception|Failure|Conflict|NotFound|Forbidden|BadRequest|Unauthorized|Mismatch|Timeout|Invalid|NotImplemented|ServerFault|Unexpected|^\w+\.\w+/.test(
        lines[i].split(':')[0],
      )
    )
  )
    i--;
  if (i < 0) return (lines[lines.length - 1] ?? '').slice(0, 400);
  const details = lines[i + 1]?.startsWith('Details:') ? ` ${lines[i + 1]}` : '';
  return (lines[i] + details).slice(0, 400);
}

/**
 * `tempest run` with a regex (or a list of test ids) in the workspace, then the subunit of that
 * run from stestr. A failing test is a result; only a run that produced no results is an error.
 */
export async function runTempest(
  ws: Workspace,
  sel: { regex?: string; tests?: string[] },
  opts: { concurrency?: number; timeoutMs: number; onOutput?: (s: string) => void },
): Promise<RunResult> {
  const args = ['run', '--concurrency', String(opts.concurrency ?? 1)];
  if (sel.tests) {
    const list = join(ws.dir, 'include-list.txt');
    await writeFile(list, sel.tests.map((t) => `^${t.replace(/[.[\]()]/g, (c) => `\\${c}`)}(\\[|$)`).join('\n') + '\n');
    args.push('--include-list', list);
  } else if (sel.regex) {
    args.push('--regex', sel.regex);
  }
  const t0 = Date.now();
  const r = await run(TEMPEST_BIN, args, {
    cwd: ws.dir,
    env: ws.env,
    timeoutMs: opts.timeoutMs,
    onOutput: opts.onOutput,
  });
  const seconds = (Date.now() - t0) / 1000;
  const output = r.stdout.toString() + r.stderr;
  const last = await run(STESTR_BIN, ['last', '--subunit'], { cwd: ws.dir, env: ws.env, timeoutMs: 120000 });
  if (last.code !== 0 || last.stdout.length === 0) {
    throw new Error(
      `harness: tempest produced no results (tempest exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${output.slice(-4000)}\n${last.stderr}`,
    );
  }
  const parsed = await run(PYTHON, ['-c', SUBUNIT_TO_JSON], { timeoutMs: 120000, stdin: last.stdout });
  if (parsed.code !== 0) throw new Error(`harness: cannot read the subunit stream:\n${parsed.stderr}`);
  const rows = JSON.parse(parsed.stdout.toString()) as Array<{
    id: string;
    status: string;
    reason: string;
    seconds: number;
  }>;
  const res: RunResult = {
    passed: [],
    failed: [],
    skipped: [],
    seconds,
    exitCode: r.code,
    timedOut: r.timedOut,
    output,
  };
  for (const row of rows) {
    const t: TestResult = {
      id: row.id,
      name: shortName(row.id),
      status: 'fail',
      reason: row.reason,
      seconds: row.seconds,
    };
    if (row.status === 'success' || row.status === 'xfail') res.passed.push({ ...t, status: 'success' });
    else if (row.status === 'skip') res.skipped.push({ ...t, status: 'skip', reason: row.reason.trim() });
    else if (row.status === 'exists' || row.status === 'inprogress') continue;
    else res.failed.push(t);
  }
  for (const l of [res.passed, res.failed, res.skipped]) l.sort((a, b) => a.name.localeCompare(b.name));
  return res;
}

/** One Stratus and one workspace for one run, always cleaned up. */
export async function conformanceRun(
  sel: { regex?: string; tests?: string[] },
  opts: {
    concurrency?: number;
    timeoutMs: number;
    buildTimeout?: number;
    onOutput?: (s: string) => void;
    keep?: boolean;
  },
): Promise<RunResult & { workspace: string }> {
  const cloud = await startCloud();
  let ws: Workspace | undefined;
  try {
    ws = await createWorkspace(cloud, { buildTimeout: opts.buildTimeout });
    const r = await runTempest(ws, sel, opts);
    return { ...r, workspace: ws.dir };
  } finally {
    if (ws && !opts.keep) await ws.remove();
    await cloud.stop();
  }
}
