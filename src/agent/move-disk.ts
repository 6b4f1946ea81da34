import type { ComputeDriver, SpawnOptions } from '../drivers/driver.js';
import { openImageFile, removeImageFile, writeImageFile } from '../services/image/image-store.js';

/**
 * A guest's disk on its way from one node to another (Nova copies it over SSH when the
 * instance store is not shared): the source writes the disk into the image store as
 * `move-<migration uuid>` (no catalog row: a name no image id can take), the target spawns from
 * it and removes it. The image store is the data directory every node shares (as snapshots
 * need); a target that cannot find the file starts a fresh disk and says so.
 */
const fileId = (migrationUuid: string) => `move-${migrationUuid}`;

export async function sendDisk(dataDir: string, driver: ComputeDriver, serverId: string, migrationUuid: string) {
  await writeImageFile(dataDir, fileId(migrationUuid), await driver.snapshot(serverId));
}

/** The spawn options of a moved guest (its disk, when the source sent it), and the clean-up to run after. */
export async function receiveDisk(
  dataDir: string,
  migrationUuid: string,
  warn: (msg: string) => void,
): Promise<{ opts: SpawnOptions | undefined; done: () => Promise<void> }> {
  const file = await openImageFile(dataDir, fileId(migrationUuid));
  if (!file) warn(`no disk arrived for migration ${migrationUuid}: the guest starts with a fresh disk`);
  return {
    opts: file ? { disk: file.stream } : undefined,
    done: () => removeImageFile(dataDir, fileId(migrationUuid)),
  };
}
