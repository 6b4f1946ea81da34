/**
 * Request checks of the remote consoles, after nova/api/openstack/compute/schemas/remote_consoles.py:
 * one wrapper object (`os-getVNCConsole`…, or `remote_console` from 2.6) of enum-valued string
 * fields, all required, no others; checked in jsonschema's order with Nova's messages.
 */
import { invalid } from '../../domain/errors.js';
import { pyRepr } from './nova-validation.js';
import type { ConsoleProtocol } from './remote-consoles.js';

const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));
const fieldError = (field: string, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const unexpected = (extra: string[]) =>
  `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`;

/** Checks `inner` (the value of `wrapper`) against `fields` (name → allowed values). */
function checkInner(wrapper: string, inner: unknown, fields: Record<string, string[]>): Record<string, string> {
  if (!isObject(inner)) throw fieldError(wrapper, inner, `${pyRepr(inner)} is not of type 'object'`);
  for (const [name, allowed] of Object.entries(fields)) {
    if (!(name in inner)) continue;
    const v = inner[name];
    if (typeof v !== 'string') throw fieldError(name, v, `${pyRepr(v)} is not of type 'string'`);
    if (!allowed.includes(v)) throw fieldError(name, v, `${pyRepr(v)} is not one of ${pyRepr(allowed)}`);
  }
  for (const name of Object.keys(fields))
    if (!(name in inner)) throw fieldError(wrapper, inner, `'${name}' is a required property`);
  const extra = Object.keys(inner).filter((k) => !(k in fields));
  if (extra.length) throw fieldError(wrapper, inner, unexpected(extra));
  return inner as Record<string, string>;
}

/** The legacy actions (2.1–2.5): their key, the protocol it asks for and the types its schema allows. */
export const LEGACY_CONSOLE_ACTIONS: Record<string, { protocol: ConsoleProtocol; types: string[] }> = {
  'os-getVNCConsole': { protocol: 'vnc', types: ['novnc', 'xvpvnc'] },
  'os-getSPICEConsole': { protocol: 'spice', types: ['spice-html5'] },
  'os-getSerialConsole': { protocol: 'serial', types: ['serial'] },
  // Nova 29.0.0 dropped its schema to {} (anything goes) and answers a bare 400.
  'os-getRDPConsole': { protocol: 'rdp', types: [] },
};

export function parseLegacyConsole(key: string, value: unknown): { protocol: ConsoleProtocol; type: string } {
  const spec = LEGACY_CONSOLE_ACTIONS[key];
  if (spec.protocol === 'rdp') return { protocol: 'rdp', type: 'rdp-html5' };
  const inner = checkInner(key, value, { type: spec.types });
  return { protocol: spec.protocol, type: inner.type };
}

/** POST /servers/{id}/remote-consoles (2.6; 2.8 adds mks/webmks). */
export function parseCreateRemoteConsole(body: unknown, minor: number): { protocol: ConsoleProtocol; type: string } {
  if (!isObject(body)) throw invalid(`${pyRepr(body ?? null)} is not of type 'object'`);
  const protocols = ['vnc', 'spice', 'serial', 'rdp', ...(minor >= 8 ? ['mks'] : [])];
  const types = ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5', ...(minor >= 8 ? ['webmks'] : [])];
  if ('remote_console' in body) {
    const inner = checkInner('remote_console', body.remote_console, { protocol: protocols, type: types });
    const extra = Object.keys(body).filter((k) => k !== 'remote_console');
    if (extra.length) throw invalid(unexpected(extra));
    return { protocol: inner.protocol as ConsoleProtocol, type: inner.type };
  }
  throw invalid("'remote_console' is a required property");
}
