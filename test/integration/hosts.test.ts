// os-hosts, /extensions, os-instance-usage-audit-log, os-server-external-events and the servers
// list's regex name filter, on SQLite and PostgreSQL: status and exact body of every answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const fault = (key: string, code: number, message: string) => ({ [key]: { code, message } });
const bad = (message: string) => fault('badRequest', 400, message);
const notFound = (message: string) => fault('itemNotFound', 404, message);
const forbidden = (rule: string) => fault('forbidden', 403, `Policy doesn't allow ${rule} to be performed.`);
const NOT_SUPPORTED = fault('notImplemented', 501, 'The requested functionality is not supported.');
const NON_ADMINS: Persona[] = ['member', 'reader', 'other'];
const H1 = 'compute-test-1';
const H2 = 'compute-test-2';
const ENUM = "['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE']";

for (const target of databaseTargets()) {
  describe(`os-hosts, extensions, audit log, external events, name regex (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let server: string;
    let memberServer: string;

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ agents: 2, database: db.url });
      server = await cloud.createServer('admin', { name: 'web-01', availability_zone: `nova:${H1}` });
      // The member cannot force a host: with H2 disabled through os-hosts, placement must pick H1.
      const off = await cloud.request('PUT', `/v2.1/os-hosts/${H2}`, { as: 'admin', body: { status: 'disable' } });
      assert.equal(off.status, 200);
      memberServer = await cloud.createServer('member', { name: 'Web-02' });
      await cloud.request('PUT', `/v2.1/os-hosts/${H2}`, { as: 'admin', body: { status: 'enable' } });
      await cloud.drain();
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });
    const admin = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, { as: 'admin', ...opts });

    // --- os-hosts ------------------------------------------------------------------------
    test('os-hosts index: enabled non-API services, zone filter (blank is none, unknown is empty)', async () => {
      const all = await admin('GET', '/v2.1/os-hosts');
      assert.equal(all.status, 200);
      assert.deepEqual(all.body, {
        hosts: [
          { host_name: H1, service: 'compute', zone: 'nova' },
          { host_name: H2, service: 'compute', zone: 'nova' },
        ],
      });
      assert.deepEqual((await admin('GET', '/v2.1/os-hosts?zone=nova')).body, all.body);
      assert.deepEqual((await admin('GET', '/v2.1/os-hosts?zone=')).body, all.body);
      assert.deepEqual((await admin('GET', '/v2.1/os-hosts?zone=xxx&other=1')).body, { hosts: [] });
      assert.deepEqual((await admin('GET', '/v2.1/os-hosts?zone=xxx&zone=nova')).body, all.body);
    });

    test('os-hosts show: total, used_now, used_max and per-project rows; 404 for an unknown host', async () => {
      const res = await admin('GET', `/v2.1/os-hosts/${H1}`);
      assert.equal(res.status, 200);
      const rows = res.body.host.map((r: { resource: Record<string, unknown> }) => r.resource);
      assert.deepEqual(
        rows.map((r: { project: string }) => r.project),
        ['(total)', '(used_now)', '(used_max)', cloud.projects.admin, cloud.projects.member],
      );
      for (const r of rows) assert.equal(r.host, H1);
      const used = rows[2];
      assert.deepEqual(rows[1], { ...used, project: '(used_now)' });
      assert.equal(used.cpu, rows[3].cpu + rows[4].cpu);
      assert.ok(rows[0].cpu > 0 && rows[0].memory_mb > 0);
      const empty = (await admin('GET', `/v2.1/os-hosts/${H2}`)).body.host;
      assert.deepEqual(empty[2].resource, { host: H2, project: '(used_max)', cpu: 0, memory_mb: 0, disk_gb: 0 });
      assert.equal(empty.length, 3);
      const missing = await admin('GET', '/v2.1/os-hosts/nonexistent_hostname');
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, notFound("Host 'nonexistent_hostname' is not mapped to any cell"));
    });

    test('os-hosts update: status disables the compute service (os-services, placement), maintenance is 501', async () => {
      const off = await admin('PUT', `/v2.1/os-hosts/${H2}`, { body: { status: 'Disable' } });
      assert.equal(off.status, 200);
      assert.deepEqual(off.body, { host: H2, status: 'disabled' });
      const svc = (await admin('GET', `/v2.1/os-services?host=${H2}`)).body.services[0];
      assert.equal(svc.status, 'disabled');
      assert.equal(svc.disabled_reason, null);
      // Disabled services are not hosts (Nova's index filter) and take no new servers.
      assert.deepEqual(
        (await admin('GET', '/v2.1/os-hosts')).body.hosts.map((h: { host_name: string }) => h.host_name),
        [H1],
      );
      // Placement skipped H2 for the member's server created while it was disabled (before()).
      const placed = (await admin('GET', `/v2.1/servers/${memberServer}`)).body.server;
      assert.equal(placed['OS-EXT-SRV-ATTR:host'], H1);
      const on = await admin('PUT', `/v2.1/os-hosts/${H2}`, { body: { status: 'enable' } });
      assert.deepEqual(on.body, { host: H2, status: 'enabled' });
      assert.equal((await admin('GET', `/v2.1/os-services?host=${H2}`)).body.services[0].status, 'enabled');
      const maint = await admin('PUT', `/v2.1/os-hosts/${H2}`, {
        body: { status: 'disable', maintenance_mode: 'enable' },
      });
      assert.equal(maint.status, 501);
      assert.deepEqual(maint.body, NOT_SUPPORTED);
      // As in Nova, the status was set before maintenance_mode was refused.
      assert.equal((await admin('GET', `/v2.1/os-services?host=${H2}`)).body.services[0].status, 'disabled');
      await admin('PUT', `/v2.1/os-hosts/${H2}`, { body: { status: 'enable' } });
    });

    test('os-hosts update: bad bodies are 400 with the validator message, unknown host 404', async () => {
      const cases: Array<[unknown, string]> = [
        [
          { status: 'invalid', maintenance_mode: 'enable' },
          `Invalid input for field/attribute status. Value: invalid. 'invalid' is not one of ${ENUM}`,
        ],
        [
          { status: 'enable', maintenance_mode: 'invalid' },
          `Invalid input for field/attribute maintenance_mode. Value: invalid. 'invalid' is not one of ${ENUM}`,
        ],
        [{ status: 1 }, "Invalid input for field/attribute status. Value: 1. 1 is not of type 'string'"],
        [{}, '{} is not valid under any of the given schemas'],
        [{ status: 'enable', foo: 1 }, "Additional properties are not allowed ('foo' was unexpected)"],
        [['status'], "['status'] is not of type 'object'"],
      ];
      for (const [body, message] of cases) {
        const res = await admin('PUT', `/v2.1/os-hosts/${H1}`, { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, bad(message));
      }
      const missing = await admin('PUT', '/v2.1/os-hosts/nonexistent_hostname', {
        body: { status: 'enable', maintenance_mode: 'enable' },
      });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, notFound("Host 'nonexistent_hostname' is not mapped to any cell"));
    });

    test('os-hosts power actions: 501 for a known host (no driver powers its host), 404 for an unknown one', async () => {
      for (const action of ['reboot', 'shutdown', 'startup']) {
        const res = await admin('GET', `/v2.1/os-hosts/${H1}/${action}`);
        assert.equal(res.status, 501);
        assert.deepEqual(res.body, NOT_SUPPORTED);
        const missing = await admin('GET', `/v2.1/os-hosts/nope/${action}`);
        assert.equal(missing.status, 404);
        assert.deepEqual(missing.body, notFound("Host 'nope' is not mapped to any cell"));
      }
    });

    test('os-hosts: admin only (403 names the rule), 401 without a token, 404 from 2.43, 405 otherwise', async () => {
      const routes: Array<[string, string, string, unknown?]> = [
        ['GET', '/v2.1/os-hosts', 'list'],
        ['GET', `/v2.1/os-hosts/${H1}`, 'show'],
        ['PUT', `/v2.1/os-hosts/${H1}`, 'update', { status: 'enable', maintenance_mode: 'enable' }],
        ['GET', `/v2.1/os-hosts/${H1}/reboot`, 'reboot'],
        ['GET', `/v2.1/os-hosts/${H1}/shutdown`, 'shutdown'],
        ['GET', `/v2.1/os-hosts/${H1}/startup`, 'start'],
      ];
      for (const [method, path, action, body] of routes) {
        for (const as of NON_ADMINS) {
          const res = await cloud.request(method, path, { as, body });
          assert.equal(res.status, 403, `${as} ${method} ${path}`);
          assert.deepEqual(res.body, forbidden(`os_compute_api:os-hosts:${action}`));
        }
        assert.equal((await cloud.request(method, path, { body })).status, 401);
        const gone = await admin(method, path, { body, mv: '2.43' });
        assert.equal(gone.status, 404);
        assert.deepEqual(gone.body, notFound('The resource could not be found.'));
        assert.notEqual((await admin(method, path, { body, mv: '2.42' })).status, 404);
      }
      const del = await admin('DELETE', `/v2.1/os-hosts/${H1}`);
      assert.equal(del.status, 405);
    });

    // --- /extensions ------------------------------------------------------------------------
    test('extensions: Nova’s fixed list for every persona; show by alias; 404 for an unknown alias', async () => {
      for (const as of ['admin', ...NON_ADMINS] as Persona[]) {
        const res = await cloud.request('GET', '/v2.1/extensions', { as });
        assert.equal(res.status, 200);
        assert.equal(res.body.extensions.length, 99);
        assert.ok(res.body.extensions.some((e: { name: string }) => e.name === 'Hosts'));
      }
      const one = await cloud.request('GET', '/v2.1/extensions/os-consoles', { as: 'member' });
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, {
        extension: {
          alias: 'os-consoles',
          description: 'Interactive Console support.',
          links: [],
          name: 'Consoles',
          namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
          updated: '2014-12-03T00:00:00Z',
        },
      });
      const missing = await cloud.request('GET', '/v2.1/extensions/os-nothing', { as: 'member' });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, notFound('The resource could not be found.'));
      assert.equal((await cloud.request('GET', '/v2.1/extensions')).status, 401);
    });

    // --- os-instance-usage-audit-log ----------------------------------------------------------
    const noAudit = (begin: string, end: string) => ({
      period_beginning: begin,
      period_ending: end,
      num_hosts: 2,
      num_hosts_done: 0,
      num_hosts_running: 0,
      num_hosts_not_run: 2,
      hosts_not_run: [H1, H2],
      total_instances: 0,
      total_errors: 0,
      overall_status: '0 of 2 hosts done. 0 errors.',
      log: {},
    });
    test('audit log: no audit has run, so every compute host is not run; the period is the last whole month', async () => {
      const list = await admin('GET', '/v2.1/os-instance_usage_audit_log');
      assert.equal(list.status, 200);
      assert.equal(list.body.instance_usage_audit_logs.num_hosts, 2);
      assert.match(list.body.instance_usage_audit_logs.period_ending, /^\d{4}-\d{2}-01 00:00:00$/);
      const show = await admin('GET', `/v2.1/os-instance_usage_audit_log/${encodeURIComponent('2024-03-15 10:20:30')}`);
      assert.equal(show.status, 200);
      assert.deepEqual(show.body, { instance_usage_audit_log: noAudit('2024-02-01 00:00:00', '2024-03-01 00:00:00') });
      // The 1st at midnight ends the month before; January wraps to the year before; fractions are allowed.
      const first = await admin(
        'GET',
        `/v2.1/os-instance_usage_audit_log/${encodeURIComponent('2024-03-01 00:00:00')}`,
      );
      assert.deepEqual(first.body.instance_usage_audit_log, noAudit('2024-01-01 00:00:00', '2024-02-01 00:00:00'));
      const jan = await admin('GET', `/v2.1/os-instance_usage_audit_log/${encodeURIComponent('2024-1-5 1:2:3.5')}`);
      assert.deepEqual(jan.body.instance_usage_audit_log, noAudit('2023-12-01 00:00:00', '2024-01-01 00:00:00'));
    });

    test('audit log: a bad timestamp is 400; admin only; 401 without a token', async () => {
      for (const id of ['invalid_time', '2024-02-30 00:00:00', '2024-01-01', '2024-01-01 00:00:00.']) {
        const res = await admin('GET', `/v2.1/os-instance_usage_audit_log/${encodeURIComponent(id)}`);
        assert.equal(res.status, 400, id);
        assert.deepEqual(res.body, bad(`Invalid timestamp for date ${id}`));
      }
      for (const as of NON_ADMINS) {
        const l = await cloud.request('GET', '/v2.1/os-instance_usage_audit_log', { as });
        assert.equal(l.status, 403);
        assert.deepEqual(l.body, forbidden('os_compute_api:os-instance-usage-audit-log:list'));
        const s = await cloud.request('GET', '/v2.1/os-instance_usage_audit_log/invalid', { as });
        assert.equal(s.status, 403);
        assert.deepEqual(s.body, forbidden('os_compute_api:os-instance-usage-audit-log:show'));
      }
      assert.equal((await cloud.request('GET', '/v2.1/os-instance_usage_audit_log')).status, 401);
    });

    // --- os-server-external-events ------------------------------------------------------------
    test('external events: 200 when every event is accepted; 207 with per-event 404/400 otherwise', async () => {
      const ok = await admin('POST', '/v2.1/os-server-external-events', {
        body: {
          events: [
            { name: 'network-changed', server_uuid: server },
            { name: 'network-vif-plugged', server_uuid: memberServer, tag: 'port-1', status: 'in-progress' },
          ],
        },
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, {
        events: [
          { name: 'network-changed', server_uuid: server, status: 'completed', code: 200 },
          { name: 'network-vif-plugged', server_uuid: memberServer, tag: 'port-1', status: 'completed', code: 200 },
        ],
      });
      const unknown = '9f2c1a7e-0d6b-4b43-9c1e-2f3a4b5c6d7e';
      const mixed = await admin('POST', '/v2.1/os-server-external-events', {
        mv: '2.76',
        body: {
          events: [
            { name: 'power-update', server_uuid: server },
            { name: 'network-changed', server_uuid: unknown },
            { name: 'power-update', server_uuid: server, tag: 'POWER_OFF' },
          ],
        },
      });
      assert.equal(mixed.status, 207);
      assert.deepEqual(mixed.body, {
        events: [
          { name: 'power-update', server_uuid: server, status: 'failed', code: 400 },
          { name: 'network-changed', server_uuid: unknown, status: 'failed', code: 404 },
          { name: 'power-update', server_uuid: server, tag: 'POWER_OFF', status: 'completed', code: 200 },
        ],
      });
      // Every event dropped is still 207 (Nova removed the overall 404).
      const none = await admin('POST', '/v2.1/os-server-external-events', {
        body: { events: [{ name: 'network-changed', server_uuid: unknown }] },
      });
      assert.equal(none.status, 207);
    });

    test('external events: names by microversion, schema errors 400, admin (or service) only', async () => {
      const ev = (e: Record<string, unknown>, mv?: string) =>
        admin('POST', '/v2.1/os-server-external-events', { mv, body: { events: [e] } });
      const v50 = await ev({ name: 'volume-extended', server_uuid: server, tag: 'v' }, '2.50');
      assert.equal(v50.status, 400);
      assert.deepEqual(
        v50.body,
        bad(
          "Invalid input for field/attribute name. Value: volume-extended. 'volume-extended' is not one of ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted']",
        ),
      );
      assert.equal((await ev({ name: 'volume-extended', server_uuid: server, tag: 'v' }, '2.51')).status, 200);
      assert.equal(
        (await ev({ name: 'accelerator-request-bound', server_uuid: server, tag: 'a' }, '2.82')).status,
        200,
      );
      assert.equal((await ev({ name: 'volume-reimaged', server_uuid: server }, '2.92')).status, 400);
      assert.equal((await ev({ name: 'volume-reimaged', server_uuid: server }, '2.93')).status, 200);
      const cases: Array<[unknown, string]> = [
        [{}, "'events' is a required property"],
        [{ events: [] }, 'Invalid input for field/attribute events. Value: []. [] should be non-empty'],
        [{ events: {} }, "Invalid input for field/attribute events. Value: {}. {} is not of type 'array'"],
        [
          { events: [{ name: 'network-changed' }] },
          "Invalid input for field/attribute 0. Value: {'name': 'network-changed'}. 'server_uuid' is a required property",
        ],
        [
          { events: [{ name: 'network-changed', server_uuid: 'abc' }] },
          "Invalid input for field/attribute server_uuid. Value: abc. 'abc' is not a 'uuid'",
        ],
        [
          { events: [{ name: 'network-changed', server_uuid: server, status: 'done' }] },
          "Invalid input for field/attribute status. Value: done. 'done' is not one of ['failed', 'completed', 'in-progress']",
        ],
        [
          { events: [{ name: 'network-changed', server_uuid: server, tag: 'x'.repeat(256) }] },
          `Invalid input for field/attribute tag. Value: ${'x'.repeat(256)}. '${'x'.repeat(256)}' is too long`,
        ],
        [
          { events: [{ name: 'network-changed', server_uuid: server, x: 1 }] },
          `Invalid input for field/attribute 0. Value: {'name': 'network-changed', 'server_uuid': '${server}', 'x': 1}. Additional properties are not allowed ('x' was unexpected)`,
        ],
        [{ events: [], extra: 1 }, 'Invalid input for field/attribute events. Value: []. [] should be non-empty'],
        [
          { events: [{ name: 'network-changed', server_uuid: server }], extra: 1 },
          "Additional properties are not allowed ('extra' was unexpected)",
        ],
      ];
      for (const [body, message] of cases) {
        const res = await admin('POST', '/v2.1/os-server-external-events', { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, bad(message));
      }
      for (const as of NON_ADMINS) {
        const res = await cloud.request('POST', '/v2.1/os-server-external-events', {
          as,
          body: { events: [{ name: 'network-changed', server_uuid: server }] },
        });
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, forbidden('os_compute_api:os-server-external-events:create'));
      }
      assert.equal(
        (await cloud.request('POST', '/v2.1/os-server-external-events', { body: { events: [] } })).status,
        401,
      );
    });

    // --- servers list: name is a regular expression --------------------------------------------
    test('servers name filter: a case-sensitive regular expression searched anywhere; a bad one is 400', async () => {
      const names = async (q: string) =>
        (await admin('GET', `/v2.1/servers?all_tenants=1&name=${encodeURIComponent(q)}`)).body.servers
          .map((s: { name: string }) => s.name)
          .sort();
      assert.deepEqual(await names('web'), ['web-01']);
      assert.deepEqual(await names('[wW]eb-0'), ['Web-02', 'web-01']);
      assert.deepEqual(await names('^Web'), ['Web-02']);
      assert.deepEqual(await names('0[12]$'), ['Web-02', 'web-01']);
      assert.deepEqual(await names('eb-0.'), ['Web-02', 'web-01']);
      assert.deepEqual(await names('%'), []);
      const badRe = await admin('GET', `/v2.1/servers?name=${encodeURIComponent('web(')}`);
      assert.equal(badRe.status, 400);
      assert.deepEqual(badRe.body, bad('Invalid filter field: name.'));
      const member = await cloud.request('GET', '/v2.1/servers?name=%5EWeb', { as: 'member' });
      assert.deepEqual(
        member.body.servers.map((s: { name: string }) => s.name),
        ['Web-02'],
      );
    });
  });
}
