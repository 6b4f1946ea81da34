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
  /** The server's volumes (boot from volume): the one at boot index 0 is the root disk. */
  blockDevices?: GuestBlockDevice[];
}

/** A volume given to a guest: Cinder's connection_info `device_path` (a local file), as Nova's DriverVolumeBlockDevice. */
export interface GuestBlockDevice {
  volumeId: string;
  devicePath: string;
  /** 0: the root disk; null or negative: a data disk. */
  bootIndex: number | null;
  deviceName: string;
}

/** How a spawn builds the guest's disk: from a snapshot's data (unshelve of an offloaded server), else fresh. */
export interface SpawnOptions {
  disk?: AsyncIterable<Uint8Array>;
}

export interface PersonalityFile {
  path: string;
  /** base64 */
  contents: string;
}

/** A volume connected to a guest: Cinder's connection_info reduced to the local file. */
export interface GuestVolume {
  volumeId: string;
  /** connection_info.data.device_path: the volume's file. */
  devicePath: string;
  /** The device name the guest sees it as (/dev/vdb…), when known. */
  device: string | null;
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
  spawn(guest: GuestSpec, opts?: SpawnOptions): Promise<void>;
  destroy(id: string): Promise<void>;
  powerOff(id: string): Promise<void>;
  powerOn(id: string): Promise<void>;
  reboot(id: string, hard: boolean): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  suspend(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  power(id: string): Promise<GuestPower>;
  /**
   * The guest's disk as it is now, for a snapshot (Nova's driver.snapshot): the process
   * driver's disk file, the fake's few bytes. Rejects for a missing guest.
   */
  snapshot(id: string): Promise<AsyncIterable<Uint8Array>>;
  /** Ids of every guest this node holds (for the orphan reaper). */
  listGuests(): Promise<string[]>;
  /** The guest's console log, or its recent end when long ('' when there is none); the agent tails it as Nova does. */
  consoleOutput(id: string): Promise<string>;
  /** Hot-plugs an interface (Nova's driver.attach_interface); attaching one already there succeeds. */
  attachInterface(id: string, iface: GuestInterface): Promise<void>;
  /** Unplugs an interface (driver.detach_interface); a missing one succeeds, a missing guest too. */
  detachInterface(id: string, portId: string): Promise<void>;
  /** The interfaces hot-plugged into the guest, as the hypervisor holds them (rejects for a missing guest). */
  interfaces(id: string): Promise<GuestInterface[]>;
  /** Connects a volume (Nova's driver.attach_volume with the connection_info's device_path); again succeeds. */
  attachVolume(id: string, volume: GuestVolume): Promise<void>;
  /** Disconnects a volume (driver.detach_volume); a missing one succeeds, a missing guest too. */
  detachVolume(id: string, volumeId: string): Promise<void>;
  /** The volumes connected to the guest (rejects for a missing guest). */
  volumes(id: string): Promise<GuestVolume[]>;
  /** The personality files the guest was given, as the hypervisor holds them (rejects for a missing guest). */
  injectedFiles(id: string): Promise<PersonalityFile[]>;
  /**
   * Only for drivers whose guests live inside the agent process (fake): at start, take over
   * the guests the database says this node runs, as a real hypervisor still would.
   */
  /**
   * Nova's rescue: the guest restarts running `rescue`'s image (its command) with its own disk
   * kept beside it; `unrescue` boots the original again. Both idempotent.
   */
  rescue(id: string, rescue: RescueSpec): Promise<void>;
  unrescue(id: string): Promise<void>;
  /**
   * Sets the guest's administrator password; absent on a driver that cannot (Nova's
   * SetAdminPasswdNotSupported).
   */
  setAdminPassword?(id: string, password: string): Promise<void>;
  /** Nova's get_instance_diagnostics: what the hypervisor measures of a guest (rejects for a missing guest). */
  diagnostics(id: string): Promise<GuestDiagnostics>;
  adopt?(guests: Array<{ spec: GuestSpec; power: GuestPower }>): Promise<void>;
}

/** The image a rescue boots instead of the guest's own (Nova: rescue_image_ref, else the server's image). */
export interface RescueSpec {
  imageId: string;
  /** The rescue image's `stratus_command`; absent: the default idle workload. */
  command?: string;
}

/** Nova's Diagnostics object (the 2.48 format), as one hypervisor reports it. */
export interface GuestDiagnostics {
  /** power_state.STATE_MAP: pending, running, paused, shutdown, crashed, suspended. */
  state: string;
  /** Nova's Diagnostics.driver only admits its own drivers' names (its fake driver says 'libvirt'). */
  driver: string;
  hypervisor: string | null;
  hypervisorOs: string | null;
  /** Seconds since the guest started. */
  uptime: number | null;
  configDrive: boolean;
  numCpus: number;
  /** One entry per vCPU; `time` in nanoseconds. */
  cpuDetails: Array<{ id: number | null; time: number | null; utilisation: number | null }>;
  diskDetails: DiskDiagnostics[];
  /** MiB. */
  memoryDetails: { maximum: number | null; used: number | null };
}

export interface DiskDiagnostics {
  readBytes: number | null;
  readRequests: number | null;
  writeBytes: number | null;
  writeRequests: number | null;
  errorsCount: number | null;
}
