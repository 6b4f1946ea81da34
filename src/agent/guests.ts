import type { Executor } from '../db/executor.js';
import type { ServerRow } from '../db/repositories/servers.repository.js';
import * as servers from '../db/repositories/servers.repository.js';
import { getImage, imageProperties } from '../db/repositories/catalog.repository.js';
import type { ComputeDriver, GuestPower, GuestSpec } from '../drivers/driver.js';
import { PowerState } from '../domain/states.js';
import { attachedBlockDevices } from './boot-volume-handlers.js';

/** What the driver needs to run a server: its flavor, and the command the image names (property `stratus_command`). */
export async function guestSpec(ex: Executor, row: ServerRow): Promise<GuestSpec> {
  const image = await getImage(ex, row.image_id);
  const spec = specOf(row, image ? commandOf(image.properties) : undefined);
  // Boot from volume: the attached volumes go with every spawn (the root one is the disk).
  const blockDevices = await attachedBlockDevices(ex, row.id);
  return blockDevices.length ? { ...spec, blockDevices } : spec;
}

/** Hands an in-process driver (fake) the guests this node runs according to the database. */
export async function adoptGuests(ex: Executor, driver: ComputeDriver, host: string): Promise<void> {
  const rows = await servers.liveServersOnHost(ex, host);
  const power = (r: ServerRow): GuestPower =>
    r.power_state === PowerState.RUNNING
      ? 'running'
      : r.power_state === PowerState.PAUSED
        ? 'paused'
        : r.power_state === PowerState.SUSPENDED
          ? 'suspended'
          : 'shutdown';
  const props = await imageProperties(ex);
  await driver.adopt?.(
    rows.map((r) => ({ spec: specOf(r, commandOf(props.get(r.image_id) ?? '{}')), power: power(r) })),
  );
}

function commandOf(properties: string): string | undefined {
  const c = (JSON.parse(properties) as Record<string, unknown>).stratus_command;
  return typeof c === 'string' ? c : undefined;
}

function specOf(row: ServerRow, command: string | undefined): GuestSpec {
  const flavor = JSON.parse(row.flavor) as { vcpus?: number; ram?: number; disk?: number };
  return {
    id: row.id,
    name: row.name,
    vcpus: flavor.vcpus ?? 1,
    ramMb: flavor.ram ?? 0,
    diskGb: flavor.disk ?? 0,
    imageId: row.image_id,
    command,
    personality: JSON.parse(row.personality ?? '[]') as GuestSpec['personality'],
  };
}
