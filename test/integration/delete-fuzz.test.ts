/**
 * Property-based fuzzing of the delete path (docs/delete-server.md):
 * `DELETE /v2.1/servers/{id}` and `DELETE /v2.1/{project_id}/servers/{id}`, plus every other
 * method on the same path, with random ids, tokens, microversion headers, project ids and bodies.
 * A pool of servers (member's project, one locked by the member; 'other' project; admin project)
 * is kept stocked: each accepted delete is replaced by a new server of the same owner and lock.
 *
 * Checked for every response (wire format; collected and reported together at the end):
 *  - never a 5xx, except a deliberate 503 carrying `Retry-After`;
 *  - every response carries `x-openstack-request-id` / `x-compute-request-id`;
 *  - every 4xx/5xx body is a Nova fault `{"<key>": {"code": <status>, "message": "..."}}`
 *    (JSON, exactly one key, the key Nova uses for that status), except 401 whose body is
 *    Keystone's `{"error": {"code": 401, "title": "Unauthorized", "message": ...}}`
 *    with `WWW-Authenticate`; a 405 carries `Allow`; a 204 has an empty body;
 *  - PATCH / POST / OPTIONS on a routable server path are 405 badMethod with `Allow` (§2, §3.1).
 * Checked for every response (semantics; fails at once, shrunk by fast-check):
 *  - a 204 to a DELETE only ever goes to a caller allowed to delete that server (admin, or a
 *    member of its project while it is not locked), and names an existing server;
 *  - for "clean" DELETE requests (valid persona token, valid or absent microversion, own or
 *    no project id, an id naming a known server not yet deleted, no body) the status and fault
 *    are the ones the contract gives (204 / 403 forbidden / 404 / 409 "Instance <id> is locked").
 * After the run (and `cloud.drain()`): the process still answers, every server that is gone was
 * the target of a 204 DELETE from an allowed caller, and every such target is gone.
 *
 * Reproduce or fuzz longer with STRATUS_FUZZ_SEED=<n> STRATUS_FUZZ_RUNS=<n>; STRATUS_FUZZ_VERBOSE=1
 * prints the status histogram.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TestCloud, type Persona } from '../../src/testing/kit.js';

const PERSONAS: Persona[] = ['admin', 'member', 'reader', 'other'];
const METHODS = ['GET', 'PUT', 'PATCH', 'DELETE', 'POST', 'OPTIONS', 'HEAD'] as const;
type Method = (typeof METHODS)[number];

/** Nova's fault key for each status (wsgi.Fault._fault_names; 406 is computeFault). */
const FAULT_KEYS: Record<number, string> = {
  400: 'badRequest',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  406: 'computeFault',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  503: 'serviceUnavailable',
};

const REQUEST_TIMEOUT_MS = 5000;

/**
 * The oracle's own UUID rule, written from the rule rather than copied from access.ts: 32 hex
 * digits in any case, each of the four dashes of the 8-4-4-4-12 form optional; the canonical
 * form is the lower-case dashed one. A server is only attributed a request whose id passes.
 */
function canonical(id: string): string | null {
  let hex = '';
  let lastWasDash = false;
  for (const ch of id.toLowerCase()) {
    if (ch === '-') {
      // A dash may only follow the 8th, 12th, 16th or 20th digit, and only once there.
      if (![8, 12, 16, 20].includes(hex.length) || lastWasDash) return null;
      lastWasDash = true;
      continue;
    }
    if (!'0123456789abcdef'.includes(ch) || hex.length === 32) return null;
    hex += ch;
    lastWasDash = false;
  }
  if (hex.length !== 32) return null;
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

interface ServerModel {
  id: string;
  owner: Persona;
  project: string;
  locked: boolean;
}

/** Who may delete: admin, or a member (role member) of the server's project while it is not locked. */
function mayDelete(cloud: TestCloud, persona: Persona | null, s: ServerModel): boolean {
  if (persona === 'admin') return true;
  if (persona === 'member' || persona === 'other') return cloud.projects[persona] === s.project && !s.locked;
  return false;
}

// ---------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------

/** Characters safe to put raw into a path segment (no '/', '?', '#', '\\'), plus a raw '%'. */
const SAFE_RAW = [..."abcdefXYZ0189-_.~!$&'()*+,;=:@%"];
const PRINTABLE = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i));
const TOKEN_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
const HEX = [...'0123456789abcdef'];

const pctBytes = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 })
  .chain((bytes) =>
    fc
      .boolean()
      .map((upper) =>
        bytes.map((b) => '%' + (upper ? b.toString(16).toUpperCase() : b.toString(16)).padStart(2, '0')).join(''),
      ),
  );

/** Ways of writing an existing server's id (the first five still name it once the router decodes them). */
const ID_VARIANTS: Array<(id: string) => string> = [
  (id) => id,
  (id) => id.toUpperCase(),
  (id) => id.replace(/-/g, ''),
  (id) => [...id].map((c) => '%' + c.charCodeAt(0).toString(16)).join(''), // fully percent-encoded
  (id) => id + '/', // trailing slash
  (id) => id.slice(0, -1), // one char short
  (id) => id + '0', // one char long
  (id) => '%20' + id, // leading space
];

/** An id is either one of the servers of the pool (resolved when the request is made: the pool changes) or raw text. */
type IdChoice = { kind: 'server'; pick: number; live: boolean; variant: number } | { kind: 'raw'; value: string };

const idArb: fc.Arbitrary<IdChoice> = (() => {
  const existing = fc.record({
    kind: fc.constant('server' as const),
    pick: fc.nat(),
    live: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    variant: fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 6, arbitrary: fc.nat({ max: ID_VARIANTS.length - 1 }) },
    ),
  });
  const junk = fc.constantFrom(
    '',
    'detail',
    'action',
    '-1',
    '0',
    'abc',
    'null',
    'undefined',
    'true',
    '%',
    '%%',
    '%zz',
    '%0',
    '%00',
    '%FF',
    '%C3%28',
    '%ED%A0%80',
    '%2F',
    '%2f..%2f',
    '%2e%2e',
    '..',
    '.',
    '%E2%80%AE',
    '%EF%BF%BF',
    '%F4%90%80%80',
    '%25',
    '00000000-0000-0000-0000-000000000000',
    '1e309',
    'NaN',
    'Infinity',
    '9007199254740993',
    '0x1f',
    '{}',
    '[]',
    "'",
    '%22',
  );
  const garbage = fc.string({ unit: fc.constantFrom(...SAFE_RAW), maxLength: 40 });
  const huge = fc.oneof(
    { weight: 3, arbitrary: fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).map(String) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 3000 }).map((n) => '9'.repeat(n)) },
  );
  const unicodeRaw = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !/[/?#\\]/.test(s));
  const unicodeEncoded = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((s) => encodeURIComponent(s));
  const raw = fc
    .oneof(
      { weight: 2, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: junk },
      { weight: 2, arbitrary: garbage },
      { weight: 1, arbitrary: huge },
      { weight: 1, arbitrary: pctBytes },
      { weight: 1, arbitrary: unicodeRaw },
      { weight: 1, arbitrary: unicodeEncoded },
    )
    .map((value) => ({ kind: 'raw' as const, value }));
  return fc.oneof({ weight: 3, arbitrary: existing }, { weight: 2, arbitrary: raw });
})();

type AuthChoice =
  | { kind: 'persona'; persona: Persona }
  | { kind: 'garbage'; token: string }
  | { kind: 'missing' }
  | { kind: 'empty' };
const authArb: fc.Arbitrary<AuthChoice> = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom(...PERSONAS).map((persona) => ({ kind: 'persona' as const, persona })) },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 300 })
      .map((token) => ({ kind: 'garbage' as const, token })),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({
        unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'),
        minLength: 43,
        maxLength: 43,
      })
      .map((s) => ({ kind: 'garbage' as const, token: 'stx' + s })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'missing' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
);

const versionValueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 96 }).map((n) => `2.${n}`) },
  { weight: 2, arbitrary: fc.constantFrom('latest', 'LATEST', 'Latest') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('2.0', '2.97', '2.100', '2.999999', '3.0', '1.1', '1.0', '9.9', '2.9999999', '999999.1'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'abc',
      '2',
      '2.',
      '.5',
      '2.1.1',
      '-2.1',
      '2.-1',
      '02.1',
      '2.01',
      '2.1a',
      ' 2.5 ',
      '2.1e1',
      '2,1',
      'compute',
      'v2.1',
      '2 .1',
      '0.0',
      '2.1, 2.2',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 20 }) },
);
interface VersionHeaders {
  modern: string | null;
  legacy: string | null;
}
/** Mostly absent: a header is present in 2 requests out of 5. */
const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: arb });
const versionArb: fc.Arbitrary<VersionHeaders> = fc.record({
  modern: sometimes(
    fc.oneof(
      { weight: 4, arbitrary: versionValueArb.map((v) => `compute ${v}`) },
      { weight: 1, arbitrary: versionValueArb.map((v) => `volume ${v}`) },
      { weight: 1, arbitrary: versionValueArb.map((v) => `volume 3.0, compute ${v}`) },
      { weight: 1, arbitrary: versionValueArb.map((v) => `COMPUTE ${v}`) },
      { weight: 1, arbitrary: versionValueArb },
    ),
  ),
  legacy: sometimes(versionValueArb),
});

type ProjectChoice =
  | { kind: 'none' }
  | { kind: 'own' }
  | { kind: 'persona'; persona: Persona; upper: boolean }
  | { kind: 'raw'; value: string };
const projectArb: fc.Arbitrary<ProjectChoice> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'own' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('persona' as const),
      persona: fc.constantFrom(...PERSONAS),
      upper: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.string({ unit: fc.constantFrom(...HEX), minLength: 1, maxLength: 40 }),
        fc.string({ unit: fc.constantFrom(...SAFE_RAW), minLength: 1, maxLength: 40 }),
        fc.constantFrom('servers', 'v2.1', 'admin', 'demo', '-', '%2F', '%00', '%zz', 'ABCDEF', '0'.repeat(2500)),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).map(encodeURIComponent),
      )
      .map((value) => ({ kind: 'raw' as const, value })),
  },
);

interface BodyChoice {
  text: string;
  contentType: string | null;
}
const malformedJson = fc.constantFrom(
  '{',
  '}',
  '{"server":',
  '[1,2',
  'nul',
  '{"a":1,}',
  "{'a':1}",
  'NaN',
  '\u0000',
  '{"a":"\\x"}',
  '"unterminated',
  '{"a":1}{"b":2}',
  '\uFEFF{}',
);
const structuredBodies = fc.constantFrom(
  '{"server":{"name":"renamed"}}',
  '{"server":{}}',
  '{"server":null}',
  '{"lock":null}',
  '{"unlock":null}',
  '{"forceDelete":null}',
  '{"os-resetState":{"state":"error"}}',
  '{"server":{"name":"x","description":"y"}}',
  '{}',
  '[]',
  'null',
  '0',
  '""',
);
const hugeBody = fc
  .tuple(fc.integer({ min: 50_000, max: 200_000 }), fc.boolean())
  .map(([n, json]) => (json ? `{"server":{"name":"${'x'.repeat(n)}"}}` : 'x'.repeat(n)));
const contentTypeArb: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=UTF-8',
      'application/json; charset=latin1',
      'text/plain',
      'text/xml',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/octet-stream',
      'application/vnd.openstack.compute+json;version=2.1',
      'application/json-patch+json',
      '*/*',
      'json',
      ';',
      '',
      'application/',
      'text/plain; charset=utf-8',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constant(null) },
);
const bodyArb: fc.Arbitrary<BodyChoice | null> = sometimes(
  fc.record({
    text: fc.oneof(
      { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
      { weight: 2, arbitrary: malformedJson },
      { weight: 3, arbitrary: structuredBodies },
      { weight: 1, arbitrary: hugeBody },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 50 }) },
    ),
    contentType: contentTypeArb,
  }),
);

const methodArb: fc.Arbitrary<Method> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('DELETE' as const) },
  { weight: 4, arbitrary: fc.constantFrom(...METHODS) },
);

const extraHeadersArb = fc.record({
  accept: fc.option(fc.constantFrom('application/json', 'application/xml', '*/*', 'text/html', 'garbage'), { freq: 3 }),
  trailingSlash: fc.boolean(),
});

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

interface Sent {
  method: Method;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  persona: Persona | null;
}
interface Got {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

function describe(sent: Sent, got?: Got): string {
  const body =
    sent.body === null
      ? null
      : sent.body.length > 300
        ? `${sent.body.slice(0, 120)}...(${sent.body.length} chars)`
        : sent.body;
  const headers = Object.fromEntries(
    Object.entries(sent.headers).map(([k, v]) => [k, v.length > 120 ? `${v.slice(0, 60)}...(${v.length} chars)` : v]),
  );
  const path = sent.path.length > 300 ? `${sent.path.slice(0, 150)}...(${sent.path.length} chars)` : sent.path;
  const req = `${sent.method} ${path} persona=${sent.persona ?? '-'} headers=${JSON.stringify(headers)} body=${JSON.stringify(body)}`;
  if (!got) return req;
  const resHeaders = Object.fromEntries([...got.headers.entries()]);
  return `${req}\n  -> ${got.status} headers=${JSON.stringify(resHeaders)} body=${got.text.slice(0, 500)}`;
}

async function send(cloud: TestCloud, sent: Sent): Promise<Got> {
  const init: RequestInit = {
    method: sent.method,
    headers: sent.headers,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  };
  if (sent.body !== null) {
    // Without an explicit content-type a string body would get `text/plain`; a byte body gets none at all.
    init.body = 'content-type' in sent.headers ? sent.body : new Uint8Array(Buffer.from(sent.body, 'utf8'));
  }
  let res: Response;
  try {
    res = await fetch(cloud.url + sent.path, init);
  } catch (e) {
    throw new Error(`no answer (${(e as Error).name}: ${(e as Error).message}) to ${describe(sent)}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** The invariants every response must satisfy, whatever was sent. */
function checkResponse(sent: Sent, got: Got): void {
  const ctx = () => describe(sent, got);
  assert.ok(
    got.status < 500 || (got.status === 503 && got.headers.get('retry-after')),
    `5xx (other than 503 + Retry-After): ${ctx()}`,
  );
  assert.match(
    got.headers.get('x-openstack-request-id') ?? '',
    /^req-[0-9a-f-]{36}$/,
    `missing x-openstack-request-id: ${ctx()}`,
  );
  assert.equal(
    got.headers.get('x-compute-request-id'),
    got.headers.get('x-openstack-request-id'),
    `x-compute-request-id: ${ctx()}`,
  );
  if (got.status === 204) assert.equal(got.text, '', `204 with a body: ${ctx()}`);
  if (got.status === 405) assert.ok(got.headers.get('allow'), `405 without Allow: ${ctx()}`);
  if (got.status < 400 || sent.method === 'HEAD') return;
  assert.match(got.headers.get('content-type') ?? '', /^application\/json/, `fault not JSON: ${ctx()}`);
  const body = got.body as Record<string, unknown> | undefined;
  assert.ok(
    body !== null && typeof body === 'object' && !Array.isArray(body),
    `fault body is not a JSON object: ${ctx()}`,
  );
  const keys = Object.keys(body);
  assert.equal(keys.length, 1, `fault body must have exactly one key: ${ctx()}`);
  const inner = body[keys[0]] as Record<string, unknown>;
  assert.ok(
    inner !== null && typeof inner === 'object' && !Array.isArray(inner),
    `fault value is not an object: ${ctx()}`,
  );
  if (got.status === 401) {
    assert.equal(keys[0], 'error', `401 must be Keystone-style: ${ctx()}`);
    assert.equal(inner.code, 401, `401 code: ${ctx()}`);
    assert.equal(inner.title, 'Unauthorized', `401 title: ${ctx()}`);
    assert.equal(typeof inner.message, 'string', `401 message: ${ctx()}`);
    assert.ok(got.headers.get('www-authenticate'), `401 without WWW-Authenticate: ${ctx()}`);
    return;
  }
  assert.equal(typeof inner.code, 'number', `fault code not numeric: ${ctx()}`);
  assert.equal(inner.code, got.status, `fault code != status: ${ctx()}`);
  assert.equal(typeof inner.message, 'string', `fault message not a string: ${ctx()}`);
  const expectedKey = FAULT_KEYS[got.status];
  if (expectedKey) assert.equal(keys[0], expectedKey, `fault key for ${got.status}: ${ctx()}`);
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

/** Microversion headers Stratus accepts (absent, 2.1..2.96, latest); anything else is not a "clean" request. */
function versionIsValid(v: VersionHeaders): boolean {
  const ok = (raw: string) => /^latest$/i.test(raw) || (/^2\.[1-9]\d?$/.test(raw) && Number(raw.slice(2)) <= 96);
  if (v.modern !== null) {
    const m = v.modern.match(/^compute (\S+)$/i);
    return m !== null && ok(m[1]);
  }
  return v.legacy === null || ok(v.legacy);
}

const MAX_SERVERS = 30;
/** Override to reproduce or to fuzz longer: STRATUS_FUZZ_RUNS=2000 STRATUS_FUZZ_SEED=42. */
const RUNS = Number(process.env.STRATUS_FUZZ_RUNS ?? 300);
const SEED = process.env.STRATUS_FUZZ_SEED ? Number(process.env.STRATUS_FUZZ_SEED) : undefined;

test('delete path fuzz: no 5xx, well-formed faults, and no server disappears unless an allowed caller deleted it', {
  timeout: 90_000,
}, async () => {
  const cloud = await TestCloud.start();
  try {
    const servers: ServerModel[] = [];
    const byId = new Map<string, ServerModel>();
    /** Servers that got a 204 DELETE from a caller allowed to delete them. */
    const deletedByAllowed = new Set<string>();
    /** Servers that got any 204 DELETE (the model's view of what is gone or going). */
    const accepted = new Set<string>();

    const addServer = async (owner: Persona, locked: boolean) => {
      const id = await cloud.createServer(owner);
      const shown = await cloud.server(id);
      assert.equal(shown.body?.server?.status, 'ACTIVE', `server ${id} not ACTIVE: ${shown.text}`);
      if (locked) {
        const lock = await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { lock: null } });
        assert.equal(lock.status, 202, lock.text);
      }
      const s: ServerModel = { id, owner, project: cloud.projects[owner], locked };
      servers.push(s);
      byId.set(id, s);
    };
    // Three of the member's project (one locked by the member), two of 'other', one of admin's project.
    for (const [owner, locked] of [
      ['member', false],
      ['member', false],
      ['member', true],
      ['other', false],
      ['other', false],
      ['admin', false],
    ] as const) {
      await addServer(owner, locked);
    }

    const counts = new Map<string, number>();
    const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);

    /** Which known server (if any) a path segment designates once the router has decoded it. */
    const targetOf = (segment: string): ServerModel | undefined => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment.replace(/\/+$/, ''));
      } catch {
        return undefined;
      }
      const c = canonical(decoded);
      return c ? byId.get(c) : undefined;
    };
    const resolveId = (c: IdChoice): string => {
      if (c.kind === 'raw') return c.value;
      const live = servers.filter((s) => !accepted.has(s.id));
      const pool = c.live && live.length > 0 ? live : servers;
      return ID_VARIANTS[c.variant](pool[c.pick % pool.length].id);
    };

    const requestArb = fc.record({
      method: methodArb,
      id: idArb,
      auth: authArb,
      version: versionArb,
      project: projectArb,
      body: bodyArb,
      extra: extraHeadersArb,
    });

    /**
     * Wire-format violations (status, fault body, headers) are collected, not thrown, so that one
     * malformed fault does not hide the rest of the run and the safety check below always runs;
     * they fail the test at the end, one line per kind with its shortest example. Anything about
     * *which* server a DELETE removes fails at once (and fast-check shrinks it).
     */
    const violations = new Map<string, { count: number; example: string }>();
    const soft = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        if (!(e instanceof assert.AssertionError)) throw e;
        const kind = `${e.message.split(':')[0]} (HTTP ${e.message.match(/-> (\d{3})/)?.[1] ?? '?'})`;
        const v = violations.get(kind);
        if (!v) violations.set(kind, { count: 1, example: e.message });
        else {
          v.count++;
          if (e.message.length < v.example.length) v.example = e.message;
        }
      }
    };

    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const persona = r.auth.kind === 'persona' ? r.auth.persona : null;
        const headers: Record<string, string> = {};
        if (r.auth.kind === 'persona') headers['x-auth-token'] = cloud.tokens[r.auth.persona];
        else if (r.auth.kind === 'garbage') headers['x-auth-token'] = r.auth.token;
        else if (r.auth.kind === 'empty') headers['x-auth-token'] = '';
        if (r.version.modern !== null) headers['openstack-api-version'] = r.version.modern;
        if (r.version.legacy !== null) headers['x-openstack-nova-api-version'] = r.version.legacy;
        if (r.extra.accept !== null) headers.accept = r.extra.accept;
        // fetch refuses a body on GET/HEAD.
        const body = r.method === 'GET' || r.method === 'HEAD' || r.body === null ? null : r.body.text;
        if (body !== null && r.body!.contentType !== null) headers['content-type'] = r.body!.contentType;

        let projectSegment: string | null = null;
        switch (r.project.kind) {
          case 'none':
            break;
          case 'own':
            projectSegment = cloud.projects[persona ?? 'member'];
            break;
          case 'persona': {
            const p = cloud.projects[r.project.persona];
            projectSegment = r.project.upper ? p.toUpperCase() : p;
            break;
          }
          case 'raw':
            projectSegment = r.project.value;
            break;
        }
        const projectIsOwn = persona !== null && projectSegment === cloud.projects[persona];
        const id = resolveId(r.id);
        const idPart = id + (r.extra.trailingSlash ? '/' : '');
        const path = `/v2.1${projectSegment === null ? '' : `/${projectSegment}`}/servers/${idPart}`;
        const target = targetOf(id);
        const alreadyDeleted = target !== undefined && accepted.has(target.id);
        const sent: Sent = { method: r.method, path, headers, body, persona };
        const got = await send(cloud, sent);
        bump(`${r.method} ${got.status}`);
        soft(() => checkResponse(sent, got));

        if (r.method === 'DELETE' && got.status === 204) {
          assert.ok(target, `204 for a DELETE naming no known server: ${describe(sent, got)}`);
          const first = !accepted.has(target.id);
          accepted.add(target.id);
          assert.ok(
            mayDelete(cloud, persona, target),
            `204 for a caller not allowed to delete ${target.id} (owner ${target.owner}, locked ${target.locked}): ${describe(sent, got)}`,
          );
          deletedByAllowed.add(target.id);
          if (first) {
            // Keep the pool stocked so later runs still find live servers (same owner, same lock).
            if (servers.length < MAX_SERVERS) await addServer(target.owner, target.locked);
          }
        }

        if (
          r.extra.trailingSlash &&
          persona !== null &&
          versionIsValid(r.version) &&
          (projectSegment === null || projectIsOwn) &&
          /^[0-9A-Za-z_-]{1,100}$/.test(id)
        ) {
          bump('oracle-trailing-slash-404');
          assert.equal(got.status, 404, `a trailing slash reaches no route in Nova: ${describe(sent, got)}`);
        }
        // A request whose id is one plain path segment and whose other parts are valid: the router
        // must reach the route, so only the method, the persona and the target decide the answer.
        // With a trailing slash Nova's router reaches nothing: 404 whatever the method (below).
        const routable =
          /^[0-9A-Za-z_-]{1,100}$/.test(idPart) &&
          !/^detail\/?$/.test(idPart) &&
          versionIsValid(r.version) &&
          body === null &&
          (projectSegment === null || /^[0-9a-f]{32}$/.test(projectSegment));
        if (routable && (r.method === 'PATCH' || r.method === 'POST' || r.method === 'OPTIONS')) {
          // docs/delete-server.md §2 / §3.1: a method the path does not support is 405 with Allow (before auth).
          bump('oracle-405');
          soft(() => {
            assert.equal(
              got.status,
              405,
              `${r.method} on the server path must be 405 badMethod: ${describe(sent, got)}`,
            );
            assert.match(got.headers.get('allow') ?? '', /DELETE/, `Allow must list DELETE: ${describe(sent, got)}`);
          });
        }
        if (
          routable &&
          r.method === 'DELETE' &&
          persona !== null &&
          (projectSegment === null || projectIsOwn) &&
          target !== undefined &&
          !alreadyDeleted
        ) {
          let expected: number;
          if (persona === 'admin') expected = 204;
          else if (cloud.projects[persona] !== target.project) expected = 404;
          else if (persona === 'reader') expected = 403;
          else expected = target.locked ? 409 : 204;
          bump('oracle-delete');
          assert.equal(got.status, expected, `DELETE by ${persona}: expected ${expected}: ${describe(sent, got)}`);
          if (expected === 409) {
            assert.deepEqual(
              got.body,
              { conflictingRequest: { code: 409, message: `Instance ${target.id} is locked` } },
              describe(sent, got),
            );
          }
          if (expected === 403) {
            assert.deepEqual(
              got.body,
              {
                forbidden: {
                  code: 403,
                  message: "Policy doesn't allow os_compute_api:servers:delete to be performed.",
                },
              },
              describe(sent, got),
            );
          }
        }
      }),
      // No shrinking: the cloud is stateful, so a replayed smaller input would meet other servers and
      // report a misleading counterexample; the first failure is reported with the exact request.
      { numRuns: RUNS, seed: SEED, endOnFailure: true, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: false },
    );
    const elapsed = Date.now() - started;

    // The process still answers.
    const root = await cloud.request('GET', '/v2.1/');
    assert.equal(root.status, 200, root.text);
    const list = await cloud.request('GET', '/v2.1/servers', { as: 'admin' });
    assert.equal(list.status, 200, list.text);

    // Safety: nothing disappeared that no allowed caller deleted; liveness: every accepted delete completed.
    await cloud.drain();
    for (const s of servers) {
      const row = await cloud.row(s.id);
      assert.ok(row, `row of ${s.id} vanished from the table`);
      const shown = await cloud.server(s.id, 'admin');
      const gone = row.deleted === 1 || shown.status === 404;
      if (gone)
        assert.ok(
          deletedByAllowed.has(s.id),
          `server ${s.id} (owner ${s.owner}, locked ${s.locked}) is gone but no allowed caller got a 204 DELETE for it (row.deleted=${row.deleted}, GET ${shown.status})`,
        );
      if (deletedByAllowed.has(s.id)) {
        assert.equal(
          row.deleted,
          1,
          `server ${s.id} got a 204 DELETE but is still there after drain (vm_state ${row.vm_state}, task_state ${row.task_state})`,
        );
        assert.equal(shown.status, 404, `server ${s.id} deleted but admin GET gives ${shown.status}`);
      } else {
        assert.equal(
          shown.status,
          200,
          `server ${s.id} never deleted but admin GET gives ${shown.status}: ${shown.text}`,
        );
      }
    }
    if (process.env.STRATUS_FUZZ_VERBOSE) {
      console.log(
        `fuzz: ${elapsed} ms; ${deletedByAllowed.size}/${servers.length} servers deleted;`,
        Object.fromEntries([...counts].sort()),
      );
    }
    const report = [...violations]
      .map(([kind, v]) => `- ${kind} x${v.count}, e.g.\n    ${v.example.replace(/\n/g, '\n    ')}`)
      .join('\n');
    assert.equal(violations.size, 0, `wire-format violations on the delete path:\n${report}`);
  } finally {
    await cloud.close();
  }
});

test("a locked server survives its member's DELETE (409 conflictingRequest)", { timeout: 60_000 }, async () => {
  const cloud = await TestCloud.start();
  try {
    const id = await cloud.createServer('member');
    const lock = await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { lock: null } });
    assert.equal(lock.status, 202, lock.text);

    for (const path of [`/v2.1/servers/${id}`, `/v2.1/${cloud.projects.member}/servers/${id}`]) {
      const res = await cloud.request('DELETE', path, { as: 'member' });
      assert.equal(res.status, 409, res.text);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(res.body, { conflictingRequest: { code: 409, message: `Instance ${id} is locked` } });
    }
    await cloud.drain();
    const row = await cloud.row(id);
    assert.equal(row?.deleted, 0);
    assert.equal(row?.task_state, null);
    assert.ok(row?.locked_by);
    const shown = await cloud.server(id, 'admin');
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.server.status, 'ACTIVE');
    assert.equal(shown.body.server.locked, true);
  } finally {
    await cloud.close();
  }
});

/**
 * Regression cases the fuzzer found (kept deterministic so a fix shows up as a pass). Every
 * answer on /v2.1 must be a Nova fault with the request-id headers, whatever the router thinks
 * of the URL (docs/delete-server.md §2 "Every fault is ... as JSON", §4 "Every response carries x-openstack-request-id").
 */
test('URLs the router rejects still get Nova faults: bad percent-encoding, over-long ids, OPTIONS', {
  timeout: 60_000,
}, async (t) => {
  const cloud = await TestCloud.start();
  try {
    const id = await cloud.createServer('member');
    const novaFault = (res: Awaited<ReturnType<TestCloud['request']>>, statuses: number[], what: string) => {
      const ctx = `${what} -> ${res.status} ${JSON.stringify(Object.fromEntries(res.headers))} ${res.text.slice(0, 300)}`;
      assert.ok(statuses.includes(res.status), `status not in ${statuses}: ${ctx}`);
      assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-/, `no x-openstack-request-id: ${ctx}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `content-type: ${ctx}`);
      const key = FAULT_KEYS[res.status];
      assert.deepEqual(Object.keys(res.body ?? {}), [key], `fault key: ${ctx}`);
      assert.equal(res.body[key].code, res.status, `code: ${ctx}`);
      assert.equal(typeof res.body[key].message, 'string', `message: ${ctx}`);
    };

    // Invalid percent-encoding in the id, in both path forms, with and without a token.
    for (const seg of ['%80', '%zz', '%', '%C3%28', '%ED%A0%80']) {
      await t.test(`DELETE /v2.1/servers/${seg}`, async () => {
        novaFault(
          await cloud.request('DELETE', `/v2.1/servers/${seg}`, { as: 'member' }),
          [400, 404],
          `DELETE /v2.1/servers/${seg} (member)`,
        );
        novaFault(
          await cloud.request('DELETE', `/v2.1/${cloud.projects.member}/servers/${seg}`, { as: 'member' }),
          [400, 404],
          `DELETE /v2.1/{project}/servers/${seg} (member)`,
        );
        const anon = await cloud.request('DELETE', `/v2.1/servers/${seg}`);
        assert.ok(
          [400, 401, 404].includes(anon.status),
          `DELETE /v2.1/servers/${seg} (no token) -> ${anon.status} ${anon.text}`,
        );
        if (anon.status !== 401) novaFault(anon, [400, 404], `DELETE /v2.1/servers/${seg} (no token)`);
        else assert.equal(anon.body?.error?.code, 401, anon.text);
      });
    }
    // A huge integer id longer than the router's maxParamLength (2048): docs/delete-server.md §2 says 404 itemNotFound.
    await t.test('DELETE of a 3000-digit id is 404 itemNotFound', async () => {
      novaFault(
        await cloud.request('DELETE', `/v2.1/servers/${'9'.repeat(3000)}`, { as: 'member' }),
        [404],
        'DELETE /v2.1/servers/<3000 nines>',
      );
    });
    // OPTIONS is a method the server path does not support: 405 badMethod with Allow (docs/delete-server.md §2, §3.1), like PATCH.
    await t.test('OPTIONS /v2.1/servers/{id} is 405 badMethod with Allow, like PATCH', async () => {
      const patch = await cloud.request('PATCH', `/v2.1/servers/${id}`, { as: 'member' });
      novaFault(patch, [405], 'PATCH /v2.1/servers/{id}');
      const opt = await cloud.request('OPTIONS', `/v2.1/servers/${id}`, { as: 'member' });
      novaFault(opt, [405], 'OPTIONS /v2.1/servers/{id}');
      assert.equal(opt.headers.get('allow'), patch.headers.get('allow'), 'OPTIONS: Allow');
    });
    // None of that touched the server.
    await cloud.drain();
    assert.equal((await cloud.row(id))?.deleted, 0);
  } finally {
    await cloud.close();
  }
});
