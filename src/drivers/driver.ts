/** What a compute node needs to know about a guest to run it. */
export interface GuestSpec {
  id: string;
  name: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
  imageId: string;
  /** The program the guest runs (process driver), from the image property `stratus_command`; absent: the default idle workload. */
  command?: string;
  /** Files to inject (Nova's personality / injected_files): absolute guest paths, base64 contents. */
  personality?: PersonalityFile[];
}

export interface PersonalityFile {
  path: string;
  /** base64 */
  contents: string;
}

/** A network interface of a guest (a Neutron port plugged into it). */
export interface GuestInterface {
  portId: string;
  networkId: string;
  macAddress: string;
  fixedIps: string[];
}

export type GuestPower = 'running' | 'paused' | 'suspended' | 'shutdown' | 'missing';

/**
 * The hypervisor edge (Nova's nova/virt/driver.py). A driver never touches the database or
 * another driver. Every operation is idempotent: destroying a missing guest succeeds.
 */
export interface ComputeDriver {
  readonly name: string;
  spawn(guest: GuestSpec): Promise<void>;
  destroy(id: string): Promise<void>;
  powerOff(id: string): Promise<void>;
  powerOn(id: string): Promise<void>;
  reboot(id: string, hard: boolean): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  suspend(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  power(id: string): Promise<GuestPower>;
  /** Ids of every guest this node holds (for the orphan reaper). */
  listGuests(): Promise<string[]>;
  /** The guest's console log, last `lines` lines when given ('' when there is none). */
  consoleOutput(id: string, lines?: number): Promise<string>;
  /** Hot-plugs an interface (Nova's driver.attach_interface); attaching one already there succeeds. */
  attachInterface(id: string, iface: GuestInterface): Promise<void>;
  /** Unplugs an interface (driver.detach_interface); a missing one succeeds, a missing guest too. */
  detachInterface(id: string, portId: string): Promise<void>;
  /** The interfaces hot-plugged into the guest, as the hypervisor holds them (rejects for a missing guest). */
  interfaces(id: string): Promise<GuestInterface[]>;
  /** The personality files the guest was given, as the hypervisor holds them (rejects for a missing guest). */
  injectedFiles(id: string): Promise<PersonalityFile[]>;
  /**
   * Only for drivers whose guests live inside the agent process (fake): at start, take over
   * the guests the database says this node runs, as a real hypervisor still would.
   */
  adopt?(guests: Array<{ spec: GuestSpec; power: GuestPower }>): Promise<void>;
}
