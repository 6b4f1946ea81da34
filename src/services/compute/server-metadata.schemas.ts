import { pyRepr } from './nova-validation.js';
/**
 * Request bodies of the server metadata and tags APIs, checked by hand so that each refusal
 * carries the text Nova's validator gives (nova/api/validation/validators.py formats the
 * jsonschema error of nova/api/openstack/compute/schemas/server_metadata.py, server_tags.py and
 * parameter_types.metadata / .tag): "Invalid input for field/attribute <last path element>.
 * Value: <str(value)>. <jsonschema message>", or the bare message for the body itself. The
 * keywords are checked in the order jsonschema meets them in those schemas.
 */

import { invalid } from '../../domain/errors.js';

/** Nova's parameter_types.metadata key pattern (keys 1..255 of these characters). */
export const METADATA_KEY_PATTERN = '^[a-zA-Z0-9-_:. ]{1,255}$';
const METADATA_KEY_RE = /^[a-zA-Z0-9_:. -]{1,255}$/;
export const METADATA_VALUE_MAX = 255;
/** nova/objects/tag.py MAX_TAG_LENGTH and parameter_types.tag's pattern. */
export const MAX_TAG_LENGTH = 60;
export const TAG_PATTERN = '^[^,/]*$';
/** nova/objects/instance.py MAX_TAG_COUNT. */
export const MAX_TAG_COUNT = 50;

/** Python's str() of a value: a string as it is, anything else as repr. */
const pyStrOf = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));

/** The validator's text for an error at a path whose last element is `field`. */
const fieldError = (field: string | number, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStrOf(value)}. ${message}`);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** jsonschema's name of a JSON value's type in "is not of type" messages. */
function notOfType(value: unknown, type: 'object' | 'string' | 'array'): string {
  return `${pyRepr(value)} is not of type '${type}'`;
}

function extrasMessage(extras: string[]): string {
  return `Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`;
}

/** `{"<key>": {...}}` and nothing else at the top (type, properties, required, additionalProperties). */
function topLevel(body: unknown, key: string): unknown {
  if (!isObject(body)) throw invalid(notOfType(body ?? null, 'object'));
  const inner = body[key];
  return inner;
}

function afterInner(body: Record<string, unknown>, key: string): void {
  if (!Object.hasOwn(body, key)) throw invalid(`${pyRepr(key)} is a required property`);
  const extras = Object.keys(body).filter((k) => k !== key);
  if (extras.length) throw invalid(extrasMessage(extras.sort()));
}

/** parameter_types.metadata: keys of the pattern, string values of at most 255 characters. */
function metadataObject(field: string, value: unknown, size?: { min: number; max: number }): Record<string, string> {
  if (!isObject(value)) throw fieldError(field, value, notOfType(value, 'object'));
  for (const [k, v] of Object.entries(value)) {
    if (!METADATA_KEY_RE.test(k)) continue; // reported by additionalProperties below
    if (typeof v !== 'string') throw fieldError(k, v, notOfType(v, 'string'));
    if ([...v].length > METADATA_VALUE_MAX) throw fieldError(k, v, `${pyRepr(v)} is too long`);
  }
  const bad = Object.keys(value)
    .filter((k) => !METADATA_KEY_RE.test(k))
    .sort();
  if (bad.length)
    throw fieldError(
      field,
      value,
      `${bad.map(pyRepr).join(', ')} ${bad.length === 1 ? 'does' : 'do'} not match any of the regexes: ${pyRepr(METADATA_KEY_PATTERN)}`,
    );
  const n = Object.keys(value).length;
  if (size && n < size.min) throw fieldError(field, value, `${pyRepr(value)} should be non-empty`);
  if (size && n > size.max) throw fieldError(field, value, `${pyRepr(value)} has too many properties`);
  return value as Record<string, string>;
}

/** POST and PUT /servers/{id}/metadata: `{"metadata": {...}}`. */
export function metadataBody(body: unknown): Record<string, string> {
  const inner = topLevel(body, 'metadata');
  const b = body as Record<string, unknown>;
  const metadata = Object.hasOwn(b, 'metadata') ? metadataObject('metadata', inner) : undefined;
  afterInner(b, 'metadata');
  return metadata!;
}

/** PUT /servers/{id}/metadata/{key}: `{"meta": {"<key>": "<value>"}}`, exactly one item. */
export function metaItemBody(body: unknown): Record<string, string> {
  const inner = topLevel(body, 'meta');
  const b = body as Record<string, unknown>;
  const meta = Object.hasOwn(b, 'meta') ? metadataObject('meta', inner, { min: 1, max: 1 }) : undefined;
  afterInner(b, 'meta');
  return meta!;
}

/** The jsonschema message for a tag that parameter_types.tag refuses, or null for a good one. */
export function tagProblem(tag: unknown): string | null {
  if (typeof tag !== 'string') return notOfType(tag, 'string');
  if (!/^[^,/]*$/.test(tag)) return `${pyRepr(tag)} does not match ${pyRepr(TAG_PATTERN)}`;
  if (tag.length === 0) return `${pyRepr(tag)} should be non-empty`;
  if ([...tag].length > MAX_TAG_LENGTH) return `${pyRepr(tag)} is too long`;
  return null;
}

/** PUT /servers/{id}/tags: `{"tags": [<tag>, ...]}`, at most 50. */
export function tagsBody(body: unknown): string[] {
  topLevel(body, 'tags');
  const b = body as Record<string, unknown>;
  if (Object.hasOwn(b, 'tags')) {
    const tags = b.tags;
    if (!Array.isArray(tags)) throw fieldError('tags', tags, notOfType(tags, 'array'));
    tags.forEach((t, i) => {
      const problem = tagProblem(t);
      if (problem) throw fieldError(i, t, problem);
    });
    if (tags.length > MAX_TAG_COUNT) throw fieldError('tags', tags, `${pyRepr(tags)} is too long`);
  }
  afterInner(b, 'tags');
  return b.tags as string[];
}

/** PUT /servers/{id}/tags/{tag} takes no body (Nova's schema: `{"type": "null"}`). */
export function noBody(body: unknown): void {
  if (body !== undefined && body !== null) throw invalid(`${pyRepr(body)} is not of type 'null'`);
}
