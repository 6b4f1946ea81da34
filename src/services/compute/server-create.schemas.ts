/**
 * The hand-written part of server create's body checks: what Nova's create_v2xx schemas gate by
 * microversion and what JSON schema formats (ipv4, ipv6, base64, Nova's boolean) decide, with
 * Nova's messages (nova/api/openstack/compute/schemas/servers.py, nova/block_device.py from_api).
 */

import { isIPv4, isIPv6 } from 'node:net';
import { invalid } from '../../domain/errors.js';
import { atLeast, type Microversion } from '../../http/microversion.js';

export interface PersonalityFile {
  path: string;
  contents: string;
}

export interface BlockDeviceMappingV2 {
  source_type?: 'volume' | 'image' | 'snapshot' | 'blank';
  destination_type?: 'local' | 'volume';
  uuid?: string;
  boot_index?: number | string | null;
  volume_type?: string | null;
  no_device?: unknown;
  volume_size?: number | string | null;
  delete_on_termination?: boolean | string;
  device_name?: string;
  tag?: string;
  disk_bus?: string;
  device_type?: string;
  guest_format?: string;
}

export interface LegacyBlockDeviceMapping {
  volume_id?: string;
  snapshot_id?: string;
  volume_size?: number | string | null;
  device_name?: string;
  delete_on_termination?: boolean | string;
  no_device?: unknown;
  virtual_name?: string;
}

/**
 * nova/block_device.py from_legacy_mapping with the root device name `vda`: the volume or
 * snapshot named vda is the root (boot index 0), the others data disks (-1).
 */
function fromLegacy(items: LegacyBlockDeviceMapping[]): BlockDeviceMappingV2[] {
  const out: BlockDeviceMappingV2[] = [];
  for (const b of items) {
    if (b.no_device) continue;
    const source = b.volume_id ? 'volume' : b.snapshot_id ? 'snapshot' : undefined;
    // Ephemeral and swap (virtual_name) are local disks Stratus does not make.
    if (!source)
      throw invalid('Block Device Mapping is Invalid: only volume and snapshot legacy mappings are supported.');
    const root = (b.device_name ?? '').replace(/^\/dev\//, '') === 'vda';
    out.push({
      source_type: source,
      destination_type: 'volume',
      uuid: b.volume_id ?? b.snapshot_id,
      boot_index: root ? 0 : -1,
      ...(b.volume_size !== undefined ? { volume_size: b.volume_size } : {}),
      // servers.py: strutils.bool_from_string (not strict: anything unrecognised is False).
      ...(b.delete_on_termination !== undefined
        ? { delete_on_termination: /^(1|t|true|on|y|yes)$/i.test(String(b.delete_on_termination)) }
        : {}),
      ...(b.device_name !== undefined ? { device_name: b.device_name } : {}),
    });
  }
  return out;
}

/** The fields of a create body this module checks (the rest are in compute.schemas.ts). */
export interface CreateOptionsBody {
  imageRef?: string;
  personality?: PersonalityFile[];
  config_drive?: boolean | string;
  accessIPv4?: string;
  accessIPv6?: string;
  security_groups?: Array<{ name?: string }>;
  trusted_image_certificates?: string[] | null;
  host?: string;
  hypervisor_hostname?: string;
  hostname?: string;
  block_device_mapping_v2?: BlockDeviceMappingV2[];
  /** The legacy (v1) mappings: volume_id / snapshot_id and a device name. */
  block_device_mapping?: LegacyBlockDeviceMapping[];
  max_count?: number | string;
}

export interface CreateOptions {
  personality: PersonalityFile[];
  configDrive: boolean;
  accessIPv4?: string;
  accessIPv6?: string;
  /** Requested security group names, deduplicated (Nova: list(set(...))); undefined: none asked. */
  securityGroups?: string[];
  trustedImageCertificates?: string[];
  requestedHost?: string;
  requestedNode?: string;
  hostname?: string;
  blockDeviceMappings: BlockDeviceMappingV2[];
}

const unexpected = (key: string) =>
  invalid(`Invalid input for field/attribute server. Additional properties are not allowed ('${key}' was unexpected)`);

/** Nova's parameter_types.boolean. */
const TRUE = new Set([true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes']);
const FALSE = new Set([false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']);

/** Each key and the microversion range its schema accepts it in ([from, to] minor versions). */
const GATES: Record<string, [number, number]> = {
  personality: [1, 56],
  trusted_image_certificates: [63, Number.POSITIVE_INFINITY],
  host: [74, Number.POSITIVE_INFINITY],
  hypervisor_hostname: [74, Number.POSITIVE_INFINITY],
  hostname: [90, Number.POSITIVE_INFINITY],
};

const HOSTNAME = /^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Python's repr of a string, as jsonschema quotes values in its messages. */
const repr = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/**
 * accessIPv6 as Nova stores it: netaddr's compact form, IPv4-in-IPv6 tails in hex (Tempest sends
 * `0000:0000:0000:0000:0000:babe:220.12.22.2` and reads back `::babe:dc0c:1602`).
 */
export function normalizeIPv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

export function parseCreateOptions(mv: Microversion, s: CreateOptionsBody): CreateOptions {
  for (const [key, [from, to]] of Object.entries(GATES)) {
    // Nova's schema for the version in force has no such property: additionalProperties.
    if (!Object.hasOwn(s, key)) continue;
    if (!atLeast(mv, from) || (to !== Number.POSITIVE_INFINITY && atLeast(mv, to + 1))) throw unexpected(key);
  }
  const personality = s.personality ?? [];
  for (const f of personality) {
    if (f.contents !== undefined && !BASE64.test(f.contents.replace(/\s/g, '')))
      throw invalid(
        `Invalid input for field/attribute contents. Value: ${f.contents}. ${repr(f.contents)} is not a 'base64'`,
      );
  }
  let configDrive = false;
  if (s.config_drive !== undefined) {
    if (TRUE.has(s.config_drive)) configDrive = true;
    else if (!FALSE.has(s.config_drive))
      throw invalid(
        `Invalid input for field/attribute config_drive. Value: ${String(s.config_drive)}. ${repr(s.config_drive)} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']`,
      );
  }
  if (s.accessIPv4 !== undefined && !isIPv4(s.accessIPv4))
    throw invalid(
      `Invalid input for field/attribute accessIPv4. Value: ${s.accessIPv4}. ${repr(s.accessIPv4)} is not a 'ipv4'`,
    );
  if (s.accessIPv6 !== undefined && !isIPv6(s.accessIPv6))
    throw invalid(
      `Invalid input for field/attribute accessIPv6. Value: ${s.accessIPv6}. ${repr(s.accessIPv6)} is not a 'ipv6'`,
    );
  const securityGroups =
    s.security_groups === undefined
      ? undefined
      : [...new Set(s.security_groups.map((g) => g.name).filter((n): n is string => !!n))];
  const hostname = s.hostname;
  // 2.90-2.93: Nova's parameter_types.hostname; from 2.94 an FQDN (the JSON schema's pattern).
  if (hostname !== undefined && !atLeast(mv, 94) && !HOSTNAME.test(hostname))
    throw invalid(
      hostname.length > 63
        ? `Invalid input for field/attribute hostname. Value: ${hostname}. ${repr(hostname)} is too long`
        : hostname.length < 2
          ? `Invalid input for field/attribute hostname. Value: ${hostname}. ${repr(hostname)} is too short`
          : `Invalid input for field/attribute hostname. Value: ${hostname}. ${repr(hostname)} does not match '${HOSTNAME.source}'`,
    );
  // Nova: AmbiguousHostnameForMultipleInstances (compute/api.py) before anything is created.
  if (hostname !== undefined && s.max_count !== undefined && Number(s.max_count) > 1)
    throw invalid('Unable to allocate a single hostname to multiple instances');
  if (s.block_device_mapping?.length && s.block_device_mapping_v2?.length)
    throw invalid('Using different block_device_mapping syntaxes is not allowed in the same request.');
  const imageGiven = s.imageRef !== undefined && s.imageRef !== '';
  const bdms = s.block_device_mapping?.length ? fromLegacy(s.block_device_mapping) : (s.block_device_mapping_v2 ?? []);
  for (const b of s.block_device_mapping_v2 ?? []) checkBdm(b, imageGiven);
  return {
    personality,
    configDrive,
    accessIPv4: s.accessIPv4,
    accessIPv6: s.accessIPv6 === undefined ? undefined : normalizeIPv6(s.accessIPv6),
    securityGroups,
    trustedImageCertificates: s.trusted_image_certificates ?? undefined,
    requestedHost: s.host,
    requestedNode: s.hypervisor_hostname,
    hostname,
    blockDeviceMappings: bdms,
  };
}

const bdmInvalid = (details: string) => invalid(`Block Device Mapping is Invalid: ${details}`);

/**
 * Nova's BlockDeviceDict.from_api (nova/block_device.py): the shape of one mapping. The volume
 * checks (does it exist, is it available and bootable, the boot sequence) are the compute API's
 * _validate_bdm, in boot-volumes.ts. Only image → local is a local disk here, as the root.
 */
function checkBdm(b: BlockDeviceMappingV2, imageGiven: boolean): void {
  if (b.no_device) return;
  const src = b.source_type;
  if (src === 'blank' && b.uuid) throw bdmInvalid('Invalid device UUID.');
  if (src !== 'blank' && !b.uuid) throw bdmInvalid('Missing device UUID.');
  if (b.boot_index !== undefined && b.boot_index !== null && !/^-?[0-9]+$/.test(String(b.boot_index)))
    throw invalid(
      `Invalid input for field/attribute boot_index. Value: ${String(b.boot_index)}. ${repr(b.boot_index)} does not match '^-?[0-9]+$'`,
    );
  if (src === 'image' && b.destination_type !== 'volume') {
    const bootIndex = b.boot_index === undefined || b.boot_index === null ? -1 : Number(b.boot_index);
    if (!(imageGiven && bootIndex === 0)) throw bdmInvalid('Mapping image to local is not supported.');
  }
  if (b.destination_type === 'local' && b.volume_type)
    throw bdmInvalid('Specifying a volume_type with destination_type=local is not supported.');
  if (src === 'volume' && b.volume_type)
    throw bdmInvalid('Specifying volume type to existing volume is not supported.');
  // Stratus has no ephemeral or swap disks: a blank, volume or snapshot source goes to a volume.
  if (src !== 'image' && b.destination_type === 'local')
    throw bdmInvalid('only image to local mappings can be booted as local disks.');
  if (b.volume_size !== undefined && b.volume_size !== null && !/^[0-9]+$/.test(String(b.volume_size)))
    throw invalid(
      `Invalid input for field/attribute volume_size. Value: ${String(b.volume_size)}. ${repr(b.volume_size)} does not match '^[0-9]+$'`,
    );
  if (
    b.delete_on_termination !== undefined &&
    !TRUE.has(b.delete_on_termination) &&
    !FALSE.has(b.delete_on_termination)
  )
    throw invalid(
      `Invalid input for field/attribute delete_on_termination. Value: ${String(b.delete_on_termination)}. ${repr(b.delete_on_termination)} is not of type 'boolean'`,
    );
}

/** Nova's parameter_types.boolean as a value (delete_on_termination). */
export const novaTrue = (v: unknown) => TRUE.has(v as string | boolean);
