/**
 * The volume service as compute calls it: Nova's nova/volume/cinder.py API, in-process. Every
 * function takes the caller's executor, so compute runs it inside its own transaction; work on
 * files that must follow the commit comes back as an `afterCommit` function the caller passes
 * to `scheduleAfterCommit` once its transaction committed.
 */
import type { Caller, Deps } from '../context.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/volumes.repository.js';
import { type CreateVolumeInput, createVolumeIn, deleteVolumeIn, findVolume, type VolumeView } from './volumes.js';
import {
  attachmentCompleteIn,
  attachmentCreateIn,
  attachmentDeleteIn,
  attachmentUpdateIn,
  legacyAction,
} from './attachments.js';
import { type AfterCommit, schedule } from './volume-work.js';

export type { AfterCommit } from './volume-work.js';
export type { VolumeView } from './volumes.js';

/** Runs the file work a create or delete returned, after the caller's commit. */
export function scheduleAfterCommit(deps: Deps, work: AfterCommit | undefined): void {
  schedule(deps, work);
}

/** cinder.API.get: the volume (404 VolumeNotFound outside the caller's scope). No status change. */
export async function get(deps: Deps, ex: Executor, caller: Caller, id: string): Promise<VolumeView> {
  const row = await findVolume(ex, caller, id);
  return {
    row,
    type: await repo.getVolumeType(ex, row.volume_type_id),
    attachments: await repo.listAttachments(ex, { volumeId: row.id }),
  };
}

/**
 * cinder.API.create (boot from volume: `imageRef` gives an image-backed, bootable volume): the
 * row is inserted `creating`; `afterCommit` writes the file and makes it `available` (`error`).
 */
export async function create(
  deps: Deps,
  ex: Executor,
  caller: Caller,
  input: Partial<CreateVolumeInput> & { size: number },
): Promise<{ volume: VolumeView; afterCommit: AfterCommit }> {
  return createVolumeIn(deps, ex, caller, {
    name: input.name ?? null,
    description: input.description ?? null,
    metadata: input.metadata ?? {},
    volumeType: input.volumeType ?? null,
    availabilityZone: input.availabilityZone ?? null,
    snapshotId: input.snapshotId ?? null,
    sourceVolid: input.sourceVolid ?? null,
    imageRef: input.imageRef ?? null,
    size: input.size,
  });
}

/**
 * cinder.API.delete: deletable status (available, error…), detached and without snapshots →
 * `deleting`; `afterCommit` removes the file and the row (400 InvalidVolume otherwise).
 */
export async function remove(deps: Deps, ex: Executor, caller: Caller, id: string): Promise<AfterCommit> {
  return deleteVolumeIn(deps, ex, caller, id);
}

/** cinder.API.attachment_create: available → reserved (a connector: → attaching). One of two concurrent creates wins. */
export async function attachmentCreate(
  deps: Deps,
  ex: Executor,
  caller: Caller,
  volumeId: string,
  instanceUuid: string,
  connector?: Record<string, unknown> | null,
  mode: 'rw' | 'ro' = 'rw',
): Promise<repo.AttachmentRow> {
  return attachmentCreateIn(deps, ex, caller, { volumeId, instanceUuid, connector, mode });
}

/** cinder.API.attachment_update: reserved → attaching; the attachment's connection_info (the file). */
export async function attachmentUpdate(
  deps: Deps,
  ex: Executor,
  caller: Caller,
  attachmentId: string,
  connector: Record<string, unknown>,
): Promise<{ attachment: repo.AttachmentRow; connectionInfo: unknown }> {
  const attachment = await attachmentUpdateIn(deps, ex, caller, attachmentId, connector);
  return { attachment, connectionInfo: JSON.parse(attachment.connection_info ?? 'null') };
}

/** cinder.API.attachment_complete: → in-use, attach_status attached. */
export async function attachmentComplete(deps: Deps, ex: Executor, caller: Caller, attachmentId: string) {
  await attachmentCompleteIn(deps, ex, caller, attachmentId);
}

/** cinder.API.attachment_delete: the attachment goes; the last one leaves the volume available, detached. */
export async function attachmentDelete(deps: Deps, ex: Executor, caller: Caller, attachmentId: string) {
  await attachmentDeleteIn(deps, ex, caller, attachmentId);
}

/**
 * The legacy detach steps (cinder.API.begin_detaching / roll_detaching / reserve_volume):
 * in-use → detaching, detaching → in-use, available → attaching. These open their own
 * transaction (the legacy API's), so call them outside compute's.
 */
export const beginDetaching = (deps: Deps, caller: Caller, id: string) =>
  legacyAction(deps, caller, id, 'os-begin_detaching', {});
export const rollDetaching = (deps: Deps, caller: Caller, id: string) =>
  legacyAction(deps, caller, id, 'os-roll_detaching', {});
export const reserveVolume = (deps: Deps, caller: Caller, id: string) =>
  legacyAction(deps, caller, id, 'os-reserve', {});
