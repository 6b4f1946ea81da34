import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, existsSync, openSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import {
  chmod,
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ComputeDriver,
  DiskDiagnostics,
  GuestDiagnostics,
  GuestInterface,
  GuestPower,
  GuestSpec,
  GuestVolume,
  PersonalityFile,
  RescueSpec,
  SpawnOptions,
} from '../driver.js';

export interface ProcessDriverOptions {
  /** Node data directory; guests live in `<dataDir>/instances/<uuid>/`. */
  dataDir: string;
  /** SIGTERM → SIGKILL grace period for power-off, soft reboot and destroy (ms, default 3000). */
  graceMs?: number;
}

const GIB = 1024 ** 3;
const POLL_MS = 5;
/** How long a SIGKILLed process may take to disappear before we call it a failure. */
const KILL_WAIT_MS = 5000;
/** Best-effort wait for SIGSTOP to take effect, so `pause()` returns with the guest really stopped. */
const STOP_WAIT_MS = 1000;
// Nova parity: the libvirt driver returns at most the last 100 KiB of the console log (MAX_CONSOLE_BYTES).
const MAX_CONSOLE_BYTES = 100 * 1024;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Ids become directory names: anything else cannot name a guest of ours (and never reaches the filesystem). */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A rescued guest: the rescue image it boots (its presence is the rescue) and its fresh disk. */
const RESCUE_FILE = 'rescue.json';
const RESCUE_DISK = 'disk.rescue';
/** USER_HZ: /proc reports times in these ticks (100 on every Linux architecture Node runs on). */
const CLOCK_TICKS = 100;
const IDLE_SCRIPT = fileURLToPath(new URL('./guest-idle.js', import.meta.url));
/** Linux: identity checks through /proc. Elsewhere we fall back to kill(pid, 0) alone. */
const HAVE_PROC = existsSync('/proc/self/stat');

type PausedState = 'paused' | 'suspended';
interface ProcStat {
  state: string;
  pgrp: number;
  startTime: string;
  /** User and system CPU time, in clock ticks. */
  utime: number;
  stime: number;
}
interface PidRecord {
  pid: number;
  startTime: string | null;
}

const notFound = (id: string) => new Error(`Instance ${id} could not be found on this hypervisor.`);
const errCode = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code;

async function waitUntil(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= end) return false;
    await sleep(POLL_MS);
  }
}

/** /proc/<pid>/stat; the command name is in parentheses and may hold spaces, so split after the last ')'. */
async function readStat(pid: number): Promise<ProcStat | null> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], pgrp: Number(f[2]), startTime: f[19], utime: Number(f[11]), stime: Number(f[12]) };
  } catch {
    return null;
  }
}

async function readEnviron(pid: number): Promise<string[] | null> {
  try {
    return (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  } catch {
    return null; // gone, or another user's process (EACCES): either way not one of our guests
  }
}

function personalityPath(dir: string, path: string): string {
  const rel = posix.normalize(`/${path.replace(/\0/g, '')}`).replace(/^\/+/, '');
  return join(dir, 'personality', rel || '_');
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (errCode(e) === 'ENOENT') return null;
    throw e;
  }
}

/**
 * A hypervisor whose guests are real OS processes. Each guest leads its own process group
 * (detached), writes its stdout/stderr to `console.log`, and is unref'd, so the agent can exit
 * and restart while guests keep running. All state lives on disk — `pid`, `starttime`, `state`,
 * `spec.json` — so a new driver on the same dataDir manages the guests an earlier one started.
 */
export class ProcessDriver implements ComputeDriver {
  readonly name = 'process';
  private readonly dataDir: string;
  private readonly graceMs: number;
  /** Child handles of guests this driver started. Kept so the 'exit' listener reaps them (a zombie still answers kill(pid, 0)). */
  private readonly children = new Map<string, ChildProcess>();
  /** One operation at a time per guest within this driver (two concurrent spawns must not start two processes). */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(opts: ProcessDriverOptions) {
    this.dataDir = opts.dataDir;
    this.graceMs = opts.graceMs ?? 3000;
  }

  /** `<dataDir>/instances/<id>` (the id must be a safe directory name). */
  instanceDir(id: string): string {
    if (!SAFE_ID.test(id)) throw new Error(`invalid instance id ${JSON.stringify(id)}`);
    return join(this.dataDir, 'instances', id);
  }

  async spawn(guest: GuestSpec, opts?: SpawnOptions): Promise<void> {
    const dir = this.instanceDir(guest.id);
    await this.exclusive(guest.id, async () => {
      if ((await this.livePid(guest.id)) !== null) return; // already running: nothing to do
      await mkdir(dir, { recursive: true });
      await writeAtomic(join(dir, 'spec.json'), JSON.stringify(guest, null, 2) + '\n');
      // From a snapshot (unshelve): the disk is a copy of its data (then grown to the flavor), as
      // libvirt's driver boots the shelved image; written aside and renamed, so a crash leaves none.
      if (opts?.disk && !existsSync(join(dir, 'disk'))) {
        await pipeline(opts.disk, createWriteStream(join(dir, 'disk.part')));
        await rename(join(dir, 'disk.part'), join(dir, 'disk'));
      }
      // Boot from volume: the disk is the root volume's file itself (a link, not a copy), as
      // libvirt boots from the volume's block device; data volumes are linked beside it.
      const root = guest.blockDevices?.find((b) => b.bootIndex === 0);
      if (root) await this.linkVolume(join(dir, 'disk'), root.devicePath);
      else await this.makeDisk(join(dir, 'disk'), guest.diskGb);
      // Data volumes where attachVolume puts them: `volumes/<volume_id>`.
      for (const b of guest.blockDevices ?? []) {
        if (b === root || !SAFE_ID.test(b.volumeId)) continue;
        await mkdir(join(dir, 'volumes'), { recursive: true });
        await this.linkVolume(join(dir, 'volumes', b.volumeId), b.devicePath);
      }
      await this.injectFiles(dir, guest.personality ?? []);
      await this.start(guest);
    });
  }

  async destroy(id: string): Promise<void> {
    if (!SAFE_ID.test(id)) return; // cannot name a guest of ours: already gone
    await this.exclusive(id, async () => {
      await this.stop(id, this.graceMs);
      await rm(this.instanceDir(id), { recursive: true, force: true });
    });
  }

  async powerOff(id: string): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      await this.stop(id, this.graceMs);
    });
  }

  async powerOn(id: string): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      if ((await this.livePid(id)) === null) await this.start(await this.readSpec(id));
    });
  }

  /** Soft: SIGTERM, grace, SIGKILL, start. Hard: SIGKILL at once (Nova's hard reboot destroys the domain), start. */
  async reboot(id: string, hard = false): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      await this.stop(id, hard ? 0 : this.graceMs);
      await this.start(await this.readSpec(id));
    });
  }

  async pause(id: string): Promise<void> {
    await this.freeze(id, 'paused');
  }
  async suspend(id: string): Promise<void> {
    await this.freeze(id, 'suspended');
  }
  async unpause(id: string): Promise<void> {
    await this.thaw(id, false);
  }
  /** A suspended guest whose process was lost (host restart) boots again from its spec. */
  async resume(id: string): Promise<void> {
    await this.thaw(id, true);
  }

  async power(id: string): Promise<GuestPower> {
    if (!(await this.hasGuest(id))) return 'missing';
    if ((await this.livePid(id)) === null) return 'shutdown';
    return (await this.readState(id)) ?? 'running';
  }

  async listGuests(): Promise<string[]> {
    try {
      const entries = await readdir(join(this.dataDir, 'instances'), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && SAFE_ID.test(e.name)).map((e) => e.name);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return [];
      throw e;
    }
  }

  async consoleOutput(id: string): Promise<string> {
    await this.requireGuest(id);
    let fh: FileHandle | undefined;
    try {
      fh = await open(join(this.instanceDir(id), 'console.log'), 'r');
    } catch (e) {
      if (errCode(e) === 'ENOENT') return '';
      throw e;
    }
    try {
      const { size } = await fh.stat();
      const from = Math.max(0, size - MAX_CONSOLE_BYTES);
      const buf = Buffer.alloc(size - from);
      const { bytesRead } = await fh.read(buf, 0, buf.length, from);
      let text = buf.subarray(0, bytesRead).toString('utf8');
      if (from > 0) text = text.slice(text.indexOf('\n') + 1); // drop the partial first line
      return text;
    } finally {
      await fh.close();
    }
  }

  // ---- rescue, password, diagnostics ------------------------------------------------------

  /**
   * Nova's rescue (libvirt: a new domain booting the rescue image, the original disk attached
   * second): the guest process restarts running the rescue image's command, with a fresh
   * `disk.rescue` as its disk and the original `disk` kept, untouched, as STRATUS_ORIGINAL_DISK.
   * `rescue.json` records it, so a restarted agent (or a power-on) keeps the guest rescued.
   */
  async rescue(id: string, rescue: RescueSpec): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      const dir = this.instanceDir(id);
      const current = await this.readRescue(id);
      if (current && current.imageId === rescue.imageId && (await this.livePid(id)) !== null) return; // done already
      await this.stop(id, this.graceMs);
      await writeAtomic(join(dir, RESCUE_FILE), JSON.stringify(rescue) + '\n');
      await this.makeDisk(join(dir, RESCUE_DISK), 0);
      await this.start(await this.readSpec(id));
    });
  }

  /** Boots the original again (the rescue disk goes); a guest that is not rescued is simply (re)started. */
  async unrescue(id: string): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      const dir = this.instanceDir(id);
      const rescued = (await this.readRescue(id)) !== null;
      if (!rescued && (await this.livePid(id)) !== null) return; // done already
      await this.stop(id, this.graceMs);
      await rm(join(dir, RESCUE_FILE), { force: true });
      await rm(join(dir, RESCUE_DISK), { force: true });
      await this.start(await this.readSpec(id));
    });
  }

  /** The rescue a guest is in, or null (tests and the start path look). */
  async readRescue(id: string): Promise<RescueSpec | null> {
    const text = await readText(join(this.instanceDir(id), RESCUE_FILE));
    return text === null ? null : (JSON.parse(text) as RescueSpec);
  }

  /** The guest's password is `admin_password` in its directory, readable by the owner only (0600). */
  async setAdminPassword(id: string, password: string): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      const path = join(this.instanceDir(id), 'admin_password');
      const tmp = `${path}.tmp-${process.pid}`;
      await writeFile(tmp, password, { mode: 0o600 });
      await chmod(tmp, 0o600); // the umask may have taken bits away, never added: be explicit anyway
      await rename(tmp, path);
    });
  }

  /**
   * Real numbers for the guest's leading process, from /proc: CPU time (utime + stime), resident
   * memory (VmRSS), uptime (since its start time) and I/O (read_bytes/write_bytes, syscr/syscw).
   */
  async diagnostics(id: string): Promise<GuestDiagnostics> {
    await this.requireGuest(id);
    const spec = await this.readSpec(id);
    const power = await this.power(id);
    const pid = await this.livePid(id);
    const st = pid !== null ? await readStat(pid) : null;
    let uptime: number | null = null;
    let cpuNs: number | null = null;
    let rssMb: number | null = null;
    const disk: DiskDiagnostics = {
      readBytes: null,
      readRequests: null,
      writeBytes: null,
      writeRequests: null,
      errorsCount: 0,
    };
    if (pid !== null && st) {
      cpuNs = Math.round(((st.utime + st.stime) / CLOCK_TICKS) * 1e9);
      const up = Number.parseFloat(((await readText('/proc/uptime')) ?? '').split(' ')[0]);
      if (Number.isFinite(up)) uptime = Math.max(0, Math.floor(up - Number(st.startTime) / CLOCK_TICKS));
      const rss = /VmRSS:\s+(\d+) kB/.exec((await readText(`/proc/${pid}/status`).catch(() => null)) ?? '');
      if (rss) rssMb = Math.ceil(Number(rss[1]) / 1024);
      const io = (await readText(`/proc/${pid}/io`).catch(() => null)) ?? '';
      const field = (name: string) => {
        const m = new RegExp(`^${name}: (\\d+)$`, 'm').exec(io);
        return m ? Number(m[1]) : null;
      };
      disk.readBytes = field('read_bytes');
      disk.writeBytes = field('write_bytes');
      disk.readRequests = field('syscr');
      disk.writeRequests = field('syscw');
    }
    const state = power === 'missing' ? 'pending' : power;
    return {
      state,
      driver: 'libvirt',
      hypervisor: 'process',
      hypervisorOs: process.platform,
      uptime,
      configDrive: false,
      numCpus: spec.vcpus,
      // One process: its CPU time is reported on the first vCPU.
      cpuDetails: Array.from({ length: spec.vcpus }, (_, i) => ({
        id: i,
        time: i === 0 ? cpuNs : cpuNs === null ? null : 0,
        utilisation: null,
      })),
      diskDetails: [disk],
      memoryDetails: { maximum: spec.ramMb, used: rssMb },
    };
  }

  /**
   * The guest sees its hot-plugged interfaces in `interfaces.json` of its instance directory (a
   * process has no NICs to plug), written atomically so a reader never sees half a list.
   */
  async attachInterface(id: string, iface: GuestInterface): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      const list = (await this.readInterfaces(id)).filter((i) => i.portId !== iface.portId);
      await this.writeInterfaces(id, [...list, iface]);
    });
  }

  async detachInterface(id: string, portId: string): Promise<void> {
    await this.exclusive(id, async () => {
      if (!(await this.hasGuest(id))) return;
      const list = await this.readInterfaces(id);
      if (list.some((i) => i.portId === portId))
        await this.writeInterfaces(
          id,
          list.filter((i) => i.portId !== portId),
        );
    });
  }

  async interfaces(id: string): Promise<GuestInterface[]> {
    await this.requireGuest(id);
    return this.readInterfaces(id);
  }

  /**
   * An attached volume is a symlink `<instanceDir>/volumes/<volume_id>` to the volume's file (the
   * connection_info's device_path): the guest sees it, and a destroy (the directory goes) really
   * detaches it. Replaced atomically, so a retried attach leaves one link.
   */
  async attachVolume(id: string, volume: GuestVolume): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      if (!SAFE_ID.test(volume.volumeId)) throw new Error(`Invalid volume id ${volume.volumeId}`);
      const dir = join(this.instanceDir(id), 'volumes');
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, `.${volume.volumeId}.${process.pid}.tmp`);
      await rm(tmp, { force: true });
      await symlink(volume.devicePath, tmp);
      await rename(tmp, join(dir, volume.volumeId));
    });
  }

  async detachVolume(id: string, volumeId: string): Promise<void> {
    await this.exclusive(id, async () => {
      if (!(await this.hasGuest(id)) || !SAFE_ID.test(volumeId)) return;
      await rm(join(this.instanceDir(id), 'volumes', volumeId), { force: true });
    });
  }

  async volumes(id: string): Promise<GuestVolume[]> {
    await this.requireGuest(id);
    const dir = join(this.instanceDir(id), 'volumes');
    const names = await readdir(dir).catch(() => [] as string[]);
    const out: GuestVolume[] = [];
    for (const name of names.filter((n) => !n.startsWith('.')).sort())
      out.push({ volumeId: name, devicePath: await readlink(join(dir, name)), device: null });
    return out;
  }

  // ---- internals -------------------------------------------------------------------------

  private async readInterfaces(id: string): Promise<GuestInterface[]> {
    const text = await readText(join(this.instanceDir(id), 'interfaces.json'));
    return text === null ? [] : (JSON.parse(text) as GuestInterface[]);
  }

  private async writeInterfaces(id: string, list: GuestInterface[]): Promise<void> {
    await writeAtomic(join(this.instanceDir(id), 'interfaces.json'), `${JSON.stringify(list, null, 2)}\n`);
  }

  private async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(id) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  private async hasGuest(id: string): Promise<boolean> {
    if (!SAFE_ID.test(id)) return false;
    try {
      return (await stat(this.instanceDir(id))).isDirectory();
    } catch (e) {
      if (errCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  /**
   * Nova's file injection, into the instance directory: each file at `personality/<its path>`.
   * The path is normalised from `/`, so `..` cannot climb out of that directory.
   */
  private async injectFiles(dir: string, files: PersonalityFile[]): Promise<void> {
    for (const f of files) {
      const target = personalityPath(dir, f.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, Buffer.from(f.contents, 'base64'));
    }
  }

  /** The guest's disk file, read as it is (a snapshot's data is a copy of it). */
  async snapshot(id: string): Promise<AsyncIterable<Uint8Array>> {
    await this.requireGuest(id);
    return createReadStream(join(this.instanceDir(id), 'disk'));
  }

  async injectedFiles(id: string): Promise<PersonalityFile[]> {
    await this.requireGuest(id);
    const dir = this.instanceDir(id);
    const spec = await this.readSpec(id);
    const out: PersonalityFile[] = [];
    for (const f of spec.personality ?? [])
      out.push({ path: f.path, contents: (await readFile(personalityPath(dir, f.path))).toString('base64') });
    return out;
  }

  private async requireGuest(id: string): Promise<void> {
    if (!(await this.hasGuest(id))) throw notFound(id);
  }

  private async readSpec(id: string): Promise<GuestSpec> {
    const text = await readText(join(this.instanceDir(id), 'spec.json'));
    if (text === null) throw new Error(`Instance ${id} has no spec.json on this hypervisor; cannot start it.`);
    return JSON.parse(text) as GuestSpec;
  }

  private async readState(id: string): Promise<PausedState | null> {
    const s = (await readText(join(this.instanceDir(id), 'state')))?.trim();
    return s === 'paused' || s === 'suspended' ? s : null;
  }

  private async readPid(id: string): Promise<PidRecord | null> {
    const dir = this.instanceDir(id);
    const pid = Number.parseInt((await readText(join(dir, 'pid'))) ?? '', 10);
    if (!Number.isInteger(pid) || pid <= 1) return null;
    const startTime = (await readText(join(dir, 'starttime')))?.trim() || null;
    return { pid, startTime };
  }

  /**
   * Is `rec.pid` still this guest's process? kill(pid, 0) alone is not enough: a zombie answers
   * it, and after a restart the pid may belong to someone else. So: not a zombie, and the same
   * start time we recorded at spawn (or, without one, STRATUS_INSTANCE_ID=<id> in its environment).
   */
  private async isOurs(id: string, rec: PidRecord): Promise<boolean> {
    try {
      process.kill(rec.pid, 0);
    } catch (e) {
      if (errCode(e) === 'ESRCH' || errCode(e) === 'EPERM') return false; // EPERM: another user's process
      throw e;
    }
    if (!HAVE_PROC) return true;
    const st = await readStat(rec.pid);
    if (!st || st.state === 'Z' || st.state === 'X') return false;
    if (rec.startTime !== null) return st.startTime === rec.startTime;
    return (await readEnviron(rec.pid))?.includes(`STRATUS_INSTANCE_ID=${id}`) ?? false;
  }

  private async livePid(id: string): Promise<number | null> {
    if (!(await this.hasGuest(id))) return null;
    const rec = await this.readPid(id);
    return rec && (await this.isOurs(id, rec)) ? rec.pid : null;
  }

  /**
   * Live processes carrying this guest's STRATUS_INSTANCE_ID other than `except`: children that
   * outlived the group leader, or left setsid() for a group of their own. Linux only.
   */
  private async strays(id: string, except?: number): Promise<number[]> {
    if (!HAVE_PROC) return [];
    const marker = `STRATUS_INSTANCE_ID=${id}`;
    const pids = (await readdir('/proc'))
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && pid !== process.pid && pid !== except);
    // Every process on the machine is looked at: in parallel, or a delete waits on hundreds of reads in a row.
    const found = await Promise.all(
      pids.map(async (pid) => {
        if (!(await readEnviron(pid))?.includes(marker)) return null;
        const st = await readStat(pid);
        return st && st.state !== 'Z' && st.state !== 'X' ? pid : null;
      }),
    );
    return found.filter((pid): pid is number => pid !== null);
  }

  private static signal(target: number, sig: NodeJS.Signals): void {
    try {
      process.kill(target, sig);
    } catch (e) {
      if (errCode(e) !== 'ESRCH') throw e; // already gone
    }
  }

  /**
   * Stop every process of the guest: SIGTERM (+ SIGCONT, since a stopped process only acts on it
   * once continued) to the process group, up to `graceMs` for the leader and any stragglers, then
   * SIGKILL. Then forget the pid. The directory stays.
   */
  private async stop(id: string, graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    const rec = await this.readPid(id);
    const leader = rec && (await this.isOurs(id, rec)) ? rec : null;
    if (leader && graceMs > 0) {
      ProcessDriver.signal(-leader.pid, 'SIGTERM');
      ProcessDriver.signal(-leader.pid, 'SIGCONT');
      await waitUntil(async () => !(await this.isOurs(id, leader)), graceMs);
    }
    let rest = await this.strays(id, leader?.pid);
    if (rest.length > 0 && Date.now() < deadline) {
      // Stragglers from the group were sent SIGTERM too; give them what is left of the grace period.
      await waitUntil(async () => {
        rest = await this.strays(id, leader?.pid);
        return rest.length === 0;
      }, deadline - Date.now());
    }
    const leaderAlive = leader !== null && (await this.isOurs(id, leader));
    if (leaderAlive) ProcessDriver.signal(-leader.pid, 'SIGKILL');
    for (const pid of rest) ProcessDriver.signal(pid, 'SIGKILL');
    if (leaderAlive || rest.length > 0) {
      const gone = await waitUntil(
        async () => !(leader && (await this.isOurs(id, leader))) && (await this.strays(id, leader?.pid)).length === 0,
        KILL_WAIT_MS,
      );
      if (!gone) throw new Error(`Instance ${id}: guest processes survived SIGKILL for ${KILL_WAIT_MS} ms.`);
    }
    const dir = this.instanceDir(id);
    await Promise.all(['pid', 'starttime', 'state'].map((f) => rm(join(dir, f), { force: true })));
  }

  /** Start the guest's process from its spec (the caller checked it is not running). */
  private async start(spec: GuestSpec): Promise<void> {
    const dir = this.instanceDir(spec.id);
    // Leftovers of an earlier boot (children that outlived a guest that died on its own) go first:
    // one guest, one set of processes.
    await this.stop(spec.id, 0);
    const rescue = await this.readRescue(spec.id);
    const command = rescue ? rescue.command : spec.command;
    const [cmd, args] = command ? ['/bin/sh', ['-c', command]] : [process.execPath, [IDLE_SCRIPT]];
    const env = {
      // A standard PATH and our STRATUS_* variables only: guests never inherit the agent's environment (database URLs, secrets).
      PATH: DEFAULT_PATH,
      HOME: dir,
      STRATUS_INSTANCE_ID: spec.id,
      STRATUS_INSTANCE_NAME: String(spec.name ?? '').replace(/\0/g, ''),
      STRATUS_VCPUS: String(spec.vcpus),
      STRATUS_RAM_MB: String(spec.ramMb),
      STRATUS_DISK: join(dir, rescue ? RESCUE_DISK : 'disk'),
      // Rescued: the original disk is kept beside the rescue one, as Nova attaches it second.
      ...(rescue ? { STRATUS_ORIGINAL_DISK: join(dir, 'disk'), STRATUS_RESCUE_IMAGE: rescue.imageId } : {}),
    };
    const log = openSync(join(dir, 'console.log'), 'a');
    let child: ChildProcess;
    try {
      // detached: the guest leads its own process group (and session), so signals reach all of it.
      child = spawn(cmd, args, { detached: true, cwd: dir, env, stdio: ['ignore', log, log] });
    } finally {
      closeSync(log); // the child holds its own copy
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`Instance ${spec.id}: cannot start guest: ${err.message}`)));
    });
    child.on('error', () => undefined); // later errors (e.g. a failed kill) must not crash the agent
    const pid = child.pid!;
    this.children.set(spec.id, child);
    child.once('exit', () => {
      if (this.children.get(spec.id) === child) this.children.delete(spec.id);
    });
    child.unref();
    const st = HAVE_PROC ? await readStat(pid) : null;
    if (st && st.state !== 'Z') await writeAtomic(join(dir, 'starttime'), st.startTime + '\n');
    await writeAtomic(join(dir, 'pid'), `${pid}\n`); // written last: the pid file is the commit point
  }

  /** `path` becomes a symbolic link to a volume's file (replacing whatever was there). */
  private async linkVolume(path: string, target: string): Promise<void> {
    const existing = await lstat(path).catch(() => null);
    if (existing?.isSymbolicLink() && (await readlink(path).catch(() => null)) === target) return;
    if (existing) await rm(path, { force: true });
    await symlink(target, path);
  }

  /** A sparse disk image: ftruncate, no bytes written. Grown when the flavor grew, never shrunk. */
  private async makeDisk(path: string, diskGb: number): Promise<void> {
    const want = Math.max(0, Math.floor(diskGb * GIB));
    const fh = await open(path, 'a');
    try {
      if ((await fh.stat()).size < want) await fh.truncate(want);
    } finally {
      await fh.close();
    }
  }

  private async freeze(id: string, state: PausedState): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      const pid = await this.livePid(id);
      if (pid === null)
        throw new Error(`Instance ${id} is not running; cannot ${state === 'paused' ? 'pause' : 'suspend'} it.`);
      ProcessDriver.signal(-pid, 'SIGSTOP');
      await writeAtomic(join(this.instanceDir(id), 'state'), state + '\n');
      // kill() returns before the group has actually stopped; wait (bounded, best effort) until the
      // leader is no longer running or sleeping ('T'; or 'D' when it waits on a vfork child the
      // SIGSTOP froze before exec).
      if (HAVE_PROC)
        await waitUntil(async () => {
          const s = (await readStat(pid))?.state;
          return s !== 'R' && s !== 'S';
        }, STOP_WAIT_MS);
    });
  }

  private async thaw(id: string, bootIfGone: boolean): Promise<void> {
    await this.exclusive(id, async () => {
      await this.requireGuest(id);
      const pid = await this.livePid(id);
      if (pid === null) {
        if (!bootIfGone) throw new Error(`Instance ${id} is not running; cannot unpause it.`);
        await this.start(await this.readSpec(id));
        return;
      }
      ProcessDriver.signal(-pid, 'SIGCONT');
      await rm(join(this.instanceDir(id), 'state'), { force: true });
    });
  }
}
