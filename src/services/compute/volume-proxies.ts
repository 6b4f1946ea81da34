/**
 * The 2.1 block storage proxies (nova/api/openstack/compute/volumes.py and snapshots.py, to
 * 2.35): Nova's policy (os_compute_api:os-volumes:*), then Cinder's use cases as the caller,
 * rendered in Nova's camelCase views. Cinder's 400s come back as Nova's InvalidInput over them,
 * its quota refusals as Nova's OverQuota (403), its 404s as they are ("Volume … could not be found.").
 */
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { DomainError, invalid } from '../../domain/errors.js';
import * as volumes from '../volume/volumes.js';
import { cinderCreateInput } from '../volume/volume-input.js';
import * as snapshots from '../volume/snapshots.js';
import type * as repo from '../../db/repositories/volumes.repository.js';

/** Cinder's created_at as cinderclient hands it to Nova (microseconds, no zone). */
const cinderTime = (s: string) => s.replace(/Z$/, '').replace(/\.(\d{3})$/, '.$1000');

const RULE = (a: string) => `os_compute_api:os-volumes:${a}`;

/** Nova's OverQuota (403) or InvalidInput (400) over what Cinder said. */
export class ProxyForbidden extends DomainError {
  constructor(message: string) {
    super('forbidden', 'OverQuota', message);
  }
}
async function cinder<T>(work: () => Promise<T>, opts: { invalidIsBadRequest?: boolean } = {}): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'over-limit') throw new ProxyForbidden(err.message);
    if (err instanceof DomainError && err.kind === 'invalid' && opts.invalidIsBadRequest !== false)
      throw invalid(`Invalid input received: ${err.message} (HTTP 400)`);
    throw err;
  }
}

/** Nova's _translate_volume_summary_view (the detail view is the same). */
export function novaVolume(v: volumes.VolumeView) {
  const attached = v.row.attach_status === 'attached' && v.attachments.length > 0;
  const a = v.attachments[0];
  const attachment: Record<string, unknown> = attached
    ? { id: v.row.id, volumeId: v.row.id, serverId: a.instance_uuid }
    : {};
  if (attached && a.mountpoint) attachment.device = a.mountpoint;
  return {
    id: v.row.id,
    status: v.row.status,
    size: v.row.size,
    availabilityZone: v.row.availability_zone,
    createdAt: cinderTime(v.row.created_at),
    attachments: [attachment],
    displayName: v.row.name,
    displayDescription: v.row.description,
    volumeType: v.type?.name ?? v.row.volume_type_id,
    snapshotId: v.row.snapshot_id,
    metadata: JSON.parse(v.row.metadata) as Record<string, string>,
  };
}

/** Nova's _translate_snapshot_summary_view. */
export function novaSnapshot(s: repo.SnapshotRow) {
  return {
    id: s.id,
    volumeId: s.volume_id,
    status: s.status,
    size: s.size,
    createdAt: cinderTime(s.created_at),
    displayName: s.name,
    displayDescription: s.description,
  };
}

const own = (caller: Caller) => ({ project_id: caller.projectId });

/** common.limited: offset then limit (Nova's osapi_max_limit 1000). */
export interface Page {
  limit?: number;
  offset?: number;
}
const limited = <T>(items: T[], p: Page) => items.slice(p.offset ?? 0).slice(0, Math.min(p.limit ?? 1000, 1000));

export async function listProxyVolumes(deps: Deps, caller: Caller, detail: boolean, page: Page) {
  authorize(deps, caller, RULE(detail ? 'detail' : 'list'), own(caller));
  const res = await volumes.listVolumes(deps, caller, { allTenants: false, sort: [] });
  return limited(res.volumes, page).map(novaVolume);
}

export async function showProxyVolume(deps: Deps, caller: Caller, id: string) {
  authorize(deps, caller, RULE('show'), own(caller));
  return novaVolume(await volumes.showVolume(deps, caller, id));
}

export async function createProxyVolume(
  deps: Deps,
  caller: Caller,
  input: {
    size: number | null;
    name: string | null;
    description: string | null;
    volumeType: string | null;
    availabilityZone: string | null;
    snapshotId: string | null;
    metadata: Record<string, string>;
  },
) {
  authorize(deps, caller, RULE('create'), own(caller));
  // Nova's schema lets a string '0' through (minimum binds numbers only); Cinder then refuses it.
  if (input.size !== null && input.size < 1)
    throw invalid(
      `Invalid input received: Invalid input received: Invalid volume size provided for create request: ${input.size} (size argument must be an integer (or string representation of an integer) and greater than zero). (HTTP 400)`,
    );
  // Nova looks the snapshot up first: SnapshotNotFound is its 404.
  let size = input.size;
  if (input.snapshotId) {
    const snap = await snapshots.showSnapshot(deps, caller, input.snapshotId);
    size = size ?? snap.size;
  }
  const view = await cinder(async () =>
    volumes.createVolume(
      deps,
      caller,
      cinderCreateInput({
        size,
        name: input.name,
        description: input.description,
        volume_type: input.volumeType,
        availability_zone: input.availabilityZone,
        snapshot_id: input.snapshotId,
        metadata: input.metadata,
      }),
    ),
  );
  return novaVolume(view);
}

export async function deleteProxyVolume(deps: Deps, caller: Caller, id: string) {
  authorize(deps, caller, RULE('delete'), own(caller));
  await cinder(() => volumes.deleteVolume(deps, caller, id));
}

export async function listProxySnapshots(deps: Deps, caller: Caller, detail: boolean, page: Page) {
  authorize(deps, caller, RULE(detail ? 'snapshots:detail' : 'snapshots:list'), own(caller));
  return limited(await snapshots.listSnapshots(deps, caller, { allTenants: false }), page).map(novaSnapshot);
}

export async function showProxySnapshot(deps: Deps, caller: Caller, id: string) {
  authorize(deps, caller, RULE('snapshots:show'), own(caller));
  return novaSnapshot(await snapshots.showSnapshot(deps, caller, id));
}

export async function createProxySnapshot(
  deps: Deps,
  caller: Caller,
  input: { volumeId: string; force: boolean; name: string | null; description: string | null },
) {
  authorize(deps, caller, RULE('snapshots:create'), own(caller));
  const row = await cinder(() => snapshots.createSnapshot(deps, caller, { ...input, metadata: {} }));
  return novaSnapshot(row);
}

export async function deleteProxySnapshot(deps: Deps, caller: Caller, id: string) {
  authorize(deps, caller, RULE('snapshots:delete'), own(caller));
  await cinder(() => snapshots.deleteSnapshot(deps, caller, id));
}
