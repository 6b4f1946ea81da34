import type { Compilable, QueryId, QueryResult, RootOperationNode } from 'kysely';
import type { Executor } from './executor.js';

/**
 * A repository query that Kysely builds and compiles once, then runs with new values.
 * Building and compiling the query tree cost as much CPU as running our small indexed
 * statements on SQLite, so the queries on the path of every delete go through here.
 *
 * `build` is called with placeholders instead of the strings and numbers it is given (also
 * inside plain objects and arrays), so it may only hand them to Kysely as values, never use them
 * as identifiers or branch on them. What can change the SQL text is part of the cache key:
 * null, undefined, booleans, object keys, array lengths, and the dialect.
 */
export function prepared<A extends unknown[], R>(
  build: (ex: Executor, ...args: A) => Compilable<R>,
): (ex: Executor, ...args: A) => Promise<QueryResult<R>> {
  const byDialect = new WeakMap<object, Map<string, Template>>();
  return async (ex, ...args) => {
    const adapter = ex.getExecutor().adapter;
    let templates = byDialect.get(adapter);
    if (!templates) {
      templates = new Map();
      byDialect.set(adapter, templates);
    }
    const values: unknown[] = [];
    const key = shapeOf(args, values);
    let t = templates.get(key);
    if (!t) {
      t = compileTemplate(build(ex, ...(withPlaceholders(args, { n: 0 }) as A)));
      templates.set(key, t);
    }
    const parameters = t.slots.map((s) => (s.arg !== undefined ? values[s.arg] : s.value));
    return ex.executeQuery<R>({ query: t.query, queryId: t.queryId, sql: t.sql, parameters });
  };
}

interface Template {
  sql: string;
  query: RootOperationNode;
  queryId: QueryId;
  slots: Array<{ arg?: number; value?: unknown }>;
}

const MARK = '\u0000stratus-arg:';

function compileTemplate(q: Compilable<unknown>): Template {
  const c = q.compile();
  const slots = c.parameters.map((p) =>
    typeof p === 'string' && p.startsWith(MARK) ? { arg: Number(p.slice(MARK.length)) } : { value: p },
  );
  return { sql: c.sql, query: c.query, queryId: c.queryId, slots };
}

const substitutable = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint';
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** The cache key of `v`, collecting its substitutable values in the order withPlaceholders numbers them. */
function shapeOf(v: unknown, values: unknown[]): string {
  if (substitutable(v)) {
    values.push(v);
    return '$';
  }
  if (v === null) return 'n';
  if (v === undefined) return 'u';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (Array.isArray(v)) {
    let s = '[';
    for (const x of v) s += shapeOf(x, values) + ',';
    return s + ']';
  }
  if (isPlainObject(v)) {
    let s = '{';
    for (const k in v) s += k + ':' + shapeOf(v[k], values) + ',';
    return s + '}';
  }
  throw new Error(`prepared query: unsupported argument ${Object.prototype.toString.call(v)}`);
}

function withPlaceholders(v: unknown, counter: { n: number }): unknown {
  if (substitutable(v)) return MARK + counter.n++;
  if (Array.isArray(v)) return v.map((x) => withPlaceholders(x, counter));
  if (isPlainObject(v)) {
    const o: Record<string, unknown> = {};
    for (const k in v) o[k] = withPlaceholders(v[k], counter);
    return o;
  }
  return v;
}
