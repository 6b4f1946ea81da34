import { schemaInvalid } from '../../domain/identity-errors.js';
import { pyRepr } from '../python-repr.js';

/**
 * Keystone's request-body validation (keystone/common/validation): Draft 4 JSON Schema, the
 * first error as jsonschema words it, `Invalid input for field '<path>': <message>` when it is
 * about a field. Keystone then appends jsonschema's dump of the failing schema ("Failed
 * validating 'type' in schema…"); Stratus stops after the first line, which is what says what
 * was wrong. Only the keywords the identity schemas use are implemented.
 */
export interface Schema {
  type?: 'object' | 'string' | 'boolean' | 'array' | Array<'string' | 'null' | 'boolean' | 'object'>;
  items?: Schema;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  minProperties?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v;

/** The first error of `value` against `schema`, as [path, message], or undefined when valid. */
function firstError(schema: Schema, value: unknown, path: string[]): [string[], string] | undefined {
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.includes(typeOf(value) as never))
      return [path, `${pyRepr(value)} is not of type ${types.map((t) => `'${t}'`).join(', ')}`];
  }
  if (typeof value === 'string') {
    // jsonschema counts code points, as Python's len() does.
    const len = [...value].length;
    if (schema.minLength !== undefined && len < schema.minLength) return [path, `${pyRepr(value)} is too short`];
    if (schema.maxLength !== undefined && len > schema.maxLength) return [path, `${pyRepr(value)} is too long`];
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      return [path, `${pyRepr(value)} does not match '${schema.pattern}'`];
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return [path, `${pyRepr(value)} is too long`];
    if (schema.items)
      for (const [i, item] of value.entries()) {
        const e = firstError(schema.items, item, [...path, String(i)]);
        if (e) return e;
      }
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = schema.properties ?? {};
    // jsonschema's order for these keywords: properties, then required, additionalProperties, minProperties.
    for (const [k, sub] of Object.entries(props)) {
      if (Object.hasOwn(obj, k)) {
        const e = firstError(sub, obj[k], [...path, k]);
        if (e) return e;
      }
    }
    for (const k of schema.required ?? []) if (!Object.hasOwn(obj, k)) return [path, `'${k}' is a required property`];
    if (schema.additionalProperties === false) {
      const extra = Object.keys(obj).filter((k) => !Object.hasOwn(props, k));
      if (extra.length > 0) {
        const names = extra.map((k) => `'${k}'`).join(', ');
        return [
          path,
          `Additional properties are not allowed (${names} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
        ];
      }
    }
    if (schema.minProperties !== undefined && Object.keys(obj).length < schema.minProperties)
      return [path, `${pyRepr(obj)} does not have enough properties`];
  }
  return undefined;
}

/** Throws Keystone's 400 SchemaValidationError for the first thing wrong with `value`. */
export function validate(schema: Schema, value: unknown): void {
  const e = firstError(schema, value, []);
  if (!e) return;
  const [path, message] = e;
  throw schemaInvalid(path.length ? `Invalid input for field '${path.join('/')}': ${message}` : message);
}

/** Keystone's parameter_types (keystone/common/validation/parameter_types.py). */
export const types = {
  idString: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' } as Schema,
  nullableIdString: { type: ['string', 'null'], minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' } as Schema,
  name: { type: 'string', minLength: 1, maxLength: 255, pattern: '[\\S]+' } as Schema,
  projectName: { type: 'string', minLength: 1, maxLength: 64, pattern: '[\\S]+' } as Schema,
  domainName: { type: 'string', minLength: 1, maxLength: 64, pattern: '[\\S]+' } as Schema,
  description: { type: ['string', 'null'] } as Schema,
  boolean: { type: 'boolean' } as Schema,
  password: { type: ['string', 'null'] } as Schema,
  // Keystone's project tags: at most 80, each 1..255 characters without '/' or ','.
  tags: {
    type: 'array',
    maxItems: 80,
    items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' },
  } as Schema,
};
