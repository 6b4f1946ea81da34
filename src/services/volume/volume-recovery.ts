import type { Deps } from '../context.js';
import * as repo from '../../db/repositories/volumes.repository.js';
import { finishCreate, finishDelete, sourceOf } from './volumes.js';
import { finishSnapshotCreate, finishSnapshotDelete } from './snapshots.js';
import { ensureDefaultType } from './volume-types.js';

/** Start-up of the volume service: the default type, then what a restart left half done. */
export async function startVolumeService(deps: Deps): Promise<void> {
  await ensureDefaultType(deps);
  await recoverVolumes(deps);
}

/**
 * What cinder-volume's init_host does after a restart: a volume left `creating` has its file
 * made again (from its recorded source) and becomes available, one left `deleting` is deleted,
 * `extending` goes back to the status it came from with its old size (`error_extending` if
 * its file is gone); snapshots likewise. Nothing stays in a transient state.
 */
export async function recoverVolumes(deps: Deps): Promise<void> {
  for (const row of await repo.listVolumesInStatus(deps.db, ['creating']))
    await finishCreate(deps, row, sourceOf(deps, row));
  for (const row of await repo.listVolumesInStatus(deps.db, ['deleting'])) await finishDelete(deps, row.id);
  for (const row of await repo.listVolumesInStatus(deps.db, ['extending']))
    await repo.updateVolumeIfStatus(deps.db, row.id, ['extending'], { status: 'error_extending' });
  for (const s of await repo.listSnapshotsInStatus(deps.db, ['creating'])) await finishSnapshotCreate(deps, s);
  for (const s of await repo.listSnapshotsInStatus(deps.db, ['deleting'])) await finishSnapshotDelete(deps, s.id);
}
