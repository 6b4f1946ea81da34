/**
 * The harness of the functional tests that drive the stock OpenStack clients (python-openstackclient
 * as /usr/bin/openstack, openstacksdk through /usr/bin/python3) against a Stratus started the way
 * a user starts it: `stratus serve --port 0 --data <fresh tmp dir> ...args`, with the clients
 * pointed at the clouds.yaml it writes (clouds stratus-admin, stratus-demo, stratus-alt, ...).
 *
 * A test/functional/clients-<feature>.test.ts file:
 *
 *   import { BOOT, OPENSTACK_SKIP as skip, TEST_TIMEOUT_MS, useOpenstackCli } from '../../src/testing/openstack-cli.js';
 *
 *   // One Stratus for the file, started by a `before` hook and stopped by an `after` hook.
 *   const cli = useOpenstackCli({ name: 'clients-zones', args: ['--zone', 'az-cli', '--name', 'cli-node'] });
 *
 *   test('keypair list (demo)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
 *     assert.deepEqual(await cli.json('stratus-demo', ['keypair', 'list']), []);
 *     const r = await cli.osc('stratus-alt', ['keypair', 'show', 'k1']);
 *     assert.notEqual(r.code, 0, cli.describe(r));
 *     await cli.ok('stratus-demo', ['server', 'create', ...BOOT, '--wait', 's1']); // WAIT_TIMEOUT_MS
 *   });
 *
 * API:
 * - `OPENSTACK_SKIP`: the skip reason when /usr/bin/openstack is absent, else false. Under CI
 *   (CI set) it is always false: CI installs the clients, and a missing one fails there
 *   (`start()` throws). `SDK_SKIP`: the same, also requiring /usr/bin/python3.
 * - `useOpenstackCli({ name?, args?, env? })`: the handle, with the hooks registered (call it at the
 *   top level of the file). `name` names the temporary data directory, `args` are more
 *   `stratus serve` options, `env` more variables for Stratus (not for the clients).
 * - `await OpenstackCli.start(opts)`: the same without hooks (several servers in one file, or one
 *   per test); resolves once the banner is printed and clouds.yaml exists. Stop it yourself.
 * - `cli.osc(cloud, args, timeout?)`: `openstack --os-cloud <cloud> ...args`; never rejects on a
 *   non-zero exit: a `RunResult` { cmd, code, signal, stdout, stderr } says how it ended. The
 *   timeout defaults to CLIENT_TIMEOUT_MS, or WAIT_TIMEOUT_MS when args include --wait.
 * - `cli.ok(cloud, args, timeout?)`: the same, asserting exit 0; resolves to stdout.
 * - `cli.json<T>(cloud, args, timeout?)`: adds `-f json`, asserts exit 0, parses stdout.
 * - `cli.python(script, args?, timeout?)`: `python3 -c <script> ...args` (an openstacksdk script,
 *   reading the same clouds.yaml), a RunResult; the timeout defaults to WAIT_TIMEOUT_MS.
 * - `cli.run(file, args, timeout?)`: any program, with the clients' environment and cwd.
 * - `cli.describe(r)`: the command, its exit, stdout, stderr and the tail of Stratus' output, for
 *   assertion messages.
 * - `cli.url`, `cli.dataDir` (also the clients' HOME and cwd), `cli.cloudsYaml`, `cli.env` (the
 *   clients' environment), `cli.output()` (all Stratus printed), `cli.stop()` (stops the server,
 *   removes the data directory).
 * - `--wait` polls every `CLIENT_POLL_S` (0.2 s) instead of osc_lib's 5 s (a usercustomize
 *   module on the clients' PYTHONPATH lowers that one default; nothing else of the clients).
 * - Timeouts: `CLIENT_TIMEOUT_MS` (the default, 60 s), `WAIT_TIMEOUT_MS` for commands with
 *   `--wait` (180 s), `TEST_TIMEOUT_MS` for a test (600 s). The demo cloud's `FLAVOR`, `IMAGE`,
 *   `NETWORK`, and `BOOT` (the `server create` options that use them).
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { spawnFreshStratus, type FreshStratus } from './process.js';

const execFileP = promisify(execFile);

export const OPENSTACK = '/usr/bin/openstack';
/** Debian's interpreter, the one openstacksdk is installed for (not a pyenv one on PATH). */
export const PYTHON = '/usr/bin/python3';

export const CLIENT_TIMEOUT_MS = 60_000;
/** Commands with --wait poll every few seconds. */
export const WAIT_TIMEOUT_MS = 180_000;
export const TEST_TIMEOUT_MS = 600_000;

export const FLAVOR = 'm1.tiny';
export const IMAGE = 'cirros-0.6.2-x86_64-disk';
export const NETWORK = 'private';
/** `openstack server create` options for a server of the demo cloud (add a name, maybe --wait). */
export const BOOT: readonly string[] = ['--flavor', FLAVOR, '--image', IMAGE, '--network', NETWORK];

// Skipped without the client, except under CI, which installs it: a missing client there fails.
export const OPENSTACK_SKIP: string | false =
  !existsSync(OPENSTACK) && !process.env.CI
    ? `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`
    : false;
export const SDK_SKIP: string | false =
  OPENSTACK_SKIP || (!existsSync(PYTHON) && !process.env.CI ? `${PYTHON} is not installed` : false);

export interface RunResult {
  /** The command line, quoted where needed, for messages. */
  cmd: string;
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface OpenstackCliOptions {
  /** Names the data directory (stratus-<name>-XXXXXX in the temporary directory). */
  name?: string;
  /** More `stratus serve` options (--zone, --name, ...). */
  args?: string[];
  /** More environment for Stratus (the clients get their own, see clientEnv). */
  env?: Record<string, string>;
}

/** Commands with --wait poll until the server is up or gone: they get the longer timeout. */
function defaultTimeout(args: readonly string[]): number {
  return args.includes('--wait') ? WAIT_TIMEOUT_MS : CLIENT_TIMEOUT_MS;
}

/**
 * Seconds between the polls of `--wait` (osc_lib's wait_for_status / wait_for_delete sleep 5 s
 * between checks: a `server create --wait` against the fake driver, ACTIVE in milliseconds,
 * cost 5 s). The clients' own code is untouched; only that default is lowered, by a
 * usercustomize module on the clients' PYTHONPATH that patches osc_lib.utils once it is imported.
 */
export const CLIENT_POLL_S = 0.2;
const USERCUSTOMIZE = `# Written by src/testing/openstack-cli.ts: --wait polls every ${CLIENT_POLL_S} s instead of 5 s.
import importlib.abc, importlib.util, sys

class _FasterWait(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != 'osc_lib.utils':
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            for fn in (getattr(module, 'wait_for_status', None), getattr(module, 'wait_for_delete', None)):
                try:
                    code = fn.__code__
                    names = code.co_varnames[:code.co_argcount]
                    defaults = list(fn.__defaults__)
                    defaults[names.index('sleep_time') - (len(names) - len(defaults))] = ${CLIENT_POLL_S}
                    fn.__defaults__ = tuple(defaults)
                except Exception:
                    pass

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _FasterWait())
`;

/** The clients see only our clouds.yaml: no OS_* from the caller, no user config, no pyenv. */
function clientEnv(dataDir: string, cloudsYaml: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OS_') || k.startsWith('PYTHON') || k.startsWith('PYENV')) continue;
    env[k] = v;
  }
  env.HOME = dataDir;
  env.XDG_CONFIG_HOME = join(dataDir, '.config');
  env.XDG_CACHE_HOME = join(dataDir, '.cache');
  env.OS_CLIENT_CONFIG_FILE = cloudsYaml;
  env.PYTHONDONTWRITEBYTECODE = '1';
  const site = join(dataDir, '.clients-site');
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, 'usercustomize.py'), USERCUSTOMIZE);
  env.PYTHONPATH = site;
  env.LC_ALL = 'C.UTF-8';
  return env;
}

export class OpenstackCli {
  private server: FreshStratus | undefined;
  private clients: { cloudsYaml: string; env: NodeJS.ProcessEnv } | undefined;

  /** Not started yet: see start() and useOpenstackCli(). */
  constructor(private readonly opts: OpenstackCliOptions = {}) {}

  /** Starts a Stratus of its own and resolves once the clients can use it. */
  static async start(opts: OpenstackCliOptions = {}): Promise<OpenstackCli> {
    const cli = new OpenstackCli(opts);
    await cli.start();
    return cli;
  }

  async start(): Promise<void> {
    if (this.server) throw new Error('OpenstackCli: already started');
    if (!existsSync(OPENSTACK))
      throw new Error(`${OPENSTACK} is required under CI (apt-get install python3-openstackclient)`);
    const server = await spawnFreshStratus(this.opts.name ?? 'clients', this.opts.args ?? [], this.opts.env ?? {});
    try {
      // Stratus writes clouds.yaml as it starts; give it a moment past the banner.
      const cloudsYaml = join(server.dataDir, 'clouds.yaml');
      for (let i = 0; i < 50 && !existsSync(cloudsYaml); i++) await sleep(100);
      assert.ok(existsSync(cloudsYaml), `Stratus (${server.url}) did not write ${cloudsYaml}`);
      this.clients = { cloudsYaml, env: clientEnv(server.dataDir, cloudsYaml) };
      this.server = server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  private started(): FreshStratus {
    if (!this.server) throw new Error('OpenstackCli: not started (OPENSTACK_SKIP? a failed before hook?)');
    return this.server;
  }

  get url(): string {
    return this.started().url;
  }

  get dataDir(): string {
    return this.started().dataDir;
  }

  get cloudsYaml(): string {
    this.started();
    return this.clients!.cloudsYaml;
  }

  /** The clients' environment. */
  get env(): NodeJS.ProcessEnv {
    this.started();
    return this.clients!.env;
  }

  /** Everything Stratus printed so far (stdout and stderr); empty before start. */
  output(): string {
    return this.server?.output() ?? '';
  }

  /** Stops Stratus and removes its data directory; nothing if it was never started. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.clients = undefined;
    await server?.stop();
  }

  /** Runs a program; never rejects on a non-zero exit (the result says how it ended). */
  async run(file: string, args: string[], timeout = CLIENT_TIMEOUT_MS): Promise<RunResult> {
    const cmd = [file, ...args].map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
    try {
      const { stdout, stderr } = await execFileP(file, args, {
        env: this.env,
        timeout,
        killSignal: 'SIGKILL',
        maxBuffer: 32 * 1024 * 1024,
        cwd: this.dataDir,
      });
      return { cmd, code: 0, signal: null, stdout: String(stdout), stderr: String(stderr) };
    } catch (err) {
      const e = err as NodeJS.ErrnoException & {
        code?: number | string;
        signal?: string | null;
        killed?: boolean;
        stdout?: string;
        stderr?: string;
      };
      if (typeof e.code === 'string') throw err; // spawn failure (ENOENT, ...), not an exit status
      const timedOut = e.killed ? `\n[killed after ${timeout} ms timeout]` : '';
      return {
        cmd,
        code: typeof e.code === 'number' ? e.code : null,
        signal: e.signal ?? null,
        stdout: String(e.stdout ?? ''),
        stderr: String(e.stderr ?? '') + timedOut,
      };
    }
  }

  /** A command's outcome with the tail of Stratus' output, for an assertion message. */
  describe(r: RunResult): string {
    return (
      `${r.cmd}\n  exit: ${r.code ?? r.signal}\n  stdout: ${r.stdout.trim()}\n  stderr: ${r.stderr.trim()}` +
      `\n  stratus output (tail): ${this.output().slice(-2000).trim()}`
    );
  }

  /** `openstack --os-cloud <cloud> ...args`; with --wait the default timeout is WAIT_TIMEOUT_MS. */
  osc(cloud: string, args: string[], timeout = defaultTimeout(args)): Promise<RunResult> {
    return this.run(OPENSTACK, ['--os-cloud', cloud, ...args], timeout);
  }

  /** An openstack command that must succeed; resolves to its stdout. */
  async ok(cloud: string, args: string[], timeout = defaultTimeout(args)): Promise<string> {
    const r = await this.osc(cloud, args, timeout);
    assert.equal(r.code, 0, `command failed:\n${this.describe(r)}`);
    return r.stdout;
  }

  /** An openstack command with `-f json` that must succeed; resolves to the parsed output. */
  async json<T = any>(cloud: string, args: string[], timeout = defaultTimeout(args)): Promise<T> {
    const r = await this.osc(cloud, [...args, '-f', 'json'], timeout);
    assert.equal(r.code, 0, `command failed:\n${this.describe(r)}`);
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      assert.fail(`output is not JSON:\n${this.describe(r)}`);
    }
  }

  /** `python3 -c <script> ...args` (an openstacksdk script; it reads the same clouds.yaml). */
  python(script: string, args: string[] = [], timeout = WAIT_TIMEOUT_MS): Promise<RunResult> {
    return this.run(PYTHON, ['-c', script, ...args], timeout);
  }
}

/**
 * One Stratus for the whole test file: registers a `before` hook that starts it (unless
 * OPENSTACK_SKIP) and an `after` hook that stops it, and returns the handle the tests use.
 */
export function useOpenstackCli(opts: OpenstackCliOptions = {}): OpenstackCli {
  const cli = new OpenstackCli(opts);
  before(async () => {
    if (!OPENSTACK_SKIP) await cli.start();
  });
  after(() => cli.stop());
  return cli;
}
