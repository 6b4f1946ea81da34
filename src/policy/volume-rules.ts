/** A rule as data (the shape of rules.ts's PolicyRule, not imported: rules.ts imports this file). */
interface PolicyRule {
  name: string;
  checkStr: string;
  description: string;
}

/**
 * Cinder's rule names and 2024 defaults (cinder/policies/*.py). Cinder's "system admin or
 * project member" / "system reader or project reader" become Stratus' project member-or-admin
 * and reader-or-admin (tokens are project-scoped only); Cinder's admin-only rules are
 * `rule:admin_api`.
 */
const ADMIN = 'rule:admin_api';
const MEMBER = 'rule:project_member_or_admin';
const READER = 'rule:project_reader_or_admin';
const rule = (name: string, checkStr: string, description: string): PolicyRule => ({ name, checkStr, description });

export const VOLUME_RULES: PolicyRule[] = [
  // cinder/policies/volumes.py
  rule('volume:create', MEMBER, 'Create volume.'),
  rule('volume:create_from_image', MEMBER, 'Create volume from image.'),
  rule('volume:get', READER, 'Show volume.'),
  rule('volume:get_all', READER, 'List volumes or get summary of volumes.'),
  rule('volume:update', MEMBER, "Update volume or update a volume's bootable status."),
  rule('volume:delete', MEMBER, 'Delete volume.'),
  rule('volume:force_delete', ADMIN, 'Force Delete a volume.'),
  rule('volume_extension:volume_host_attribute', ADMIN, 'List or show volume with host attribute.'),
  rule('volume_extension:volume_tenant_attribute', READER, 'List or show volume with tenant attribute.'),
  rule('volume_extension:volume_mig_status_attribute', ADMIN, 'List or show volume with migration status.'),
  // cinder/policies/volume_actions.py
  rule('volume:extend', MEMBER, 'Extend a volume.'),
  rule('volume:extend_attached_volume', MEMBER, 'Extend a attached volume.'),
  rule('volume_extension:volume_admin_actions:reset_status', ADMIN, 'Reset status of a volume.'),
  rule('volume:update_readonly_flag', MEMBER, 'Update volume read-only status.'),
  rule('volume_extension:volume_admin_actions:force_delete', ADMIN, 'Force delete a volume.'),
  rule('volume_extension:volume_admin_actions:force_detach', ADMIN, 'Force detach a volume.'),
  ...['detach', 'attach', 'begin_detaching', 'unreserve', 'reserve', 'roll_detaching'].map((a) =>
    rule(`volume_extension:volume_actions:${a}`, MEMBER, `Volume action: ${a.replace('_', ' ')}.`),
  ),
  rule('volume_extension:volume_actions:initialize_connection', MEMBER, 'Initialize volume attachment.'),
  rule('volume_extension:volume_actions:terminate_connection', MEMBER, 'Terminate volume attachment.'),
  // cinder/policies/volume_metadata.py
  rule('volume:get_volume_metadata', READER, "Show volume's metadata or one specified metadata with a given key."),
  rule('volume:create_volume_metadata', MEMBER, 'Create volume metadata.'),
  rule('volume:update_volume_metadata', MEMBER, "Update volume's metadata or one specified metadata with a given key."),
  rule('volume:delete_volume_metadata', MEMBER, "Delete volume's specified metadata with a given key."),
  rule('volume_extension:volume_image_metadata:show', READER, 'Include volume image metadata in volume views.'),
  // cinder/policies/snapshots.py
  rule('volume:get_snapshot', READER, 'Show snapshot.'),
  rule('volume:get_all_snapshots', READER, 'List snapshots.'),
  rule('volume:create_snapshot', MEMBER, 'Create snapshot.'),
  rule('volume:update_snapshot', MEMBER, 'Update snapshot.'),
  rule('volume:delete_snapshot', MEMBER, 'Delete snapshot.'),
  rule('volume_extension:extended_snapshot_attributes', READER, 'List or show snapshots with extended attributes.'),
  // cinder/policies/attachments.py
  rule('volume:attachment_create', MEMBER, 'Create attachment.'),
  rule('volume:attachment_update', MEMBER, 'Update attachment.'),
  rule('volume:attachment_delete', MEMBER, 'Delete attachment.'),
  rule('volume:attachment_complete', MEMBER, 'Mark a volume attachment process as completed (in-use).'),
  // cinder/policies/volume_type.py
  rule('volume_extension:type_create', ADMIN, 'Create volume type.'),
  rule('volume_extension:type_update', ADMIN, 'Update volume type.'),
  rule('volume_extension:type_delete', ADMIN, 'Delete volume type.'),
  rule('volume_extension:type_get', READER, 'Get one specific volume type.'),
  rule('volume_extension:type_get_all', READER, 'List volume types.'),
  rule('volume_extension:access_types_extra_specs', READER, "Include the volume type's extra_specs attribute."),
  rule('volume_extension:access_types_qos_specs_id', ADMIN, "Include the volume type's QoS specifications ID."),
  // cinder/policies/quotas.py and limits.py
  rule('volume_extension:quotas:show', READER, 'Show project quota (including usage and default).'),
  rule('volume_extension:quotas:update', ADMIN, 'Update project quota.'),
  rule('volume_extension:quotas:delete', ADMIN, 'Delete project quota.'),
  rule('limits_extension:used_limits', READER, 'Show limits with used limit attributes.'),
];
