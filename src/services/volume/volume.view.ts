import type { AttachmentRow, SnapshotRow, VolumeTypeRow, VolumeView } from './volumes.js';

/** Cinder's time format in views: ISO 8601 with microseconds, no zone (`2024-01-01T00:00:00.000000`). */
export const cinderTime = (s: string | null) => (s ? `${s.replace(/Z$/, '').replace(/\.(\d{3})$/, '.$1000')}` : null);

const link = (base: string, projectId: string, kind: string, id: string) => [
  { rel: 'self', href: `${base}/volume/v3/${projectId}/${kind}/${id}` },
  { rel: 'bookmark', href: `${base}/volume/${projectId}/${kind}/${id}` },
];

export interface ViewOpts {
  base: string;
  mv: number;
  host: boolean;
  tenant: boolean;
  migration: boolean;
  imageMetadata: boolean;
}

/** cinder/api/v3/views/volumes.py summary. */
export function renderVolumeSummary(v: VolumeView, o: Pick<ViewOpts, 'base'>) {
  return { id: v.row.id, name: v.row.name, links: link(o.base, v.row.project_id, 'volumes', v.row.id) };
}

function renderVolumeAttachment(a: AttachmentRow, v: VolumeView) {
  return {
    id: v.row.id,
    attachment_id: a.id,
    volume_id: v.row.id,
    server_id: a.instance_uuid,
    host_name: a.attached_host,
    device: a.mountpoint,
    attached_at: cinderTime(a.attach_time),
  };
}

/** cinder/api/v3/views/volumes.py detail, with the 3.x additions up to the requested version. */
export function renderVolume(v: VolumeView, o: ViewOpts) {
  const r = v.row;
  const body: Record<string, unknown> = {
    id: r.id,
    status: r.status,
    size: r.size,
    availability_zone: r.availability_zone,
    created_at: cinderTime(r.created_at),
    updated_at: cinderTime(r.updated_at),
    attachments: v.attachments.filter((a) => a.attach_status === 'attached').map((a) => renderVolumeAttachment(a, v)),
    name: r.name,
    description: r.description,
    volume_type: v.type?.name ?? null,
    snapshot_id: r.snapshot_id,
    source_volid: r.source_volid,
    metadata: JSON.parse(r.metadata),
    links: link(o.base, r.project_id, 'volumes', r.id),
    user_id: r.user_id,
    bootable: r.bootable ? 'true' : 'false',
    encrypted: false,
    replication_status: null,
    consistencygroup_id: null,
    multiattach: false,
  };
  if (o.tenant) body['os-vol-tenant-attr:tenant_id'] = r.project_id;
  if (o.host) body['os-vol-host-attr:host'] = 'stratus@local#local';
  if (o.migration) {
    body['os-vol-mig-status-attr:migstat'] = null;
    body['os-vol-mig-status-attr:name_id'] = null;
  }
  if (o.imageMetadata && r.image_metadata) body.volume_image_metadata = JSON.parse(r.image_metadata);
  if (o.mv >= 13) body.group_id = null;
  if (o.mv >= 21) body.provider_id = null;
  if (o.mv >= 48) {
    body.service_uuid = null;
    body.shared_targets = false;
  }
  if (o.mv >= 61 && o.host) body.cluster_name = null;
  if (o.mv >= 63) body.volume_type_id = r.volume_type_id;
  if (o.mv >= 65) body.consumes_quota = true;
  return body;
}

/** cinder/api/v2/views/types.py (extra_specs for those the rule allows). */
export function renderType(t: VolumeTypeRow, o: { extraSpecs: boolean; admin: boolean }) {
  const body: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    is_public: t.is_public === 1,
    description: t.description,
  };
  if (o.extraSpecs) body.extra_specs = JSON.parse(t.extra_specs);
  if (o.admin) {
    body['os-volume-type-access:is_public'] = t.is_public === 1;
  }
  return body;
}

/** cinder/api/views/snapshots.py detail. */
export function renderSnapshot(s: SnapshotRow, o: { mv: number; extended: boolean }) {
  const body: Record<string, unknown> = {
    id: s.id,
    created_at: cinderTime(s.created_at),
    updated_at: cinderTime(s.updated_at),
    name: s.name,
    description: s.description,
    volume_id: s.volume_id,
    status: s.status,
    size: s.size,
    metadata: JSON.parse(s.metadata),
  };
  if (o.extended) {
    body['os-extended-snapshot-attributes:project_id'] = s.project_id;
    body['os-extended-snapshot-attributes:progress'] = s.status === 'available' ? '100%' : '0%';
  }
  if (o.mv >= 41) body.user_id = s.user_id;
  if (o.mv >= 65) body.consumes_quota = true;
  if (o.mv >= 14) body.group_snapshot_id = null;
  return body;
}

/** cinder/api/v3/views/attachments.py. */
export function renderAttachment(a: AttachmentRow, detail: boolean) {
  const body: Record<string, unknown> = {
    id: a.id,
    status: a.attach_status,
    instance: a.instance_uuid,
    volume_id: a.volume_id,
  };
  if (!detail) return body;
  return {
    ...body,
    attached_at: cinderTime(a.attach_time),
    detached_at: null,
    attach_mode: a.attach_mode,
    connection_info: a.connection_info ? JSON.parse(a.connection_info) : {},
  };
}
