/** JSON schemas (and the one hand-written body check) for compute request bodies, after nova/api/openstack/compute/schemas/. */

import { invalid } from '../../domain/errors.js';

export interface CreateServerBody {
  name: string;
  imageRef?: string;
  flavorRef: string | number;
  networks?: unknown;
  metadata?: Record<string, string>;
  tags?: string[];
  min_count?: number | string;
  max_count?: number | string;
  description?: string | null;
  key_name?: string | null;
  availability_zone?: string | null;
  user_data?: string;
  adminPass?: string;
  accessIPv4?: string;
  accessIPv6?: string;
  return_reservation_id?: boolean | string;
  security_groups?: Array<{ name?: string }>;
}

const name = { type: 'string', minLength: 1, maxLength: 255, pattern: '^(?!\\s)[\\s\\S]*(?<!\\s)$' };
const description = { type: ['string', 'null'], maxLength: 255 };
const count = {
  anyOf: [
    { type: 'integer', minimum: 1 },
    { type: 'string', pattern: '^[1-9][0-9]{0,8}$' },
  ],
};
const uuidish = { type: 'string', maxLength: 255 };
/** Nova's parameter_types.boolean. */
const novaBoolean = {
  enum: [
    ...[true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes'],
    ...[false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'],
  ],
};
/** Nova's parameter_types.fqdn (host, hypervisor_hostname; hostname from 2.94). */
const fqdn = { type: 'string', pattern: '^[a-zA-Z0-9-._]*$', minLength: 1, maxLength: 255 };
/** Nova's _block_device_mapping_v2 item (legacy fields plus the v2 ones; tag from 2.42, volume_type from 2.67). */
const blockDeviceMappingV2 = {
  type: 'object',
  additionalProperties: false,
  properties: {
    virtual_name: { type: 'string', maxLength: 255 },
    volume_id: { type: 'string' },
    snapshot_id: { type: 'string' },
    volume_size: { type: ['integer', 'string', 'null'] },
    device_name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._/-]*$' },
    delete_on_termination: { type: ['boolean', 'string'] },
    no_device: {},
    connection_info: { type: 'string', maxLength: 16777215 },
    source_type: { type: 'string', enum: ['volume', 'image', 'snapshot', 'blank'] },
    uuid: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-]*$' },
    image_id: { type: 'string' },
    destination_type: { type: 'string', enum: ['local', 'volume'] },
    guest_format: { type: 'string', maxLength: 255 },
    device_type: { type: 'string', maxLength: 255 },
    disk_bus: { type: 'string', maxLength: 255 },
    boot_index: { type: ['integer', 'string', 'null'] },
    tag: { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' },
    volume_type: { type: ['string', 'null'], maxLength: 255 },
  },
};
const LEGACY_KEYS = [
  'virtual_name',
  'volume_id',
  'snapshot_id',
  'volume_size',
  'device_name',
  'delete_on_termination',
  'no_device',
  'connection_info',
];
const legacyBlockDeviceMapping = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    Object.entries(blockDeviceMappingV2.properties).filter(([k]) => LEGACY_KEYS.includes(k)),
  ),
};
/**
 * Nova's scheduler hints: different_host and same_host (server uuids) are typed; `group` is
 * checked where it is read (server-groups.schemas.ts parseGroupHint, in Nova's words); anything
 * else passes (additionalProperties: true).
 */
const schedulerHints = {
  type: 'object',
  additionalProperties: true,
  properties: {
    different_host: {
      anyOf: [
        { type: 'string', format: 'uuid' },
        { type: 'array', items: { type: 'string' } },
      ],
    },
    same_host: { type: ['string', 'array'], items: { type: 'string' } },
    query: { type: ['string', 'object'] },
    target_cell: { type: 'string', minLength: 1, maxLength: 255 },
    different_cell: { type: ['string', 'array'], items: { type: 'string' } },
    cidr: { type: 'string', pattern: '^/[0-9a-f.:]+$' },
  },
};

export const createServer = {
  type: 'object',
  required: ['server'],
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      required: ['name', 'flavorRef'],
      additionalProperties: false,
      properties: {
        name,
        description,
        imageRef: { type: 'string', maxLength: 255 },
        flavorRef: {
          anyOf: [
            { type: 'string', minLength: 1, maxLength: 255 },
            { type: 'integer', minimum: 1 },
          ],
        },
        networks: {
          anyOf: [
            { enum: ['auto', 'none'] },
            {
              type: 'array',
              maxItems: 64,
              items: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  uuid: uuidish,
                  port: { type: ['string', 'null'], maxLength: 255 },
                  fixed_ip: { type: 'string' },
                  tag: { type: 'string' },
                },
              },
            },
          ],
        },
        // Nova's parameter_types.metadata; more than metadata_items is the quota's 403, not a 400.
        metadata: {
          type: 'object',
          patternProperties: { '^[a-zA-Z0-9_:. -]{1,255}$': { type: 'string', maxLength: 255 } },
          additionalProperties: false,
        },
        min_count: count,
        max_count: count,
        return_reservation_id: novaBoolean,
        key_name: { type: 'string', minLength: 1, maxLength: 255 },
        availability_zone: { type: ['string', 'null'], maxLength: 255 },
        user_data: { type: 'string', maxLength: 65535 },
        adminPass: { type: 'string', maxLength: 255 },
        accessIPv4: { type: 'string', maxLength: 64 },
        accessIPv6: { type: 'string', maxLength: 64 },
        security_groups: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, properties: { name } },
        },
        // Nova's boolean: server-create.schemas.ts checks the values, with Nova's message.
        config_drive: { type: ['boolean', 'string'] },
        // The microversion gates of these are in server-create.schemas.ts.
        personality: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: { path: { type: 'string' }, contents: { type: 'string' } },
          },
        },
        trusted_image_certificates: {
          type: ['array', 'null'],
          minItems: 1,
          maxItems: 50,
          uniqueItems: true,
          items: { type: 'string', minLength: 1 },
        },
        host: fqdn,
        hypervisor_hostname: fqdn,
        'OS-DCF:diskConfig': { enum: ['AUTO', 'MANUAL'] },
        block_device_mapping_v2: { type: 'array', items: blockDeviceMappingV2 },
        // Nova's _legacy_block_device_mapping (v1): the v2 item without the v2 keys.
        block_device_mapping: { type: 'array', items: legacyBlockDeviceMapping },
        tags: {
          type: 'array',
          maxItems: 50,
          items: { type: 'string', pattern: '^[^,/]*$', minLength: 1, maxLength: 60 },
        },
        hostname: fqdn,
      },
    },
    'os:scheduler_hints': schedulerHints,
    'OS-SCH-HNT:scheduler_hints': schedulerHints,
  },
};

export const updateServer = {
  type: 'object',
  required: ['server'],
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name,
        description,
        accessIPv4: { type: 'string', maxLength: 64 },
        accessIPv6: { type: 'string', maxLength: 64 },
        'OS-DCF:diskConfig': { enum: ['AUTO', 'MANUAL'] },
        hostname: { type: 'string', maxLength: 255 },
      },
    },
  },
};

export const updateService = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { enum: ['enabled', 'disabled'] },
    disabled_reason: { type: 'string', minLength: 1, maxLength: 255 },
    forced_down: { type: 'boolean' },
    host: { type: 'string', maxLength: 255 },
    binary: { type: 'string', maxLength: 255 },
  },
};

/**
 * The body of the lock action from 2.73: null, or `{"locked_reason": "<1-255 chars>"}` (Nova's
 * lock_server schema, with its messages). Returns the reason, null when none is given.
 */
export function lockReason(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalid(
      `Invalid input for field/attribute lock. Value: ${JSON.stringify(value)}. ${JSON.stringify(value)} is not valid under any of the given schemas`,
    );
  const extra = Object.keys(value).filter((k) => k !== 'locked_reason');
  if (extra.length)
    throw invalid(
      `Invalid input for field/attribute lock. Value: ${JSON.stringify(value)}. Additional properties are not allowed ('${extra[0]}' was unexpected)`,
    );
  const lr = (value as { locked_reason?: unknown }).locked_reason;
  if (lr === undefined) return null;
  if (typeof lr !== 'string' || lr.length < 1 || lr.length > 255)
    throw invalid(
      `Invalid input for field/attribute locked_reason. Value: ${JSON.stringify(lr)}. ${JSON.stringify(lr)} is not a valid reason`,
    );
  return lr;
}
