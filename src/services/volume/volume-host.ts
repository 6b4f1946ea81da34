/**
 * The volume service as the compute host and compute's own clean-ups call it: the same Cinder
 * steps as volume-api.ts, run with Nova's service credentials (no user, no policy: the user's
 * request was authorized by the API that queued the work), each taking the caller's executor.
 * Every step is idempotent (a task runs again after a crash): a missing attachment is done.
 */
import type { Caller, Deps } from '../context.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/volumes.repository.js';
import { iso } from '../../domain/clock.js';
import type { Clock } from '../../domain/clock.js';
import { connectionInfo } from './attachments.js';
import { finishDelete } from './volumes.js';
import { findVolume } from './volumes.js';

export type HostVolumeDeps = Pick<Deps, 'db' | 'transact' | 'log' | 'clock'> & {
  config: Pick<Deps['config'], 'data'>;
};

/** attachment_update with the host's connector: reserved → attaching; the connection_info (the file). */
export async function hostAttachmentUpdate(
  deps: HostVolumeDeps,
  ex: Executor,
  attachmentId: string,
  connector: Record<string, unknown>,
): Promise<{ devicePath: string } | null> {
  const att = await repo.getAttachment(ex, attachmentId);
  if (!att) return null;
  const vol = await repo.getVolume(ex, att.volume_id, { lock: true });
  if (!vol || vol.status === 'deleting' || vol.status.includes('error')) return null;
  await repo.updateVolumeIfStatus(ex, vol.id, ['reserved'], { status: 'attaching', updated_at: iso(deps.clock.now()) });
  const info = connectionInfo(deps as Deps, vol, att.attach_mode);
  await repo.updateAttachment(ex, att.id, {
    connector: JSON.stringify(connector),
    connection_info: JSON.stringify({ ...info, attachment_id: att.id }),
    attached_host: typeof connector.host === 'string' ? connector.host : null,
    mountpoint: typeof connector.mountpoint === 'string' ? connector.mountpoint : null,
    attach_status: att.attach_status === 'attached' ? 'attached' : 'attaching',
  });
  return { devicePath: info.data.device_path };
}

/** attachment_complete: → in-use, attached. False when the attachment is gone (a delete took it). */
export async function hostAttachmentComplete(deps: { clock: Clock }, ex: Executor, attachmentId: string) {
  const att = await repo.getAttachment(ex, attachmentId);
  if (!att) return false;
  const now = iso(deps.clock.now());
  await repo.updateAttachment(ex, att.id, { attach_status: 'attached', attach_time: att.attach_time ?? now });
  await repo.updateVolumeIfStatus(ex, att.volume_id, ['reserved', 'attaching', 'in-use'], {
    status: 'in-use',
    attach_status: 'attached',
    updated_at: now,
  });
  return true;
}

/**
 * attachment_delete: the attachment goes; the last one leaves the volume available and
 * detached (a `deleting` volume stays deleting). A missing attachment is done already.
 */
export async function hostAttachmentDelete(deps: { clock: Clock }, ex: Executor, attachmentId: string) {
  const att = await repo.getAttachment(ex, attachmentId);
  if (!att) return;
  const vol = await repo.getVolume(ex, att.volume_id, { lock: true });
  await repo.deleteAttachment(ex, att.id);
  if (!vol) return;
  const rest = await repo.listAttachments(ex, { volumeId: vol.id });
  if (rest.some((a) => a.attach_status === 'attached') || ['deleting', 'error_deleting'].includes(vol.status)) return;
  await repo.updateVolume(ex, vol.id, {
    status: rest.length === 0 ? 'available' : 'reserved',
    attach_status: 'detached',
    updated_at: iso(deps.clock.now()),
  });
}

/** roll_detaching: detaching → in-use (a detach that failed on the host). */
export async function hostRollDetaching(deps: { clock: Clock }, ex: Executor, volumeId: string) {
  await repo.updateVolumeIfStatus(ex, volumeId, ['detaching'], { status: 'in-use', updated_at: iso(deps.clock.now()) });
}

/**
 * The delete of a `delete_on_termination` volume once detached (Nova's _cleanup_volumes →
 * volume_api.delete): available → deleting here; the returned work removes the file and the
 * row after the caller's commit (volume recovery finishes a `deleting` one after a crash).
 * A volume that is not deletable (still attached elsewhere, snapshots) is kept, as Nova logs
 * and ignores the failure.
 */
export async function hostDeleteVolume(
  deps: HostVolumeDeps,
  ex: Executor,
  volumeId: string,
  /** The project whose volumes may be deleted (the server's); another project's volume is kept. */
  ownerProject?: string,
): Promise<(() => Promise<void>) | undefined> {
  if (ownerProject !== undefined && (await repo.getVolume(ex, volumeId))?.project_id !== ownerProject) {
    deps.log.warn({ volume: volumeId }, "Ignoring volume cleanup failure: another project's volume");
    return undefined;
  }
  const ok = await repo.updateVolumeIfStatus(
    ex,
    volumeId,
    ['available', 'error'],
    { status: 'deleting', updated_at: iso(deps.clock.now()) },
    { detached: true, noSnapshots: true },
  );
  if (!ok) {
    deps.log.warn({ volume: volumeId }, 'Ignoring volume cleanup failure: volume not deletable');
    return undefined;
  }
  return () => finishDelete(deps, volumeId);
}

/**
 * begin_detaching inside the caller's transaction (the API's detach): in-use and attached →
 * detaching. Refused as Nova sees Cinder's 400 (InvalidInput wrapping Cinder's InvalidVolume).
 */
export async function beginDetachingIn(
  deps: { clock: Clock },
  ex: Executor,
  caller: Caller,
  volumeId: string,
): Promise<boolean> {
  const vol = await findVolume(ex, caller, volumeId, { lock: true });
  if (vol.attach_status !== 'attached') return false;
  return repo.updateVolumeIfStatus(ex, vol.id, ['in-use'], { status: 'detaching', updated_at: iso(deps.clock.now()) });
}
