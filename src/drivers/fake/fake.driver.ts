import type { ComputeDriver, GuestInterface, GuestPower, GuestSpec, PersonalityFile } from '../driver.js';

/** An in-memory hypervisor: guests are map entries. Fast, deterministic, for tests and demos. */
export class FakeDriver implements ComputeDriver {
  readonly name = 'fake';
  private guests = new Map<string, { spec: GuestSpec; power: GuestPower; interfaces?: GuestInterface[] }>();
  /** How many times destroy removed a guest (tests assert "destroyed once"). */
  destroyedCount = new Map<string, number>();

  async spawn(guest: GuestSpec): Promise<void> {
    if (!this.guests.has(guest.id)) this.guests.set(guest.id, { spec: guest, power: 'running' });
  }
  async destroy(id: string): Promise<void> {
    if (this.guests.delete(id)) this.destroyedCount.set(id, (this.destroyedCount.get(id) ?? 0) + 1);
  }
  private set(id: string, power: GuestPower): void {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    g.power = power;
  }
  async powerOff(id: string) {
    this.set(id, 'shutdown');
  }
  async powerOn(id: string) {
    this.set(id, 'running');
  }
  async reboot(id: string) {
    this.set(id, 'running');
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
  async listGuests(): Promise<string[]> {
    return [...this.guests.keys()];
  }
  async adopt(guests: Array<{ spec: GuestSpec; power: GuestPower }>): Promise<void> {
    for (const g of guests)
      if (!this.guests.has(g.spec.id)) this.guests.set(g.spec.id, { spec: g.spec, power: g.power });
  }
  /** The fake keeps the files in the spec it holds. */
  async injectedFiles(id: string): Promise<PersonalityFile[]> {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    return (g.spec.personality ?? []).map((f) => ({ path: f.path, contents: f.contents }));
  }
  async consoleOutput(id: string): Promise<string> {
    const g = this.guests.get(id);
    if (!g) throw new Error(`Instance ${id} could not be found on this hypervisor.`);
    return `fake console of ${g.spec.name}\n`;
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
}
