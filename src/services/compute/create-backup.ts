import { invalid } from '../../domain/errors.js';
import { volumeBackedRoot } from './boot-volumes.js';
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer } from './access.js';
import { recordAction } from './record-action.js';
import { projectLimits } from './quotas.js';
import { serverForCheck } from './server-actions.js';
import { insertSnapshotImage } from './server-image-actions.js';
import type { CreateBackupInput } from './unshelve-backup.schemas.js';
import * as servers from '../../db/repositories/servers.repository.js';
import { iso } from '../../domain/clock.js';
import { refuseGuestCommand } from '../../domain/images.js';
import { LIFECYCLE, checkAction } from '../../domain/lifecycle.js';
import { imageMetadataLimitExceeded, invalidState } from '../../domain/errors.js';

/**
 * POST /servers/{id}/action {"createBackup"} (create_backup.py + API.backup): scope, the
 * os-create-backup rule, the snapshot states (no lock check, as Nova), before 2.39 the
 * metadata quota; then a queued image `image_type: backup` with `backup_type` (over the
 * request's metadata, as Nova's props_copy), task_state image_backup and the agent's backup
 * task, which snapshots and then rotates (src/agent/backup-handlers.ts).
 */
export async function createServerBackup(
  deps: Deps,
  caller: Caller,
  id: string,
  input: CreateBackupInput,
  opts: { checkQuota: boolean },
): Promise<string> {
  const spec = LIFECYCLE.createBackup;
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, spec.rule, { project_id: row.project_id });
  checkAction('createBackup', serverForCheck(row), caller.isAdmin);
  // Nova's API.backup: InvalidRequest for a volume-backed server.
  if (await volumeBackedRoot(deps, row.id)) throw invalid('Backup is not supported for volume-backed instances.');
  refuseGuestCommand(input.metadata, caller.isAdmin);
  if (opts.checkQuota) {
    const limit = (await projectLimits(deps, deps.db, row.project_id)).metadata_items;
    if (limit >= 0 && Object.keys(input.metadata).length > limit) throw imageMetadataLimitExceeded();
  }
  const imageId = deps.ids.uuid();
  const task = await deps.transact(async (tx) => {
    if (
      !(await servers.casUpdateServer(tx, row.id, null, {
        task_state: spec.setsTaskState,
        updated_at: iso(deps.clock.now()),
      }))
    )
      throw invalidState(
        spec.novaAction,
        row.id,
        'task_state',
        (await servers.getServer(tx, row.id))?.task_state ?? null,
      );
    await insertSnapshotImage(deps, tx, row, imageId, input.name, {
      ...input.metadata,
      image_type: 'backup',
      backup_type: input.backupType,
    });
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    return deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host: row.host!,
      payload: {
        actionId,
        requestId: caller.requestId,
        imageId,
        backupType: input.backupType,
        rotation: input.rotation,
      },
    });
  });
  deps.tasks.dispatch([task]);
  return imageId;
}
