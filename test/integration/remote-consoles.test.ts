// Remote consoles: the legacy actions (2.1–2.5), POST /servers/{id}/remote-consoles (2.6, 2.8),
// GET /os-console-auth-tokens/{token} (2.31) and the console page Stratus serves itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';

let cloud: TestCloud;
let server: string;
before(async () => {
  cloud = await TestCloud.start();
  server = await cloud.createServer('member', { name: 'console-<vm>' });
});
after(async () => {
  await cloud.close();
});

const MISSING = '11111111-2222-3333-4444-555555555555';
const action = (id: string, body: unknown, as: Persona | null = 'member', mv = '2.1') =>
  cloud.request('POST', `/v2.1/servers/${id}/action`, { as: as ?? undefined, body, mv });
const create = (id: string, body: unknown, as: Persona | null = 'member', mv = '2.6') =>
  cloud.request('POST', `/v2.1/servers/${id}/remote-consoles`, { as: as ?? undefined, body, mv });
const bad = (message: string) => ({ badRequest: { code: 400, message } });
const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
const BARE_400 = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';

describe('legacy console actions (2.1–2.5)', () => {
  test('os-getVNCConsole novnc: 200 with a URL on Stratus itself that opens the console log', async () => {
    const res = await action(server, { 'os-getVNCConsole': { type: 'novnc' } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body.console).sort(), ['type', 'url']);
    assert.equal(res.body.console.type, 'novnc');
    const url = new URL(res.body.console.url);
    assert.equal(url.origin, new URL(cloud.url).origin, 'same host and port as the API');
    assert.equal(url.pathname, '/stratus/v1/console');
    assert.match(url.searchParams.get('token')!, /^[0-9a-f-]{36}$/);
    const page = await fetch(res.body.console.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);
    const html = await page.text();
    assert.doesNotMatch(html, /<script/i);
    // The server's name is escaped, in the title and in the log the guest printed.
    assert.match(html, /console-&lt;vm&gt;/);
    assert.doesNotMatch(html, /console-<vm>/);
    const log = (await action(server, { 'os-getConsoleOutput': {} })).body.output as string;
    const pre = html.match(/<pre id="console-log">([\s\S]*)<\/pre>/)![1];
    const unescapeHtml = (s: string) =>
      s
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, '&');
    assert.ok(log.length > 0);
    assert.ok(unescapeHtml(pre).startsWith(log.slice(0, 20)), 'the page shows the console log');
    // Valid until it expires: a reload shows it again.
    assert.equal((await fetch(res.body.console.url)).status, 200);
  });

  test('os-getSerialConsole serial: 200', async () => {
    const res = await action(server, { 'os-getSerialConsole': { type: 'serial' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.console.type, 'serial');
    assert.equal((await fetch(res.body.console.url)).status, 200);
  });

  test('unsupported console types answer as Nova with those consoles off', async () => {
    let res = await action(server, { 'os-getSPICEConsole': { type: 'spice-html5' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, bad('Unavailable console type spice-html5.'));
    res = await action(server, { 'os-getVNCConsole': { type: 'xvpvnc' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, bad('Invalid console type xvpvnc'));
    // Removed with Hyper-V (Nova 29.0.0): a bare 400 whatever the body.
    res = await action(server, { 'os-getRDPConsole': { type: 'rdp-html5' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, bad(BARE_400));
    res = await action(server, { 'os-getRDPConsole': 'anything' });
    assert.deepEqual(res.body, bad(BARE_400));
  });

  test('bad bodies: 400 with the validator messages', async () => {
    const cases: Array<[unknown, string]> = [
      [
        { 'os-getVNCConsole': {} },
        "Invalid input for field/attribute os-getVNCConsole. Value: {}. 'type' is a required property",
      ],
      [
        { 'os-getVNCConsole': { type: 'spice-html5' } },
        "Invalid input for field/attribute type. Value: spice-html5. 'spice-html5' is not one of ['novnc', 'xvpvnc']",
      ],
      [
        { 'os-getVNCConsole': { type: 1 } },
        "Invalid input for field/attribute type. Value: 1. 1 is not of type 'string'",
      ],
      [
        { 'os-getVNCConsole': { type: 'novnc', x: 1 } },
        "Invalid input for field/attribute os-getVNCConsole. Value: {'type': 'novnc', 'x': 1}. Additional properties are not allowed ('x' was unexpected)",
      ],
      [
        { 'os-getVNCConsole': null },
        "Invalid input for field/attribute os-getVNCConsole. Value: None. None is not of type 'object'",
      ],
      [
        { 'os-getSerialConsole': { type: 'novnc' } },
        "Invalid input for field/attribute type. Value: novnc. 'novnc' is not one of ['serial']",
      ],
      [
        { 'os-getSPICEConsole': { type: 'novnc' } },
        "Invalid input for field/attribute type. Value: novnc. 'novnc' is not one of ['spice-html5']",
      ],
    ];
    for (const [body, message] of cases) {
      const res = await action(server, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.body, bad(message), JSON.stringify(body));
    }
  });

  test('removed from 2.6: 404 as Nova answers a method outside its versions', async () => {
    const res = await action(server, { 'os-getVNCConsole': { type: 'novnc' } }, 'member', '2.6');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  });

  test('persona matrix: member and admin 200, reader 403, other project and unknown server 404, no token 401', async () => {
    const body = { 'os-getVNCConsole': { type: 'novnc' } };
    assert.equal((await action(server, body, 'admin')).status, 200);
    const reader = await action(server, body, 'reader');
    assert.equal(reader.status, 403);
    assert.deepEqual(reader.body, {
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-remote-consoles to be performed." },
    });
    for (const [id, as] of [
      [server, 'other'],
      [MISSING, 'member'],
    ] as const) {
      const res = await action(id, body, as);
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    }
    const anon = await action(server, body, null);
    assert.equal(anon.status, 401);
  });
});

describe('POST /servers/{id}/remote-consoles (2.6)', () => {
  test('vnc/novnc and serial/serial: 200 with protocol, type and url', async () => {
    for (const [protocol, type] of [
      ['vnc', 'novnc'],
      ['serial', 'serial'],
    ]) {
      const res = await create(server, { remote_console: { protocol, type } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body.remote_console).sort(), ['protocol', 'type', 'url']);
      assert.equal(res.body.remote_console.protocol, protocol);
      assert.equal(res.body.remote_console.type, type);
      assert.equal((await fetch(res.body.remote_console.url)).status, 200);
    }
  });

  test('types Stratus does not serve: 400 as Nova', async () => {
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ protocol: 'spice', type: 'spice-html5' }, '2.6', 'Unavailable console type spice-html5.'],
      [{ protocol: 'rdp', type: 'rdp-html5' }, '2.6', 'Unavailable console type rdp.'],
      [{ protocol: 'mks', type: 'webmks' }, '2.8', 'Unavailable console type webmks.'],
      [{ protocol: 'vnc', type: 'xvpvnc' }, '2.6', 'Invalid console type xvpvnc'],
      [{ protocol: 'vnc', type: 'serial' }, '2.6', 'Invalid console type serial'],
      [{ protocol: 'serial', type: 'novnc' }, '2.6', 'Invalid console type novnc'],
    ];
    for (const [rc, mv, message] of cases) {
      const res = await create(server, { remote_console: rc }, 'member', mv);
      assert.equal(res.status, 400, JSON.stringify(rc));
      assert.deepEqual(res.body, bad(message));
    }
  });

  test('bad bodies: 400 with the validator messages; mks only from 2.8', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{}, '2.6', "'remote_console' is a required property"],
      [[], '2.6', "[] is not of type 'object'"],
      [
        { remote_console: { protocol: 'vnc' } },
        '2.6',
        "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc'}. 'type' is a required property",
      ],
      [
        { remote_console: { protocol: 'mks', type: 'webmks' } },
        '2.7',
        "Invalid input for field/attribute protocol. Value: mks. 'mks' is not one of ['vnc', 'spice', 'serial', 'rdp']",
      ],
      [
        { remote_console: { protocol: 'vnc', type: 'webmks' } },
        '2.6',
        "Invalid input for field/attribute type. Value: webmks. 'webmks' is not one of ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5']",
      ],
      [
        { remote_console: { protocol: 'vnc', type: 'novnc' }, extra: 1 },
        '2.6',
        "Additional properties are not allowed ('extra' was unexpected)",
      ],
      [
        { remote_console: { protocol: 'vnc', type: 'novnc', x: 'y' } },
        '2.6',
        "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc', 'type': 'novnc', 'x': 'y'}. Additional properties are not allowed ('x' was unexpected)",
      ],
      [
        { remote_console: { protocol: 3, type: 'novnc' } },
        '2.6',
        "Invalid input for field/attribute protocol. Value: 3. 3 is not of type 'string'",
      ],
    ];
    for (const [body, mv, message] of cases) {
      const res = await create(server, body, 'member', mv);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.body, bad(message), JSON.stringify(body));
    }
  });

  test('before 2.6: 404', async () => {
    const res = await create(server, { remote_console: { protocol: 'vnc', type: 'novnc' } }, 'member', '2.5');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  });

  test('persona matrix', async () => {
    const body = { remote_console: { protocol: 'vnc', type: 'novnc' } };
    assert.equal((await create(server, body, 'admin')).status, 200);
    const reader = await create(server, body, 'reader');
    assert.equal(reader.status, 403);
    assert.deepEqual(reader.body, {
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-remote-consoles to be performed." },
    });
    for (const [id, as] of [
      [server, 'other'],
      [MISSING, 'member'],
      ['not-a-uuid', 'member'],
    ] as const) {
      const res = await create(id, body, as);
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    }
    assert.equal((await create(server, body, null)).status, 401);
  });

  test('a server that is not running: 409 "is not ready"; the URL issued before stops opening', async () => {
    const id = await cloud.createServer();
    const issued = (await create(id, { remote_console: { protocol: 'vnc', type: 'novnc' } })).body.remote_console.url;
    await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { 'os-stop': null } });
    await cloud.drain();
    const res = await create(id, { remote_console: { protocol: 'vnc', type: 'novnc' } });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { conflictingRequest: { code: 409, message: `Instance ${id} is not ready` } });
    const page = await fetch(issued);
    assert.equal(page.status, 409);
    // A server that is gone: its console is not found.
    await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    await cloud.drain();
    const gone = await fetch(issued);
    assert.equal(gone.status, 404);
    assert.match(await gone.text(), new RegExp(`Instance ${id} could not be found.`));
  });

  test('a server without a host (shelved offloaded): 409 "is not ready"', async () => {
    const id = await cloud.createServer();
    await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { shelve: null } });
    await cloud.drain();
    await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'admin', body: { shelveOffload: null } });
    await cloud.drain();
    const res = await create(id, { remote_console: { protocol: 'serial', type: 'serial' } });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { conflictingRequest: { code: 409, message: `Instance ${id} is not ready` } });
  });
});

describe('the console page and os-console-auth-tokens', () => {
  const issue = async () =>
    (await create(server, { remote_console: { protocol: 'vnc', type: 'novnc' } })).body.remote_console.url as string;

  test('unknown token 404, no token 404, expired token 401', async () => {
    const unknown = await fetch(`${cloud.url}/stratus/v1/console?token=00000000-0000-0000-0000-000000000000`);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /Token not found/);
    assert.equal((await fetch(`${cloud.url}/stratus/v1/console`)).status, 404);
    const url = await issue();
    await cloud.stack.deps.db
      .updateTable('console_auth_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('expires_at', '>', new Date().toISOString())
      .execute();
    const expired = await fetch(url);
    assert.equal(expired.status, 401);
    assert.match(await expired.text(), /The token has expired/);
    // The admin API treats an expired token as none (Nova's validate).
    const res = await cloud.request('GET', `/v2.1/os-console-auth-tokens/${tokenOf(url)}`, { as: 'admin', mv: '2.31' });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { itemNotFound: { code: 404, message: 'Token not found' } });
  });

  test('os-console-auth-tokens: admin 200 from 2.31, 400 before, members 403', async () => {
    const token = tokenOf(await issue());
    const res = await cloud.request('GET', `/v2.1/os-console-auth-tokens/${token}`, { as: 'admin', mv: '2.31' });
    assert.equal(res.status, 200, res.text);
    const row = await cloud.row(server);
    assert.deepEqual(res.body, {
      console: {
        instance_uuid: server,
        host: row!.host,
        port: Number(new URL(cloud.url).port),
        internal_access_path: null,
      },
    });
    const old = await cloud.request('GET', `/v2.1/os-console-auth-tokens/${token}`, { as: 'admin', mv: '2.30' });
    assert.equal(old.status, 400);
    assert.deepEqual(old.body, bad(BARE_400));
    for (const as of ['member', 'reader', 'other'] as const) {
      const r = await cloud.request('GET', `/v2.1/os-console-auth-tokens/${token}`, { as, mv: '2.31' });
      assert.equal(r.status, 403, as);
      assert.deepEqual(r.body, {
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed.",
        },
      });
    }
    const missing = await cloud.request('GET', '/v2.1/os-console-auth-tokens/nope', { as: 'admin', mv: '2.31' });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { itemNotFound: { code: 404, message: 'Token not found' } });
    assert.equal((await cloud.request('GET', `/v2.1/os-console-auth-tokens/${token}`, { mv: '2.31' })).status, 401);
  });

  test('other methods on the new paths: 405', async () => {
    assert.equal((await cloud.request('GET', `/v2.1/servers/${server}/remote-consoles`, { as: 'member' })).status, 405);
    assert.equal((await cloud.request('POST', '/stratus/v1/console')).status, 405);
  });
});
