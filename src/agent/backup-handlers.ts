import type { TaskRow } from '../tasks/queue.js';
import * as servers from '../db/repositories/servers.repository.js';
import * as catalog from '../db/repositories/catalog.repository.js';
import type { ComputeDriver } from '../drivers/driver.js';
import { iso } from '../domain/clock.js';
import { lifecycleOfTask } from '../domain/lifecycle.js';
import type { TaskState } from '../domain/states.js';
import { discardImage, saveImageData } from '../services/image/image-store.js';
import { runAsInstanceEvent } from './instance-event.js';
import type { AgentDeps } from './agent-deps.js';

type ServerRow = servers.ServerRow;
/** task-handlers.ts' TaskHandler and the part of its HandlerContext used here (no import cycle). */
type Handler = (task: TaskRow, row: ServerRow) => Promise<boolean>;
interface Context {
  deps: AgentDeps;
  host: string;
  driverFor(operation: string): ComputeDriver;
}

export interface BackupPayload {
  imageId: string;
  backupType: string;
  rotation: number;
}

/**
 * Nova's backup_instance (nova/compute/manager.py): the snapshot of the guest into the queued
 * image (IMAGE_BACKUP → IMAGE_PENDING_UPLOAD → IMAGE_UPLOADING), then _rotate_backups: of the
 * server's backups of that type, newest first, those beyond `rotation` are deleted (rotation 0
 * deletes them all, the new one included, as Nova does).
 */
export function makeBackupHandlers(ctx: Context): Record<'backup', Handler> {
  const { deps, host } = ctx;
  const now = () => iso(deps.clock.now());
  const store = { db: deps.db, clock: deps.clock, dataDir: deps.config.data };
  const spec = lifecycleOfTask('backup');
  const step = (id: string, from: TaskState, to: TaskState) =>
    deps.transact((tx) => servers.casUpdateServer(tx, id, from, { task_state: to, updated_at: now() }));

  const rotate = async (row: ServerRow, p: BackupPayload) => {
    const mine = (await catalog.listImages(deps.db, row.project_id)).filter((img) => {
      const props = JSON.parse(img.properties) as Record<string, unknown>;
      return props.instance_uuid === row.id && props.image_type === 'backup' && props.backup_type === p.backupType;
    });
    // Newest first; the backup just made counts as the newest (a clock that did not move ties).
    const ordered = [...mine.filter((i) => i.id === p.imageId), ...mine.filter((i) => i.id !== p.imageId)];
    for (const old of ordered.slice(p.rotation)) {
      deps.log.info({ server: row.id, image: old.id, backup_type: p.backupType }, 'rotating out a backup');
      await discardImage(store, old.id);
    }
  };

  return {
    async backup(task, row) {
      if (row.task_state === null || !spec.runsWhile.includes(row.task_state)) return false;
      const p = JSON.parse(task.payload) as BackupPayload;
      let superseded = false;
      const finished = await runAsInstanceEvent(
        deps,
        host,
        task,
        spec.completion!.event,
        row,
        async () => {
          let state = row.task_state as TaskState;
          if (state === 'image_backup') {
            if (!(await step(row.id, 'image_backup', 'image_pending_upload'))) {
              superseded = true;
              return;
            }
            state = 'image_pending_upload';
          }
          const data = await ctx.driverFor('backup').snapshot(row.id);
          if (state === 'image_pending_upload' && !(await step(row.id, 'image_pending_upload', 'image_uploading'))) {
            superseded = true;
            return;
          }
          await saveImageData(store, p.imageId, data);
          return async (tx) => {
            superseded = !(await servers.casUpdateServer(tx, row.id, 'image_uploading', {
              task_state: null,
              updated_at: now(),
            }));
          };
        },
        // Nova: a failed snapshot deletes the image and reverts the task state.
        async (tx, err) => {
          await servers.casUpdateServer(tx, row.id, undefined, { task_state: null, updated_at: now() });
          await catalog.deleteImage(tx, p.imageId);
          deps.log.warn({ server: row.id, image: p.imageId, err: err.message }, 'backup failed');
        },
      );
      // Deleted while backing up: the image it was making goes (as snapshot).
      if (superseded) await discardImage(store, p.imageId);
      else if (finished && (await catalog.getImage(deps.db, p.imageId))?.status === 'active') await rotate(row, p);
      return finished;
    },
  };
}
