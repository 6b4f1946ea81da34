/**
 * Property-based fuzzing of the delete path (spec: delete-server.md):
 * `DELETE /v2.1/servers/{id}` and `DELETE /v2.1/{project_id}/servers/{id}`, plus every other
 * method on the same path, with random ids, tokens, microversion headers, project ids and bodies.
 *
 * Properties checked for every response:
 *  - never a 5xx, except a deliberate 503 carrying `Retry-After`;
 *  - every response carries `x-openstack-request-id` / `x-compute-request-id`;
 *  - every 4xx/5xx body is a Nova fault `{"<key>": {"code": <status>, "message": "..."}}`
 *    (JSON, exactly one key, the key Nova uses for that status), except 401 whose body is
 *    Keystone's `{"error": {"code": 401, "title": "Unauthorized", "message": ...}}`
 *    with `WWW-Authenticate`; a 405 carries `Allow`; a 204 has an empty body;
 *  - a 204 to a DELETE only ever goes to a caller allowed to delete that server (admin, or a
 *    member of its project while it is not locked), and names an existing server;
 *  - for "clean" DELETE requests (valid persona token, valid or absent microversion, own or
 *    no project id, an id naming a known server not yet deleted, no body) the status is the one
 *    the contract gives (204 / 403 / 404 / 409).
 * After the run (and `cloud.drain()`): the process still answers, every server that is gone was
 * the target of a 204 DELETE from an allowed caller, and every such target is gone.
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
  400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 405: 'badMethod', 406: 'computeFault',
  409: 'conflictingRequest', 413: 'overLimit', 415: 'badMediaType', 429: 'overLimit', 503: 'serviceUnavailable',
};

const REQUEST_TIMEOUT_MS = 5000;

const HEX_UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** Same normalisation as Nova's is_uuid_like + canonical form, used to attribute a request to a server. */
function canonical(id: string): string | null {
  if (!HEX_UUID_RE.test(id)) return null;
  const h = id.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface ServerModel { id: string; owner: Persona; project: string; locked: boolean }

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
const SAFE_RAW = [...'abcdefXYZ0189-_.~!$&\'()*+,;=:@%'];
const PRINTABLE = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i));
const TOKEN_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
const HEX = [...'0123456789abcdef'];

const pctBytes = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 })
  .chain((bytes) => fc.boolean().map((upper) => bytes.map((b) => '%' + (upper ? b.toString(16).toUpperCase() : b.toString(16)).padStart(2, '0')).join('')));

function idArb(servers: ServerModel[]): fc.Arbitrary<string> {
  const variants: Array<(id: string) => string> = [
    (id) => id,
    (id) => id.toUpperCase(),
    (id) => id.replace(/-/g, ''),
    (id) => [...id].map((c) => '%' + c.charCodeAt(0).toString(16)).join(''), // fully percent-encoded
    (id) => id + '/', // trailing slash
    (id) => id.slice(0, -1), // one char short
    (id) => id + '0', // one char long
    (id) => ` ${id}`.replace(' ', '%20'),
  ];
  const existing = fc.tuple(fc.constantFrom(...servers.map((s) => s.id)), fc.nat({ max: variants.length - 1 }))
    .map(([id, v]) => variants[v](id));
  const junk = fc.constantFrom(
    '', 'detail', 'action', '-1', '0', 'abc', 'null', 'undefined', 'true', '%', '%%', '%zz', '%0', '%00', '%FF', '%C3%28',
    '%ED%A0%80', '%2F', '%2f..%2f', '%2e%2e', '..', '.', '%E2%80%AE', '%EF%BF%BF', '%F4%90%80%80', '%25', '00000000-0000-0000-0000-000000000000',
    '1e309', 'NaN', 'Infinity', '9007199254740993', '0x1f', '{}', '[]', "'", '"'.replace('"', '%22'),
  );
  const garbage = fc.string({ unit: fc.constantFrom(...SAFE_RAW), maxLength: 40 });
  const huge = fc.oneof(
    fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).map(String),
    fc.integer({ min: 1000, max: 3000 }).map((n) => '9'.repeat(n)),
  );
  const unicodeRaw = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !/[/?#\\]/.test(s));
  const unicodeEncoded = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((s) => encodeURIComponent(s));
  return fc.oneof(
    { weight: 8, arbitrary: existing },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: junk },
    { weight: 2, arbitrary: garbage },
    { weight: 1, arbitrary: huge },
    { weight: 1, arbitrary: pctBytes },
    { weight: 1, arbitrary: unicodeRaw },
    { weight: 1, arbitrary: unicodeEncoded },
  );
}

type AuthChoice = { kind: 'persona'; persona: Persona } | { kind: 'garbage'; token: string } | { kind: 'missing' } | { kind: 'empty' };
const authArb: fc.Arbitrary<AuthChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...PERSONAS).map((persona) => ({ kind: 'persona' as const, persona })) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 300 }).map((token) => ({ kind: 'garbage' as const, token })) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'), minLength: 43, maxLength: 43 }).map((s) => ({ kind: 'garbage' as const, token: 'stx' + s })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'missing' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
);

const versionValueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 96 }).map((n) => `2.${n}`) },
  { weight: 2, arbitrary: fc.constantFrom('latest', 'LATEST', 'Latest') },
  { weight: 2, arbitrary: fc.constantFrom('2.0', '2.97', '2.100', '2.999999', '3.0', '1.1', '1.0', '9.9', '2.9999999', '999999.1') },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', 'abc', '2', '2.', '.5', '2.1.1', '-2.1', '2.-1', '02.1', '2.01', '2.1a', ' 2.5 ', '2.1e1', '2,1', 'compute', 'v2.1', '2 .1', '0.0', '2.1, 2.2') },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 20 }) },
);
interface VersionHeaders { modern: string | null; legacy: string | null }
const versionArb: fc.Arbitrary<VersionHeaders> = fc.record({
  modern: fc.option(fc.oneof(
    { weight: 4, arbitrary: versionValueArb.map((v) => `compute ${v}`) },
    { weight: 1, arbitrary: versionValueArb.map((v) => `volume ${v}`) },
    { weight: 1, arbitrary: versionValueArb.map((v) => `volume 3.0, compute ${v}`) },
    { weight: 1, arbitrary: versionValueArb.map((v) => `COMPUTE ${v}`) },
    { weight: 1, arbitrary: versionValueArb },
  ), { freq: 2 }),
  legacy: fc.option(versionValueArb, { freq: 2 }),
});

type ProjectChoice = { kind: 'none' } | { kind: 'own' } | { kind: 'persona'; persona: Persona; upper: boolean } | { kind: 'raw'; value: string };
const projectArb: fc.Arbitrary<ProjectChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'own' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('persona' as const), persona: fc.constantFrom(...PERSONAS), upper: fc.boolean() }) },
  { weight: 1, arbitrary: fc.oneof(
    fc.string({ unit: fc.constantFrom(...HEX), minLength: 1, maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(...SAFE_RAW), minLength: 1, maxLength: 40 }),
    fc.constantFrom('servers', 'v2.1', 'admin', 'demo', '-', '%2F', '%00', '%zz', 'ABCDEF', '0'.repeat(2500)),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).map(encodeURIComponent),
  ).map((value) => ({ kind: 'raw' as const, value })) },
);

interface BodyChoice { text: string; contentType: string | null }
const malformedJson = fc.constantFrom('{', '}', '{"server":', '[1,2', 'nul', '{"a":1,}', "{'a':1}", 'NaN', '\u0000', '{"a":"\\x"}', '"unterminated', '{"a":1}{"b":2}', '\uFEFF{}');
const structuredBodies = fc.constantFrom(
  '{"server":{"name":"renamed"}}', '{"server":{}}', '{"server":null}', '{"lock":null}', '{"unlock":null}',
  '{"forceDelete":null}', '{"os-resetState":{"state":"error"}}', '{"server":{"name":"x","description":"y"}}', '{}', '[]', 'null', '0', '""',
);
const hugeBody = fc.tuple(fc.integer({ min: 50_000, max: 200_000 }), fc.boolean())
  .map(([n, json]) => (json ? `{"server":{"name":"${'x'.repeat(n)}"}}` : 'x'.repeat(n)));
const contentTypeArb: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('application/json') },
  { weight: 3, arbitrary: fc.constantFrom(
    'application/json; charset=UTF-8', 'application/json; charset=latin1', 'text/plain', 'text/xml', 'application/xml',
    'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/octet-stream', 'application/vnd.openstack.compute+json;version=2.1',
    'application/json-patch+json', '*/*', 'json', ';', '', 'application/', 'text/plain; charset=utf-8',
  ) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constant(null) },
);
const bodyArb: fc.Arbitrary<BodyChoice | null> = fc.option(
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
  { freq: 2 },
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

interface Sent { method: Method; path: string; headers: Record<string, string>; body: string | null; persona: Persona | null }
interface Got { status: number; headers: Headers; text: string; body: unknown }

function describe(sent: Sent, got?: Got): string {
  const body = sent.body === null ? null : sent.body.length > 300 ? `${sent.body.slice(0, 120)}...(${sent.body.length} chars)` : sent.body;
  const headers = Object.fromEntries(Object.entries(sent.headers).map(([k, v]) => [k, v.length > 120 ? `${v.slice(0, 60)}...(${v.length} chars)` : v]));
  const path = sent.path.length > 300 ? `${sent.path.slice(0, 150)}...(${sent.path.length} chars)` : sent.path;
  const req = `${sent.method} ${path} persona=${sent.persona ?? '-'} headers=${JSON.stringify(headers)} body=${JSON.stringify(body)}`;
  if (!got) return req;
  const resHeaders = Object.fromEntries([...got.headers.entries()]);
  return `${req}\n  -> ${got.status} headers=${JSON.stringify(resHeaders)} body=${got.text.slice(0, 500)}`;
}

async function send(cloud: TestCloud, sent: Sent): Promise<Got> {
  const init: RequestInit = { method: sent.method, headers: sent.headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
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
  let body: unknown = undefined;
  try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
  return { status: res.status, headers: res.headers, text, body };
}

/** The invariants every response must satisfy, whatever was sent. */
function checkResponse(sent: Sent, got: Got): void {
  const ctx = () => describe(sent, got);
  assert.ok(got.status < 500 || (got.status === 503 && got.headers.get('retry-after')), `5xx (other than 503 + Retry-After): ${ctx()}`);
  assert.match(got.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/, `missing x-openstack-request-id: ${ctx()}`);
  assert.equal(got.headers.get('x-compute-request-id'), got.headers.get('x-openstack-request-id'), `x-compute-request-id: ${ctx()}`);
  if (got.status === 204) assert.equal(got.text, '', `204 with a body: ${ctx()}`);
  if (got.status === 405) assert.ok(got.headers.get('allow'), `405 without Allow: ${ctx()}`);
  if (got.status < 400 || sent.method === 'HEAD') return;
  assert.match(got.headers.get('content-type') ?? '', /^application\/json/, `fault not JSON: ${ctx()}`);
  const body = got.body as Record<string, unknown> | undefined;
  assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), `fault body is not a JSON object: ${ctx()}`);
  const keys = Object.keys(body);
  assert.equal(keys.length, 1, `fault body must have exactly one key: ${ctx()}`);
  const inner = body[keys[0]] as Record<string, unknown>;
  assert.ok(inner !== null && typeof inner === 'object' && !Array.isArray(inner), `fault value is not an object: ${ctx()}`);
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

test('delete path fuzz: no 5xx, well-formed faults, and no server disappears unless an allowed caller deleted it', { timeout: 120_000 }, async () => {
  const cloud = await TestCloud.start();
  try {
    const owners: Persona[] = ['member', 'member', 'member', 'other', 'other', 'admin'];
    const servers: ServerModel[] = [];
    for (const owner of owners) {
      const id = await cloud.createServer(owner, {}, { wait: false });
      servers.push({ id, owner, project: cloud.projects[owner], locked: false });
    }
    await cloud.drain();
    for (const s of servers) assert.equal((await cloud.server(s.id)).body?.server?.status, 'ACTIVE', `server ${s.id} not ACTIVE`);
    // Lock one of the member's servers (as the member).
    const lockedServer = servers[2];
    const lock = await cloud.request('POST', `/v2.1/servers/${lockedServer.id}/action`, { as: 'member', body: { lock: null } });
    assert.equal(lock.status, 202, lock.text);
    lockedServer.locked = true;

    const byId = new Map(servers.map((s) => [s.id, s]));
    /** Servers that got a 204 DELETE from a caller allowed to delete them. */
    const deletedByAllowed = new Set<string>();
    const counts = new Map<string, number>();
    const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);

    /** Which known server (if any) a path segment designates once the router has decoded it. */
    const targetOf = (segment: string): ServerModel | undefined => {
      let decoded: string;
      try { decoded = decodeURIComponent(segment.replace(/\/+$/, '')); } catch { return undefined; }
      const c = canonical(decoded);
      return c ? byId.get(c) : undefined;
    };

    const requestArb = fc.record({
      method: methodArb, id: idArb(servers), auth: authArb, version: versionArb, project: projectArb,
      body: bodyArb, extra: extraHeadersArb,
    });

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
        let projectIsOwn = false;
        switch (r.project.kind) {
          case 'none': break;
          case 'own': projectSegment = cloud.projects[persona ?? 'member']; projectIsOwn = persona !== null; break;
          case 'persona': {
            const p = cloud.projects[r.project.persona];
            projectSegment = r.project.upper ? p.toUpperCase() : p;
            projectIsOwn = persona !== null && projectSegment === cloud.projects[persona];
            break;
          }
          case 'raw': projectSegment = r.project.value; break;
        }
        const path = `/v2.1${projectSegment === null ? '' : `/${projectSegment}`}/servers/${r.id}${r.extra.trailingSlash ? '/' : ''}`;
        const sent: Sent = { method: r.method, path, headers, body, persona };
        const got = await send(cloud, sent);
        bump(`${r.method} ${got.status}`);
        checkResponse(sent, got);

        const target = targetOf(r.id);
        if (r.method === 'DELETE' && got.status === 204) {
          assert.ok(target, `204 for a DELETE naming no known server: ${describe(sent, got)}`);
          assert.ok(mayDelete(cloud, persona, target), `204 for a caller not allowed to delete ${target.id} (owner ${target.owner}, locked ${target.locked}): ${describe(sent, got)}`);
          deletedByAllowed.add(target.id);
        }

        // Oracle for clean DELETEs: only the persona and the target decide the answer.
        const versionOk = (v: string | null, modern: boolean) => {
          if (v === null) return true;
          const m = (modern ? v.match(/^compute (2\.([1-9]\d?)|latest)$/i) : v.match(/^(2\.([1-9]\d?)|latest)$/i));
          if (!m) return false;
          if (/latest/i.test(m[1])) return true;
          return Number(m[2]) >= 1 && Number(m[2]) <= 96;
        };
        const clean = r.method === 'DELETE' && persona !== null && target !== undefined && !deletedByAllowed.has(target.id)
          && (r.project.kind === 'none' || projectIsOwn) && body === null
          && /^[^/]*\/?$/.test(r.id + (r.extra.trailingSlash ? '/' : ''))
          && versionOk(r.version.modern, true) && (r.version.modern !== null || versionOk(r.version.legacy, false));
        if (clean) {
          // Only ids the router decodes to exactly the canonical uuid or a Nova-accepted variant reach here.
          let expected: number;
          if (persona === 'admin') expected = 204;
          else if (cloud.projects[persona] !== target.project) expected = 404;
          else if (persona === 'reader') expected = 403;
          else expected = target.locked ? 409 : 204;
          bump('clean-oracle');
          assert.equal(got.status, expected, `clean DELETE: expected ${expected}: ${describe(sent, got)}`);
          if (expected === 409) {
            assert.equal((got.body as { conflictingRequest?: { message?: string } }).conflictingRequest?.message, `Instance ${target.id} is locked`, describe(sent, got));
          }
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 45_000, markInterruptAsFailure: false, endOnFailure: true },
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
      if (gone) assert.ok(deletedByAllowed.has(s.id), `server ${s.id} (owner ${s.owner}, locked ${s.locked}) is gone but no allowed caller got a 204 DELETE for it (row.deleted=${row.deleted}, GET ${shown.status})`);
      if (deletedByAllowed.has(s.id)) {
        assert.equal(row.deleted, 1, `server ${s.id} got a 204 DELETE but is still there after drain (vm_state ${row.vm_state}, task_state ${row.task_state})`);
        assert.equal(shown.status, 404, `server ${s.id} deleted but admin GET gives ${shown.status}`);
      } else {
        assert.equal(shown.status, 200, `server ${s.id} never deleted but admin GET gives ${shown.status}: ${shown.text}`);
      }
    }
    if (process.env.STRATUS_FUZZ_VERBOSE) {
      console.log(`fuzz: ${elapsed} ms; deleted ${[...deletedByAllowed].length}/${servers.length};`, Object.fromEntries([...counts].sort()));
    }
  } finally {
    await cloud.close();
  }
});

test('a locked server survives its member\'s DELETE (409 conflictingRequest)', { timeout: 60_000 }, async () => {
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
