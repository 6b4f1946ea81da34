import { atLeast, type Microversion } from '../../http/microversion.js';

/**
 * A volume attachment (volume_attachments.py _translate_attachment_detail_view): id (until
 * 2.89), volumeId, serverId, device (when named); tag 2.70; delete_on_termination 2.79;
 * attachment_id and bdm_uuid 2.89. The create answer always has `id` and `device` (Nova builds
 * it by hand).
 */
/** The mapping's fields the view reads. */
export interface AttachmentMapping {
  id: string;
  server_id: string;
  volume_id: string | null;
  attachment_id: string | null;
  device_name: string | null;
  delete_on_termination: number;
  tag: string | null;
}

export function renderVolumeAttachment(b: AttachmentMapping, mv: Microversion, opts: { created?: boolean } = {}) {
  const v: Record<string, unknown> = {};
  const at89 = atLeast(mv, 89) && !opts.created;
  if (!at89) v.id = b.volume_id;
  if (opts.created) {
    v.serverId = b.server_id;
    v.volumeId = b.volume_id;
    v.device = b.device_name;
  } else {
    v.volumeId = b.volume_id;
    v.serverId = b.server_id;
    if (b.device_name) v.device = b.device_name;
  }
  if (atLeast(mv, 70)) v.tag = b.tag;
  if (atLeast(mv, 79)) v.delete_on_termination = b.delete_on_termination === 1;
  if (at89) {
    v.attachment_id = b.attachment_id;
    v.bdm_uuid = b.id;
  }
  return v;
}
