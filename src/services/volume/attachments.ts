import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/volumes.repository.js';
import { iso } from '../../domain/clock.js';
import { attachmentNotFound, invalidVolume, resourceConflict, volumeBadRequest } from '../../domain/volume-errors.js';
import { findVolume } from './volumes.js';
import { volumePath } from './volume-files.js';

export type { AttachmentRow } from '../../db/repositories/volumes.repository.js';

/**
 * The attachments API (3.27+, cinder/volume/api.py attachment_*), what Nova uses:
 *   create   available → reserved (attachment `reserved`; with a connector: `attaching`)
 *   update   reserved → attaching, the attachment gets its connection_info
 *   complete attaching/reserved → in-use, attach_status attached
 *   delete   the attachment goes; the volume is available (detached) when it was the last
 * Every status change is a compare-and-set, so two creates for one volume: exactly one wins.
 */

async function findAttachment(ex: Executor, caller: Caller, id: string): Promise<repo.AttachmentRow> {
  const uuid = canonicalUuid(id);
  const row = uuid ? await repo.getAttachment(ex, uuid) : undefined;
  if (!row || (row.project_id !== caller.projectId && !caller.isAdmin)) throw attachmentNotFound(id);
  return row;
}

/** What the host connects with: the volume's file (os-brick's `local` connector reads device_path). */
export function connectionInfo(deps: Deps, volume: repo.VolumeRow, mode: string) {
  return {
    driver_volume_type: 'local',
    data: {
      device_path: volumePath(deps.config.data, volume.id),
      volume_id: volume.id,
      access_mode: mode === 'ro' || volume.readonly === 1 ? 'ro' : 'rw',
      encrypted: false,
      discard: false,
    },
  };
}

export async function attachmentCreateIn(
  deps: Deps,
  ex: Executor,
  caller: Caller,
  input: { volumeId: string; instanceUuid: string | null; connector?: Record<string, unknown> | null; mode?: string },
): Promise<repo.AttachmentRow> {
  const vol = await findVolume(ex, caller, input.volumeId, { lock: true });
  authorize(deps, caller, 'volume:attachment_create', { project_id: vol.project_id });
  if (vol.status.includes('error'))
    throw invalidVolume(
      `Volume attachments can not be created if the volume is in an error state. The Volume ${vol.id} currently has a status of: ${vol.status} `,
    );
  // No multiattach: available (or downloading) only, compare-and-set.
  if (
    !(await repo.updateVolumeIfStatus(ex, vol.id, ['available', 'downloading'], {
      status: 'reserved',
      updated_at: iso(deps.clock.now()),
    }))
  ) {
    const current = (await repo.getVolume(ex, vol.id))?.status ?? vol.status;
    throw invalidVolume(
      `Volume ${vol.id} status must be available or downloading to reserve, but the current status is ${current}.`,
    );
  }
  const mode = input.mode ?? 'rw';
  const now = iso(deps.clock.now());
  const row = await repo.insertAttachment(ex, {
    id: deps.ids.uuid(),
    volume_id: vol.id,
    project_id: vol.project_id,
    instance_uuid: input.instanceUuid,
    attach_status: 'reserved',
    attach_mode: mode,
    connector: null,
    connection_info: null,
    mountpoint: null,
    attached_host: null,
    attach_time: null,
    created_at: now,
  });
  if (input.connector) return attachmentUpdateIn(deps, ex, caller, row.id, input.connector);
  return row;
}

export async function attachmentUpdateIn(
  deps: Deps,
  ex: Executor,
  caller: Caller,
  id: string,
  connector: Record<string, unknown>,
): Promise<repo.AttachmentRow> {
  const att = await findAttachment(ex, caller, id);
  const vol = await findVolume(ex, caller, att.volume_id, { lock: true });
  authorize(deps, caller, 'volume:attachment_update', { project_id: vol.project_id });
  if (vol.status === 'maintenance' || vol.status.includes('error') || vol.status === 'deleting')
    throw resourceConflict(
      `Volume attachments can not be updated if the volume is in an error or maintenance state. The Volume ${vol.id} currently has a status of: ${vol.status} `,
    );
  await repo.updateVolumeIfStatus(ex, vol.id, ['reserved'], { status: 'attaching' });
  const info = connectionInfo(deps, vol, att.attach_mode);
  await repo.updateAttachment(ex, att.id, {
    connector: JSON.stringify(connector),
    connection_info: JSON.stringify({ ...info, attachment_id: att.id }),
    attached_host: typeof connector.host === 'string' ? connector.host : null,
    mountpoint: typeof connector.mountpoint === 'string' ? connector.mountpoint : null,
    attach_status: att.attach_status === 'attached' ? 'attached' : 'attaching',
  });
  return (await repo.getAttachment(ex, att.id)) as repo.AttachmentRow;
}

export async function attachmentCompleteIn(deps: Deps, ex: Executor, caller: Caller, id: string): Promise<void> {
  const att = await findAttachment(ex, caller, id);
  const vol = await findVolume(ex, caller, att.volume_id, { lock: true });
  authorize(deps, caller, 'volume:attachment_complete', { project_id: vol.project_id });
  const now = iso(deps.clock.now());
  await repo.updateAttachment(ex, att.id, { attach_status: 'attached', attach_time: att.attach_time ?? now });
  await repo.updateVolumeIfStatus(ex, vol.id, ['reserved', 'attaching', 'in-use'], {
    status: 'in-use',
    attach_status: 'attached',
    updated_at: now,
  });
}

/** Deletes the attachment; the volume's remaining attachments are returned (Cinder's answer). */
export async function attachmentDeleteIn(
  deps: Deps,
  ex: Executor,
  caller: Caller,
  id: string,
): Promise<repo.AttachmentRow[]> {
  const att = await findAttachment(ex, caller, id);
  const vol = await findVolume(ex, caller, att.volume_id, { lock: true });
  authorize(deps, caller, 'volume:attachment_delete', { project_id: vol.project_id });
  await repo.deleteAttachment(ex, att.id);
  const rest = await repo.listAttachments(ex, { volumeId: vol.id });
  const attached = rest.some((a) => a.attach_status === 'attached');
  if (rest.length === 0 || !attached) {
    // The last one: the volume is free again (Cinder's _attachment_delete → available, detached).
    if (!['deleting', 'error_deleting'].includes(vol.status))
      await repo.updateVolume(ex, vol.id, {
        status: rest.length === 0 ? 'available' : 'reserved',
        attach_status: 'detached',
        updated_at: iso(deps.clock.now()),
      });
  }
  return rest;
}

export const createAttachment = (deps: Deps, caller: Caller, input: Parameters<typeof attachmentCreateIn>[3]) =>
  deps.transact((tx) => attachmentCreateIn(deps, tx, caller, input));
export const updateAttachment = (deps: Deps, caller: Caller, id: string, connector: Record<string, unknown>) =>
  deps.transact((tx) => attachmentUpdateIn(deps, tx, caller, id, connector));
export const completeAttachment = (deps: Deps, caller: Caller, id: string) =>
  deps.transact((tx) => attachmentCompleteIn(deps, tx, caller, id));
export const deleteAttachment = (deps: Deps, caller: Caller, id: string) =>
  deps.transact((tx) => attachmentDeleteIn(deps, tx, caller, id));

export async function showAttachment(deps: Deps, caller: Caller, id: string): Promise<repo.AttachmentRow> {
  const att = await findAttachment(deps.db, caller, id);
  return att;
}

export async function listAttachments(
  deps: Deps,
  caller: Caller,
  q: { allTenants: boolean; volumeId?: string; instanceId?: string; status?: string },
): Promise<repo.AttachmentRow[]> {
  const everyone = q.allTenants && caller.isAdmin;
  let rows = await repo.listAttachments(deps.db, {
    projectId: everyone ? undefined : caller.projectId,
    volumeId: q.volumeId,
  });
  if (q.instanceId !== undefined) rows = rows.filter((r) => r.instance_uuid === q.instanceId);
  if (q.status !== undefined) rows = rows.filter((r) => r.attach_status === q.status);
  return rows.reverse();
}

// --- the legacy os-volume_actions (volume_actions.py), as cinderclient and old Nova call them --

type LegacyAction =
  | 'os-reserve'
  | 'os-unreserve'
  | 'os-begin_detaching'
  | 'os-roll_detaching'
  | 'os-attach'
  | 'os-detach'
  | 'os-initialize_connection'
  | 'os-terminate_connection';

const LEGACY_RULE: Record<LegacyAction, string> = {
  'os-reserve': 'volume_extension:volume_actions:reserve',
  'os-unreserve': 'volume_extension:volume_actions:unreserve',
  'os-begin_detaching': 'volume_extension:volume_actions:begin_detaching',
  'os-roll_detaching': 'volume_extension:volume_actions:roll_detaching',
  'os-attach': 'volume_extension:volume_actions:attach',
  'os-detach': 'volume_extension:volume_actions:detach',
  'os-initialize_connection': 'volume_extension:volume_actions:initialize_connection',
  'os-terminate_connection': 'volume_extension:volume_actions:terminate_connection',
};
export const LEGACY_ACTIONS = Object.keys(LEGACY_RULE) as LegacyAction[];

/** One legacy action; `os-initialize_connection` answers the connection_info, the others nothing. */
export async function legacyAction(
  deps: Deps,
  caller: Caller,
  id: string,
  action: LegacyAction,
  body: Record<string, unknown>,
): Promise<unknown> {
  return deps.transact(async (tx) => {
    const vol = await findVolume(tx, caller, id, { lock: true });
    authorize(deps, caller, LEGACY_RULE[action], { project_id: vol.project_id });
    const now = iso(deps.clock.now());
    switch (action) {
      case 'os-reserve':
        if (!(await repo.updateVolumeIfStatus(tx, vol.id, ['available'], { status: 'attaching', updated_at: now })))
          throw invalidVolume(`Volume status must be available to reserve, but the status is ${vol.status}.`);
        return undefined;
      case 'os-unreserve': {
        const has = (await repo.listAttachments(tx, { volumeId: vol.id })).some((a) => a.attach_status === 'attached');
        await repo.updateVolumeIfStatus(tx, vol.id, ['attaching'], {
          status: has ? 'in-use' : 'available',
          updated_at: now,
        });
        return undefined;
      }
      case 'os-begin_detaching':
        if (
          !(await repo.updateVolumeIfStatus(tx, vol.id, ['in-use'], { status: 'detaching', updated_at: now })) ||
          vol.attach_status !== 'attached'
        )
          throw invalidVolume(
            "Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.",
          );
        return undefined;
      case 'os-roll_detaching':
        await repo.updateVolumeIfStatus(tx, vol.id, ['detaching'], { status: 'in-use', updated_at: now });
        return undefined;
      case 'os-attach': {
        const mode = typeof body.mode === 'string' ? body.mode : 'rw';
        if (!['attaching', 'available', 'reserved'].includes(vol.status))
          throw invalidVolume(`Volume status must be available to reserve, but the status is ${vol.status}.`);
        await repo.insertAttachment(tx, {
          id: deps.ids.uuid(),
          volume_id: vol.id,
          project_id: vol.project_id,
          instance_uuid: typeof body.instance_uuid === 'string' ? body.instance_uuid : null,
          attach_status: 'attached',
          attach_mode: mode,
          connector: null,
          connection_info: null,
          mountpoint: typeof body.mountpoint === 'string' ? body.mountpoint : null,
          attached_host: typeof body.host_name === 'string' ? body.host_name : null,
          attach_time: now,
          created_at: now,
        });
        await repo.updateVolume(tx, vol.id, { status: 'in-use', attach_status: 'attached', updated_at: now });
        return undefined;
      }
      case 'os-detach': {
        const id = body.attachment_id;
        // Cinder's detach schema: attachment_id is a string or null; anything else would detach all.
        if (id !== undefined && id !== null && typeof id !== 'string')
          throw volumeBadRequest(
            `Invalid input for field/attribute attachment_id. Value: ${JSON.stringify(id)}. ${JSON.stringify(id)} is not of type 'string', 'null'`,
          );
        const atts = await repo.listAttachments(tx, { volumeId: vol.id });
        const which = typeof id === 'string' ? atts.filter((a) => a.id === id) : atts;
        for (const a of which) await repo.deleteAttachment(tx, a.id);
        const rest = atts.length - which.length;
        await repo.updateVolume(tx, vol.id, {
          status: rest > 0 ? 'in-use' : 'available',
          attach_status: rest > 0 ? 'attached' : 'detached',
          updated_at: now,
        });
        return undefined;
      }
      case 'os-initialize_connection':
        return { connection_info: connectionInfo(deps, vol, 'rw') };
      case 'os-terminate_connection':
        return undefined;
    }
  });
}
