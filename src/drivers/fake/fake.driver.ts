import type {
  ComputeDriver,
  GuestDiagnostics,
  GuestInterface,
  GuestVolume,
  GuestPower,
  GuestSpec,
  PersonalityFile,
  RescueSpec,
  SpawnOptions,
} from '../driver.js';

/** An in-memory hypervisor: guests are map entries. Fast, deterministic, for tests and demos. */
export class FakeDriver implements ComputeDriver {
  readonly name = 'fake';
  private guests = new Map<
    string,
    {
      spec: GuestSpec;
      power: GuestPower;
      rescue?: RescueSpec;
      password?: string;
      interfaces?: GuestInterface[];
      volumes?: GuestVolume[];
    }
  >();
  /** How many times destroy removed a guest (tests assert "destroyed once"). */
  destroyedCount = new Map<string, number>();
  /** The disks of guests spawned from a snapshot's data (others have none: their snapshot is a line of text). */
  private disks = new Map<string, Buffer>();
  /** Each guest's console: a boot log that grows as a real one does (clients tail it). */
  private consoles = new Map<string, string[]>();

  private log(id: string, ...lines: string[]): void {
    const log = this.consoles.get(id) ?? [];
    log.push(...lines);
    this.consoles.set(id, log.slice(-500));
  }
  private boot(spec: GuestSpec): void {
    this.log(
      spec.id,
      '[    0.000000] Linux version 6.1.0-stratus-fake (fake hypervisor)',
      `[    0.000000] Command line: console=ttyS0 instance=${spec.id}`,
      `[    0.100000] Memory: ${spec.ramMb}MB, CPUs: ${spec.vcpus}`,
      `[    1.000000] Booting ${spec.name} from image ${spec.imageId}`,
      `${spec.name} login:`,
    );
  }

  async spawn(guest: GuestSpec, opts?: SpawnOptions): Promise<void> {
    // As the process driver: a guest that is not running boots from the spec it is given (a resize records its new flavor).
    const g = this.guests.get(guest.id);
    if (!g || g.power === 'shutdown') {
      // A new guest from a snapshot keeps the snapshot's bytes as its disk (a later snapshot returns them).
      if (!g && opts?.disk) {
        const chunks: Uint8Array[] = [];
        for await (const c of opts.disk) chunks.push(c);
        this.disks.set(guest.id, Buffer.concat(chunks));
      }
      this.guests.set(guest.id, { spec: guest, power: 'running' });
      this.boot(guest);
    }
  }
  async destroy(id: string): Promise<void> {
    this.consoles.delete(id);
    this.disks.delete(id);
    if (this.guests.delete(id)) this.destroyedCount.set(id, (this.destroyedCount.get(id) ?? 0) + 1);
  }
  private set(id: string, power: GuestPower): void {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    g.power = power;
  }
  async powerOff(id: string) {
    this.set(id, 'shutdown');
    this.log(id, 'reboot: Power down');
  }
  async powerOn(id: string) {
    this.set(id, 'running');
    this.boot(this.guests.get(id)!.spec);
  }
  async reboot(id: string) {
    this.set(id, 'running');
    this.log(id, 'reboot: Restarting system');
    this.boot(this.guests.get(id)!.spec);
  }
  async pause(id: string) {
    this.set(id, 'paused');
  }
  async unpause(id: string) {
    this.set(id, 'running');
  }
  async suspend(id: string) {
    this.set(id, 'suspended');
  }
  async resume(id: string) {
    this.set(id, 'running');
  }
  async power(id: string): Promise<GuestPower> {
    return this.guests.get(id)?.power ?? 'missing';
  }
  /** The spec a guest runs with (tests: the flavor a resize gave it). */
  specOf(id: string): GuestSpec | undefined {
    return this.guests.get(id)?.spec;
  }
  async listGuests(): Promise<string[]> {
    return [...this.guests.keys()];
  }
  async adopt(guests: Array<{ spec: GuestSpec; power: GuestPower }>): Promise<void> {
    for (const g of guests)
      if (!this.guests.has(g.spec.id)) {
        this.guests.set(g.spec.id, { spec: g.spec, power: g.power });
        if (g.power === 'running') this.boot(g.spec);
      }
  }
  /** The fake keeps the files in the spec it holds. */
  async injectedFiles(id: string): Promise<PersonalityFile[]> {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    return (g.spec.personality ?? []).map((f) => ({ path: f.path, contents: f.contents }));
  }
  /** The fake's disk: a line naming the guest and its image, so a snapshot's data can be checked. */
  async snapshot(id: string): Promise<AsyncIterable<Uint8Array>> {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    const data = this.disks.get(id) ?? Buffer.from(`fake disk of ${g.spec.id} from image ${g.spec.imageId}\n`);
    return (async function* () {
      yield data;
    })();
  }
  async consoleOutput(id: string): Promise<string> {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    const log = this.consoles.get(id) ?? [];
    return log.length ? `${log.join('\n')}\n` : '';
  }
  async rescue(id: string, rescue: RescueSpec): Promise<void> {
    const g = this.require(id);
    g.rescue = rescue;
    g.power = 'running';
  }
  async unrescue(id: string): Promise<void> {
    const g = this.require(id);
    g.rescue = undefined;
    g.power = 'running';
  }
  /** The image a guest runs: its rescue image while rescued (tests look). */
  rescueOf(id: string): RescueSpec | undefined {
    return this.guests.get(id)?.rescue;
  }
  async setAdminPassword(id: string, password: string): Promise<void> {
    this.require(id).password = password;
  }
  /** The password the guest was last given (tests look). */
  passwordOf(id: string): string | undefined {
    return this.guests.get(id)?.password;
  }
  /** Fixed, plausible values (as Nova's fake driver). */
  async diagnostics(id: string): Promise<GuestDiagnostics> {
    const g = this.require(id);
    const state = { running: 'running', paused: 'paused', suspended: 'suspended', shutdown: 'shutdown' }[
      g.power as 'running'
    ];
    return {
      state: state ?? 'pending',
      driver: 'libvirt',
      hypervisor: 'fake',
      hypervisorOs: 'linux',
      uptime: 46664,
      configDrive: false,
      numCpus: g.spec.vcpus,
      cpuDetails: Array.from({ length: g.spec.vcpus }, (_, i) => ({ id: i, time: 17300000000, utilisation: 15 })),
      diskDetails: [{ readBytes: 262144, readRequests: 112, writeBytes: 5778432, writeRequests: 488, errorsCount: 1 }],
      memoryDetails: { maximum: g.spec.ramMb, used: Math.floor(g.spec.ramMb / 2) },
    };
  }
  private require(id: string) {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    return g;
  }
  async attachInterface(id: string, iface: GuestInterface): Promise<void> {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    g.interfaces = [...(g.interfaces ?? []).filter((i) => i.portId !== iface.portId), { ...iface }];
  }
  async detachInterface(id: string, portId: string): Promise<void> {
    const g = this.guests.get(id);
    if (g) g.interfaces = (g.interfaces ?? []).filter((i) => i.portId !== portId);
  }
  async interfaces(id: string): Promise<GuestInterface[]> {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    return (g.interfaces ?? []).map((i) => ({ ...i }));
  }
  async attachVolume(id: string, volume: GuestVolume): Promise<void> {
    const g = this.require(id);
    g.volumes = [...(g.volumes ?? []).filter((v) => v.volumeId !== volume.volumeId), { ...volume }];
  }
  async detachVolume(id: string, volumeId: string): Promise<void> {
    const g = this.guests.get(id);
    if (g) g.volumes = (g.volumes ?? []).filter((v) => v.volumeId !== volumeId);
  }
  async volumes(id: string): Promise<GuestVolume[]> {
    return (this.require(id).volumes ?? []).map((v) => ({ ...v }));
  }
}
