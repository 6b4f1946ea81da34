import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { createServerBackup } from './create-backup.js';
import { parseCreateBackup, parseUnshelve } from './unshelve-backup.schemas.js';
import { unshelveServer } from './unshelve.js';

/** {"unshelve": …} (shelve.py _unshelve): the body per microversion, then 202. */
export async function unshelveAction(deps: Deps, request: FastifyRequest, id: string, value: unknown): Promise<void> {
  await unshelveServer(deps, callerOf(request), id, parseUnshelve(request.mv, value));
}

/**
 * {"createBackup": …} (create_backup.py): 202; from 2.45 `{"image_id"}`, before it the image's
 * Location, only when rotation > 0 (Nova: with rotation 0 the new backup is rotated out too).
 * Before 2.39 the metadata counts against the metadata_items quota.
 */
export async function createBackupAction(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  value: unknown,
): Promise<unknown> {
  const input = parseCreateBackup(value);
  const imageId = await createServerBackup(deps, callerOf(request), id, input, {
    checkQuota: !atLeast(request.mv, 39),
  });
  reply.code(202);
  if (atLeast(request.mv, 45)) return { image_id: imageId };
  if (input.rotation > 0)
    reply.header('location', `${request.protocol}://${request.headers.host}/image/v2/images/${imageId}`);
  return reply.send();
}
