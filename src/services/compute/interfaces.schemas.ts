import { isIP } from 'node:net';
import { pyRepr } from './nova-validation.js';
import { invalid } from '../../domain/errors.js';

/**
 * The body of POST /servers/{id}/os-interface, after nova/api/openstack/compute/schemas/
 * attach_interfaces.py (`create`, and `create_v249` with `tag`), checked in jsonschema's order
 * with the messages Nova's validator gives. The body is optional (Nova: `if body:`).
 */
export interface InterfaceBody {
  netId?: string;
  portId?: string;
  fixedIp?: string;
  tag?: string;
}

const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));
const fieldError = (field: string, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const UUID_LIKE = /^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})$/i;
const unexpected = (keys: string[]) =>
  `Additional properties are not allowed (${keys.map((k) => pyRepr(k)).join(', ')} ${keys.length > 1 ? 'were' : 'was'} unexpected)`;

function uuidField(field: string, v: unknown): string {
  if (typeof v !== 'string') throw fieldError(field, v, `${pyRepr(v)} is not of type 'string'`);
  if (!UUID_LIKE.test(v)) throw fieldError(field, v, `${pyRepr(v)} is not a 'uuid'`);
  return v;
}

export function parseInterfaceBody(body: unknown, minor: number): InterfaceBody {
  if (body === undefined || body === null || (isObject(body) && Object.keys(body).length === 0)) return {};
  if (!isObject(body)) throw invalid(`${pyRepr(body)} is not of type 'object'`);
  const out: InterfaceBody = {};
  const a = body.interfaceAttachment;
  if (a !== undefined) {
    if (!isObject(a)) throw fieldError('interfaceAttachment', a, `${pyRepr(a)} is not of type 'object'`);
    if ('net_id' in a) out.netId = uuidField('net_id', a.net_id);
    if ('port_id' in a) out.portId = uuidField('port_id', a.port_id);
    if ('fixed_ips' in a) {
      const f = a.fixed_ips;
      if (!Array.isArray(f)) throw fieldError('fixed_ips', f, `${pyRepr(f)} is not of type 'array'`);
      if (f.length < 1) throw fieldError('fixed_ips', f, `${pyRepr(f)} should be non-empty`);
      if (f.length > 1) throw fieldError('fixed_ips', f, `${pyRepr(f)} is too long`);
      const item = f[0];
      if (!isObject(item)) throw fieldError('0', item, `${pyRepr(item)} is not of type 'object'`);
      if ('ip_address' in item) {
        const ip = item.ip_address;
        if (typeof ip !== 'string') throw fieldError('ip_address', ip, `${pyRepr(ip)} is not of type 'string'`);
        if (isIP(ip) === 0)
          throw fieldError('ip_address', ip, `${pyRepr(ip)} is not valid under any of the given schemas`);
      }
      if (!('ip_address' in item)) throw fieldError('0', item, "'ip_address' is a required property");
      const extra = Object.keys(item).filter((k) => k !== 'ip_address');
      if (extra.length) throw fieldError('0', item, unexpected(extra));
      out.fixedIp = item.ip_address as string;
    }
    if (minor >= 49 && 'tag' in a) {
      const t = a.tag;
      if (typeof t !== 'string') throw fieldError('tag', t, `${pyRepr(t)} is not of type 'string'`);
      if ([...t].length < 1) throw fieldError('tag', t, `${pyRepr(t)} should be non-empty`);
      if ([...t].length > 60) throw fieldError('tag', t, `${pyRepr(t)} is too long`);
      if (/[,/]/.test(t)) throw fieldError('tag', t, `${pyRepr(t)} does not match '^[^,/]*$'`);
      out.tag = t;
    }
    const allowed = ['net_id', 'port_id', 'fixed_ips', ...(minor >= 49 ? ['tag'] : [])];
    const extra = Object.keys(a).filter((k) => !allowed.includes(k));
    if (extra.length) throw fieldError('interfaceAttachment', a, unexpected(extra));
  }
  const extra = Object.keys(body).filter((k) => k !== 'interfaceAttachment');
  if (extra.length) throw invalid(unexpected(extra));
  return out;
}
