/** A delete of a server whose resize or move is under way (docs/delete-server.md B11, B12). */
import type { Caller, Deps } from '../context.js';
import { recordAction } from './record-action.js';
import type * as servers from '../../db/repositories/servers.repository.js';
import * as migrations from '../../db/repositories/migrations.repository.js';
import { iso } from '../../domain/clock.js';
import { LIFECYCLE } from '../../domain/lifecycle.js';
import type { Executor } from '../../db/executor.js';

/**
 * What a delete does with the server's open migration (docs/delete-server.md B11, B12):
 * VERIFY_RESIZE is confirmed first (Nova's _confirm_resize_on_deleting: the source drops the
 * old guest); any other move under way is abandoned (status `error`) and the node that is not
 * the server's host is told to drop whatever guest it holds. Returns the tasks to dispatch.
 */
export async function settleMigrationOnDelete(
  deps: Deps,
  tx: Executor,
  caller: Caller,
  row: servers.ServerRow,
  confirm: boolean,
  otherNodeUp: (host: string) => Promise<boolean>,
) {
  const now = iso(deps.clock.now());
  const mig = await migrations.serverMigrationIn(tx, row.id, migrations.IN_PROGRESS_STATUSES);
  if (!mig) return [];
  const other = [mig.source_compute, mig.dest_compute].find((h) => h && h !== row.host) ?? null;
  if (confirm && (mig.status === 'finished' || mig.status === 'confirming')) {
    await migrations.casMigrationStatus(tx, mig.id, ['finished'], 'confirming', now);
    const actionId = await recordAction(deps, tx, caller, row.id, LIFECYCLE.confirmResize.novaAction);
    if (other && (await otherNodeUp(other)))
      return [
        await deps.tasks.enqueue(tx, {
          kind: LIFECYCLE.confirmResize.task!,
          serverId: row.id,
          host: other,
          payload: { actionId, requestId: caller.requestId, migrationId: mig.id },
        }),
      ];
    // Same node (the terminate drops the one guest) or a source that is down (its reaper does).
    await migrations.casMigrationStatus(tx, mig.id, ['confirming'], 'confirmed', now);
    return [];
  }
  await migrations.failOpenMigrations(tx, row.id, now);
  if (!other || !(await otherNodeUp(other))) return [];
  return [
    await deps.tasks.enqueue(tx, {
      kind: LIFECYCLE.confirmResize.task!,
      serverId: row.id,
      host: other,
      payload: { requestId: caller.requestId, migrationId: mig.id, cleanup: true },
    }),
  ];
}
