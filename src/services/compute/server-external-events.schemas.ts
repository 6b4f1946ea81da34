/**
 * The body of POST /os-server-external-events, after
 * nova/api/openstack/compute/schemas/server_external_events.py (the event names grow at 2.51,
 * 2.76, 2.82 and 2.93). Checked by hand in the order jsonschema meets the keywords, with the
 * messages Nova's validator gives.
 */
import { invalid } from '../../domain/errors.js';
import { pyRepr } from './nova-validation.js';
import { canonicalUuid } from '../access.js';

export interface ExternalEvent {
  name: string;
  server_uuid: string;
  status?: string;
  tag?: string;
}

const STATUSES = ['failed', 'completed', 'in-progress'];

/** The event names a microversion accepts. */
export function eventNames(minor: number): string[] {
  const names = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'];
  if (minor >= 51) names.push('volume-extended');
  if (minor >= 76) names.push('power-update');
  if (minor >= 82) names.push('accelerator-request-bound');
  if (minor >= 93) names.push('volume-reimaged');
  return names;
}

const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));
const fieldError = (field: string | number, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const extrasMessage = (extras: string[]) =>
  `Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`;

function checkEvent(e: unknown, index: number, names: string[]): ExternalEvent {
  if (!isObject(e)) throw fieldError(index, e, `${pyRepr(e)} is not of type 'object'`);
  if ('name' in e && (typeof e.name !== 'string' || !names.includes(e.name)))
    throw fieldError(
      'name',
      e.name,
      typeof e.name !== 'string'
        ? `${pyRepr(e.name)} is not of type 'string'`
        : `${pyRepr(e.name)} is not one of ${pyRepr(names)}`,
    );
  if ('server_uuid' in e) {
    if (typeof e.server_uuid !== 'string')
      throw fieldError('server_uuid', e.server_uuid, `${pyRepr(e.server_uuid)} is not of type 'string'`);
    if (!canonicalUuid(e.server_uuid))
      throw fieldError('server_uuid', e.server_uuid, `${pyRepr(e.server_uuid)} is not a 'uuid'`);
  }
  if ('status' in e && (typeof e.status !== 'string' || !STATUSES.includes(e.status)))
    throw fieldError(
      'status',
      e.status,
      typeof e.status !== 'string'
        ? `${pyRepr(e.status)} is not of type 'string'`
        : `${pyRepr(e.status)} is not one of ${pyRepr(STATUSES)}`,
    );
  if ('tag' in e) {
    if (typeof e.tag !== 'string') throw fieldError('tag', e.tag, `${pyRepr(e.tag)} is not of type 'string'`);
    if ([...e.tag].length > 255) throw fieldError('tag', e.tag, `${pyRepr(e.tag)} is too long`);
  }
  for (const required of ['name', 'server_uuid'])
    if (!(required in e)) throw fieldError(index, e, `${pyRepr(required)} is a required property`);
  const extras = Object.keys(e).filter((k) => !['name', 'server_uuid', 'status', 'tag'].includes(k));
  if (extras.length) throw fieldError(index, e, extrasMessage(extras));
  return e as unknown as ExternalEvent;
}

export function parseExternalEvents(body: unknown, minor: number): ExternalEvent[] {
  if (!isObject(body)) throw invalid(`${pyRepr(body ?? null)} is not of type 'object'`);
  const names = eventNames(minor);
  if ('events' in body) {
    const events = body.events;
    if (!Array.isArray(events)) throw fieldError('events', events, `${pyRepr(events)} is not of type 'array'`);
    if (events.length < 1) throw fieldError('events', events, `${pyRepr(events)} should be non-empty`);
    for (const [i, e] of events.entries()) checkEvent(e, i, names);
  }
  if (!('events' in body)) throw invalid("'events' is a required property");
  const extras = Object.keys(body).filter((k) => k !== 'events');
  if (extras.length) throw invalid(extrasMessage(extras));
  return body.events as ExternalEvent[];
}
