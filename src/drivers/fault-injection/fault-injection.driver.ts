import type { Clock } from '../../domain/clock.js';
import type {
  ComputeDriver,
  GuestDiagnostics,
  GuestInterface,
  GuestVolume,
  GuestPower,
  GuestSpec,
  SpawnOptions,
  RescueSpec,
} from '../driver.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** A fault injected through the control API, as the decorator needs it. */
export interface InjectedFault {
  id: string;
  mode: string;
  delay_ms: number;
}

/** Where the decorator learns about injected faults (the agent reads them from the database). */
export interface FaultSource {
  /** Whether any fault is injected on this node (false: no lookup per call). */
  readonly present: boolean;
  /** The fault for `operation` on `serverId`, consuming one use of a counted one. */
  take(operation: string, serverId: string): Promise<InjectedFault | undefined>;
  /** Whether a fault still exists (a hang ends when it is cleared). */
  exists(id: string): Promise<boolean>;
}

/** A failure injected through the control API (it reads like a hypervisor error). */
export class InjectedFailure extends Error {}

/** How often a hang looks whether its fault was cleared, and a delay whether its time has come. */
const RECHECK_MS = 100;

/**
 * A driver decorator for one operation of the agent (a task kind, or `spawn` / `destroy`):
 * before its first call to the real driver it consults the injected faults for that
 * operation, then fails, waits or hangs as told. Time is the injected clock's.
 */
export class FaultInjectingDriver implements ComputeDriver {
  readonly name: string;
  private armed = true;

  constructor(
    private readonly inner: ComputeDriver,
    private readonly faults: FaultSource,
    private readonly clock: Clock,
    private readonly operation: string,
    private readonly host: string,
    private readonly taskLeaseMs: number,
  ) {
    this.name = inner.name;
    // Only a driver that can set passwords gets the operation (else the agent answers Nova's 409).
    if (inner.setAdminPassword) {
      this.setAdminPassword = async (id: string, password: string) => {
        await this.inject(id);
        return inner.setAdminPassword!(id, password);
      };
    }
  }

  setAdminPassword?: (id: string, password: string) => Promise<void>;

  private async inject(serverId: string): Promise<void> {
    if (!this.armed) return;
    this.armed = false;
    if (!this.faults.present) return;
    const f = await this.faults.take(this.operation, serverId);
    if (!f) return;
    if (f.mode === 'fail') throw new InjectedFailure(`Injected fault: ${this.operation} failed on ${this.host}`);
    if (f.mode === 'delay') {
      await this.until(this.clock.now().getTime() + f.delay_ms, async () => false);
      return;
    }
    if (f.mode === 'hang') {
      // A wedged hypervisor call: waits until the fault is cleared, bounded by delay_ms (or the task lease).
      const bound = this.clock.now().getTime() + (f.delay_ms > 0 ? f.delay_ms : this.taskLeaseMs);
      await this.until(bound, async () => !(await this.faults.exists(f.id)));
    }
  }

  /** Waits until the clock reaches `deadline` or `done()` says so, looking every RECHECK_MS. */
  private async until(deadline: number, done: () => Promise<boolean>): Promise<void> {
    for (;;) {
      const left = deadline - this.clock.now().getTime();
      if (left <= 0 || (await done())) return;
      await sleep(Math.min(left, RECHECK_MS));
    }
  }

  async spawn(guest: GuestSpec, opts?: SpawnOptions): Promise<void> {
    await this.inject(guest.id);
    return this.inner.spawn(guest, opts);
  }
  async destroy(id: string): Promise<void> {
    await this.inject(id);
    return this.inner.destroy(id);
  }
  async powerOff(id: string): Promise<void> {
    await this.inject(id);
    return this.inner.powerOff(id);
  }
  async powerOn(id: string): Promise<void> {
    await this.inject(id);
    return this.inner.powerOn(id);
  }
  async reboot(id: string, hard: boolean): Promise<void> {
    await this.inject(id);
    return this.inner.reboot(id, hard);
  }
  async pause(id: string): Promise<void> {
    await this.inject(id);
    return this.inner.pause(id);
  }
  async unpause(id: string): Promise<void> {
    await this.inject(id);
    return this.inner.unpause(id);
  }
  async suspend(id: string): Promise<void> {
    await this.inject(id);
    return this.inner.suspend(id);
  }
  async resume(id: string): Promise<void> {
    await this.inject(id);
    return this.inner.resume(id);
  }
  async power(id: string): Promise<GuestPower> {
    await this.inject(id);
    return this.inner.power(id);
  }
  async consoleOutput(id: string): Promise<string> {
    await this.inject(id);
    return this.inner.consoleOutput(id);
  }
  async rescue(id: string, rescue: RescueSpec): Promise<void> {
    await this.inject(id);
    return this.inner.rescue(id, rescue);
  }
  async unrescue(id: string): Promise<void> {
    await this.inject(id);
    return this.inner.unrescue(id);
  }
  async diagnostics(id: string): Promise<GuestDiagnostics> {
    await this.inject(id);
    return this.inner.diagnostics(id);
  }
  async snapshot(id: string): Promise<AsyncIterable<Uint8Array>> {
    await this.inject(id);
    return this.inner.snapshot(id);
  }
  async attachInterface(id: string, iface: GuestInterface): Promise<void> {
    await this.inject(id);
    return this.inner.attachInterface(id, iface);
  }
  async detachInterface(id: string, portId: string): Promise<void> {
    await this.inject(id);
    return this.inner.detachInterface(id, portId);
  }
  interfaces(id: string) {
    return this.inner.interfaces(id);
  }
  async attachVolume(id: string, volume: GuestVolume): Promise<void> {
    await this.inject(id);
    return this.inner.attachVolume(id, volume);
  }
  async detachVolume(id: string, volumeId: string): Promise<void> {
    await this.inject(id);
    return this.inner.detachVolume(id, volumeId);
  }
  volumes(id: string) {
    return this.inner.volumes(id);
  }
  injectedFiles(id: string) {
    return this.inner.injectedFiles(id);
  }
  listGuests(): Promise<string[]> {
    return this.inner.listGuests();
  }
}
