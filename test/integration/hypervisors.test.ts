// os-hypervisors and os-simple-tenant-usage, built from the compute services and the servers,
// on SQLite and PostgreSQL: status and exact body of every answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, UUID_RE, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const fault = (key: string, code: number, message: string) => ({ [key]: { code, message } });
const bad = (message: string) => fault('badRequest', 400, message);
const notFound = (message: string) => fault('itemNotFound', 404, message);
const forbidden = (rule: string) => fault('forbidden', 403, `Policy doesn't allow ${rule} to be performed.`);
const NON_ADMINS: Persona[] = ['member', 'reader', 'other'];
const H1 = 'compute-test-1';
const H2 = 'compute-test-2';
const USEC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

for (const target of databaseTargets()) {
  describe(`os-hypervisors and os-simple-tenant-usage (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let server: string;
    let deletedServer: string;
    const req = (path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request('GET', path, { as: 'admin', ...opts });

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ agents: 2, database: db.url });
      server = await cloud.createServer('admin', { availability_zone: `nova:${H1}` });
      // The member's project has a server that lived in the window and is gone.
      deletedServer = await cloud.createServer('member', { name: 'gone' });
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${deletedServer}`, { as: 'admin' })).status, 204);
      await cloud.drain();
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    // --- os-hypervisors -------------------------------------------------------------------
    test('list: integer ids before 2.53, UUIDs from 2.53; state and status', async () => {
      const res = await req('/v2.1/os-hypervisors');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        hypervisors: [
          { id: 1, hypervisor_hostname: H1, state: 'up', status: 'enabled' },
          { id: 2, hypervisor_hostname: H2, state: 'up', status: 'enabled' },
        ],
      });
      const v53 = await req('/v2.1/os-hypervisors', { mv: '2.53' });
      assert.equal(v53.status, 200);
      assert.equal(v53.body.hypervisors.length, 2);
      for (const h of v53.body.hypervisors) assert.match(h.id, UUID_RE);
      assert.equal(v53.body.hypervisors_links, undefined);
    });

    test('policy: every hypervisor route is admin-only (403 names the rule); no token is 401', async () => {
      const uuid = (await req('/v2.1/os-hypervisors', { mv: '2.53' })).body.hypervisors[0].id;
      const routes: Array<[string, string, string?]> = [
        ['/v2.1/os-hypervisors', 'list'],
        ['/v2.1/os-hypervisors/detail', 'list-detail'],
        ['/v2.1/os-hypervisors/statistics', 'statistics'],
        ['/v2.1/os-hypervisors/1', 'show'],
        ['/v2.1/os-hypervisors/1/uptime', 'uptime'],
        ['/v2.1/os-hypervisors/compute/search', 'search'],
        ['/v2.1/os-hypervisors/compute/servers', 'servers'],
        [`/v2.1/os-hypervisors/${uuid}`, 'show', '2.53'],
      ];
      for (const [path, rule, mv] of routes) {
        for (const as of NON_ADMINS) {
          const res = await req(path, { as, mv });
          assert.equal(res.status, 403, `${as} ${path}`);
          assert.deepEqual(res.body, forbidden(`os_compute_api:os-hypervisors:${rule}`));
        }
        assert.equal((await cloud.request('GET', path)).status, 401);
      }
    });

    test('detail and show: the resources the node declared and what its servers use', async () => {
      const svc = (await req(`/v2.1/os-services?binary=nova-compute&host=${H1}`, { mv: '2.53' })).body.services[0];
      const node = await cloud.stack.deps.db
        .selectFrom('services')
        .selectAll()
        .where('host', '=', H1)
        .executeTakeFirstOrThrow();
      const res = await req('/v2.1/os-hypervisors/detail', { mv: '2.27' });
      assert.equal(res.status, 200);
      const h1 = res.body.hypervisors[0];
      assert.deepEqual(Object.keys(h1).sort(), [
        'cpu_info',
        'current_workload',
        'disk_available_least',
        'free_disk_gb',
        'free_ram_mb',
        'host_ip',
        'hypervisor_hostname',
        'hypervisor_type',
        'hypervisor_version',
        'id',
        'local_gb',
        'local_gb_used',
        'memory_mb',
        'memory_mb_used',
        'running_vms',
        'service',
        'state',
        'status',
        'vcpus',
        'vcpus_used',
      ]);
      assert.equal(h1.cpu_info, '{}', 'a JSON string before 2.28');
      assert.equal(h1.hypervisor_type, 'fake');
      assert.equal(h1.hypervisor_version, 1000);
      assert.equal(h1.host_ip, '127.0.0.1');
      assert.equal(h1.vcpus, node.vcpus);
      assert.equal(h1.memory_mb, node.memory_mb);
      assert.equal(h1.local_gb, node.disk_gb);
      assert.equal(h1.running_vms, 1);
      assert.equal(h1.vcpus_used, 1);
      assert.equal(h1.memory_mb_used, 512);
      assert.equal(h1.free_ram_mb, node.memory_mb - 512);
      assert.equal(h1.local_gb_used, 1);
      assert.equal(h1.free_disk_gb, node.disk_gb - 1);
      assert.equal(h1.current_workload, 0);
      assert.deepEqual(h1.service, { id: h1.service.id, host: H1, disabled_reason: null });
      assert.equal(typeof h1.service.id, 'number');
      const h2 = res.body.hypervisors[1];
      assert.equal(h2.running_vms, 0, 'the deleted server counts nowhere');
      // 2.28: cpu_info an object; show = the detail entry.
      const shown = await req('/v2.1/os-hypervisors/1', { mv: '2.28' });
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.hypervisor, { ...h1, cpu_info: {} });
      // 2.53: UUIDs, the service's own UUID.
      const v53 = await req('/v2.1/os-hypervisors/detail', { mv: '2.53' });
      assert.equal(v53.body.hypervisors[0].service.id, svc.id);
      assert.notEqual(v53.body.hypervisors[0].id, svc.id, 'a compute node is not its service');
      // 2.88: the resource fields go, the uptime comes (the node's uptime(1) line).
      const v88 = await req(`/v2.1/os-hypervisors/${v53.body.hypervisors[0].id}`, { mv: '2.88' });
      assert.equal(v88.status, 200);
      assert.match(v88.body.hypervisor.uptime, /^ \d\d:\d\d:\d\d up .*load average: /);
      assert.deepEqual(
        { ...v88.body.hypervisor, uptime: null },
        {
          id: v53.body.hypervisors[0].id,
          hypervisor_hostname: H1,
          state: 'up',
          status: 'enabled',
          hypervisor_type: 'fake',
          hypervisor_version: 1000,
          host_ip: '127.0.0.1',
          service: { id: svc.id, host: H1, disabled_reason: null },
          uptime: null,
        },
      );
    });

    test('show: 404 for an unknown or non-integer id before 2.53; 400 for a bad UUID from 2.53', async () => {
      for (const id of ['99', 'abc', '1.5']) {
        const res = await req(`/v2.1/os-hypervisors/${id}`);
        assert.equal(res.status, 404, id);
        assert.deepEqual(res.body, notFound(`Hypervisor with ID '${id}' could not be found.`));
      }
      const badUuid = await req('/v2.1/os-hypervisors/1', { mv: '2.53' });
      assert.equal(badUuid.status, 400);
      assert.deepEqual(badUuid.body, bad('Invalid uuid 1'));
      const missing = '00000000-0000-4000-8000-000000000000';
      const res = await req(`/v2.1/os-hypervisors/${missing}`, { mv: '2.53' });
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, notFound(`Hypervisor with ID '${missing}' could not be found.`));
      const extra = await req(`/v2.1/os-hypervisors/${missing}?foo=1`, { mv: '2.53' });
      assert.equal(extra.status, 400);
      assert.deepEqual(extra.body, bad("Additional properties are not allowed ('foo' was unexpected)"));
    });

    test('with_servers (2.53) and the 2.75 empty list; bad booleans are 400', async () => {
      const res = await req('/v2.1/os-hypervisors?with_servers=true', { mv: '2.53' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.hypervisors[0].servers, [{ name: 'test-server', uuid: server }]);
      assert.equal(res.body.hypervisors[1].servers, undefined, 'none before 2.75');
      const v75 = await req('/v2.1/os-hypervisors/detail?with_servers=1', { mv: '2.75' });
      assert.deepEqual(v75.body.hypervisors[1].servers, []);
      const id = res.body.hypervisors[0].id;
      const shown = await req(`/v2.1/os-hypervisors/${id}?with_servers=yes`, { mv: '2.53' });
      assert.deepEqual(shown.body.hypervisor.servers, [{ name: 'test-server', uuid: server }]);
      const wrong = await req('/v2.1/os-hypervisors?with_servers=maybe', { mv: '2.53' });
      assert.equal(wrong.status, 400);
      assert.deepEqual(
        wrong.body,
        bad(
          "Invalid input for query parameters with_servers. Value: maybe. 'maybe' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']",
        ),
      );
    });

    test('hypervisor_hostname_pattern (2.53): matches, 404 when none, 400 with paging or a bad pattern', async () => {
      const res = await req('/v2.1/os-hypervisors?hypervisor_hostname_pattern=test-2', { mv: '2.53' });
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.hypervisors.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname),
        [H2],
      );
      const none = await req('/v2.1/os-hypervisors/detail?hypervisor_hostname_pattern=nope', { mv: '2.53' });
      assert.equal(none.status, 404);
      assert.deepEqual(none.body, notFound("No hypervisor matching 'nope' could be found."));
      const paged = await req('/v2.1/os-hypervisors?hypervisor_hostname_pattern=c&limit=1', { mv: '2.53' });
      assert.equal(paged.status, 400);
      assert.deepEqual(
        paged.body,
        bad('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.'),
      );
      const badPattern = await req('/v2.1/os-hypervisors?hypervisor_hostname_pattern=a%20b', { mv: '2.53' });
      assert.equal(badPattern.status, 400);
      assert.deepEqual(
        badPattern.body,
        bad(
          "Invalid input for query parameters hypervisor_hostname_pattern. Value: a b. 'a b' does not match '^[a-zA-Z0-9-._]*$'",
        ),
      );
      const extra = await req('/v2.1/os-hypervisors?foo=1', { mv: '2.53' });
      assert.equal(extra.status, 400);
      assert.deepEqual(extra.body, bad("Additional properties are not allowed ('foo' was unexpected)"));
      assert.equal((await req('/v2.1/os-hypervisors?foo=1', { mv: '2.52' })).status, 200, 'ignored before 2.53');
    });

    test('paging (2.33): limit, marker, next link; bad limit and unknown marker are 400', async () => {
      const res = await req('/v2.1/os-hypervisors?limit=1', { mv: '2.33' });
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.hypervisors.map((h: { id: number }) => h.id),
        [1],
      );
      assert.deepEqual(res.body.hypervisors_links, [
        { rel: 'next', href: `${cloud.url}/v2.1/os-hypervisors?limit=1&marker=1` },
      ]);
      const next = await req('/v2.1/os-hypervisors/detail?limit=1&marker=1', { mv: '2.33' });
      assert.deepEqual(
        next.body.hypervisors.map((h: { id: number }) => h.id),
        [2],
      );
      const v53 = (await req('/v2.1/os-hypervisors', { mv: '2.53' })).body.hypervisors;
      const after1 = await req(`/v2.1/os-hypervisors?marker=${v53[0].id}`, { mv: '2.53' });
      assert.deepEqual(after1.body.hypervisors, [v53[1]]);
      const badMarker = await req('/v2.1/os-hypervisors?marker=nope', { mv: '2.33' });
      assert.equal(badMarker.status, 400);
      assert.deepEqual(badMarker.body, bad('marker [nope] not found'));
      const badLimit = await req('/v2.1/os-hypervisors?limit=x', { mv: '2.33' });
      assert.equal(badLimit.status, 400);
      assert.deepEqual(
        badLimit.body,
        bad("Invalid input for query parameters limit. Value: x. 'x' does not match '^[0-9]*$'"),
      );
      assert.equal((await req('/v2.1/os-hypervisors?limit=x', { mv: '2.32' })).status, 200, 'no paging before 2.33');
    });

    test('statistics: sums over enabled nodes; 404 from 2.88', async () => {
      const detail = (await req('/v2.1/os-hypervisors/detail')).body.hypervisors;
      const res = await req('/v2.1/os-hypervisors/statistics');
      assert.equal(res.status, 200);
      const sum = (k: string) => detail.reduce((a: number, h: Record<string, number>) => a + h[k], 0);
      assert.deepEqual(res.body, {
        hypervisor_statistics: {
          count: 2,
          current_workload: 0,
          disk_available_least: sum('disk_available_least'),
          free_disk_gb: sum('free_disk_gb'),
          free_ram_mb: sum('free_ram_mb'),
          local_gb: sum('local_gb'),
          local_gb_used: 1,
          memory_mb: sum('memory_mb'),
          memory_mb_used: 512,
          running_vms: 1,
          vcpus: sum('vcpus'),
          vcpus_used: 1,
        },
      });
      const gone = await req('/v2.1/os-hypervisors/statistics', { mv: '2.88' });
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, notFound('The resource could not be found.'));
    });

    test("uptime: the node's uptime(1) line, as Nova's libvirt driver; 404 unknown; 404 from 2.88", async () => {
      const res = await req('/v2.1/os-hypervisors/1/uptime');
      assert.equal(res.status, 200, res.text);
      assert.match(
        res.body.hypervisor.uptime,
        /^ \d\d:\d\d:\d\d up .*, {2}0 users, {2}load average: [\d.]+, [\d.]+, [\d.]+$/,
      );
      const missing = await req('/v2.1/os-hypervisors/7/uptime');
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, notFound("Hypervisor with ID '7' could not be found."));
      const badUuid = await req('/v2.1/os-hypervisors/7/uptime', { mv: '2.53' });
      assert.equal(badUuid.status, 400);
      assert.deepEqual(badUuid.body, bad('Invalid uuid 7'));
      const gone = await req('/v2.1/os-hypervisors/1/uptime', { mv: '2.88' });
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, notFound('The resource could not be found.'));
    });

    test('search and servers (before 2.53): matches, 404 when none, 404 from 2.53', async () => {
      const res = await req('/v2.1/os-hypervisors/test-1/search');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { hypervisors: [{ id: 1, hypervisor_hostname: H1, state: 'up', status: 'enabled' }] });
      const servers = await req('/v2.1/os-hypervisors/compute/servers');
      assert.equal(servers.status, 200);
      assert.deepEqual(servers.body, {
        hypervisors: [
          {
            id: 1,
            hypervisor_hostname: H1,
            state: 'up',
            status: 'enabled',
            servers: [{ name: 'test-server', uuid: server }],
          },
          { id: 2, hypervisor_hostname: H2, state: 'up', status: 'enabled' },
        ],
      });
      for (const route of ['search', 'servers']) {
        const none = await req(`/v2.1/os-hypervisors/zzz/${route}`);
        assert.equal(none.status, 404);
        assert.deepEqual(none.body, notFound("No hypervisor matching 'zzz' could be found."));
        const gone = await req(`/v2.1/os-hypervisors/compute/${route}`, { mv: '2.53' });
        assert.equal(gone.status, 404);
        assert.deepEqual(gone.body, notFound('The resource could not be found.'));
      }
    });

    test('a disabled service: status disabled with its reason; left out of the statistics', async () => {
      const put = await cloud.request('PUT', '/v2.1/os-services/disable-log-reason', {
        as: 'admin',
        body: { host: H2, binary: 'nova-compute', disabled_reason: 'maintenance' },
      });
      assert.equal(put.status, 200, put.text);
      try {
        const h2 = (await req('/v2.1/os-hypervisors/2')).body.hypervisor;
        assert.equal(h2.status, 'disabled');
        assert.equal(h2.service.disabled_reason, 'maintenance');
        assert.equal((await req('/v2.1/os-hypervisors/statistics')).body.hypervisor_statistics.count, 1);
      } finally {
        await cloud.request('PUT', '/v2.1/os-services/enable', {
          as: 'admin',
          body: { host: H2, binary: 'nova-compute' },
        });
      }
    });

    test('405 for other methods', async () => {
      const res = await cloud.request('POST', '/v2.1/os-hypervisors', { as: 'admin', body: {} });
      assert.equal(res.status, 405);
      assert.deepEqual(res.body, fault('badMethod', 405, 'The method specified is not allowed for this resource.'));
    });

    // --- os-simple-tenant-usage -----------------------------------------------------------
    const window = () => {
      const start = new Date(Date.now() - 3_600_000).toISOString().replace('Z', '');
      const end = new Date(Date.now() + 3_600_000).toISOString().replace('Z', '');
      return `start=${start}&end=${end}`;
    };

    test('usage index (admin): every project, deleted servers overlapping the window included', async () => {
      const res = await req(`/v2.1/os-simple-tenant-usage?${window()}&detailed=1`);
      assert.equal(res.status, 200, res.text);
      const usages = res.body.tenant_usages as Array<Record<string, any>>;
      const all = usages.flatMap((u) => u.server_usages);
      const mine = all.find((s: { instance_id: string }) => s.instance_id === server);
      const gone = all.find((s: { instance_id: string }) => s.instance_id === deletedServer);
      assert.ok(mine && gone);
      assert.deepEqual(Object.keys(mine).sort(), [
        'ended_at',
        'flavor',
        'hours',
        'instance_id',
        'local_gb',
        'memory_mb',
        'name',
        'started_at',
        'state',
        'tenant_id',
        'uptime',
        'vcpus',
      ]);
      assert.equal(mine.state, 'active');
      assert.equal(mine.ended_at, null);
      assert.equal(mine.flavor, 'm1.tiny');
      assert.deepEqual([mine.vcpus, mine.memory_mb, mine.local_gb], [1, 512, 1]);
      assert.match(mine.started_at, USEC);
      assert.ok(mine.hours > 0 && mine.hours < 1);
      assert.equal(gone.state, 'terminated');
      assert.match(gone.ended_at, USEC);
      const u = usages.find((x) => x.tenant_id === mine.tenant_id)!;
      assert.match(u.start, USEC);
      assert.match(u.stop, USEC);
      const brief = await req(`/v2.1/os-simple-tenant-usage?${window()}`);
      assert.equal(brief.body.tenant_usages[0].server_usages, undefined, 'no server_usages unless detailed=1');
      assert.deepEqual(Object.keys(brief.body.tenant_usages[0]).sort(), [
        'start',
        'stop',
        'tenant_id',
        'total_hours',
        'total_local_gb_usage',
        'total_memory_mb_usage',
        'total_vcpus_usage',
      ]);
    });

    test('usage show: the project reader sees its own; other projects and members of others 403', async () => {
      const project = cloud.projects.member;
      for (const as of ['admin', 'member', 'reader'] as Persona[]) {
        const res = await req(`/v2.1/os-simple-tenant-usage/${project}?${window()}`, { as });
        assert.equal(res.status, 200, `${as}: ${res.text}`);
        assert.equal(res.body.tenant_usage.tenant_id, project);
        assert.deepEqual(
          res.body.tenant_usage.server_usages.map((u: { instance_id: string; state: string }) => [
            u.instance_id,
            u.state,
          ]),
          [[deletedServer, 'terminated']],
        );
      }
      const other = await req(`/v2.1/os-simple-tenant-usage/${project}`, { as: 'other' });
      assert.equal(other.status, 403);
      assert.deepEqual(other.body, forbidden('os_compute_api:os-simple-tenant-usage:show'));
      for (const as of NON_ADMINS) {
        const res = await req('/v2.1/os-simple-tenant-usage', { as });
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, forbidden('os_compute_api:os-simple-tenant-usage:list'));
      }
      assert.equal((await cloud.request('GET', '/v2.1/os-simple-tenant-usage')).status, 401);
      const empty = await req('/v2.1/os-simple-tenant-usage/no-such-project?start=2001-01-01T00:00:00');
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { tenant_usage: {} });
    });

    test('usage: bad times are 400 with Nova messages', async () => {
      const inverted = await req('/v2.1/os-simple-tenant-usage?start=2020-01-02T00:00:00&end=2020-01-01T00:00:00');
      assert.equal(inverted.status, 400);
      assert.deepEqual(inverted.body, bad('Invalid start time. The start time cannot occur after the end time.'));
      for (const t of ['yesterday', '2020-13-01T00:00:00', '2020-01-01']) {
        const res = await req(`/v2.1/os-simple-tenant-usage?start=${t}`);
        assert.equal(res.status, 400, t);
        assert.deepEqual(res.body, bad('Invalid datetime string: Datetime is in invalid format'));
      }
      const spaced = await req('/v2.1/os-simple-tenant-usage?start=2020-01-01%2000:00:00.5');
      assert.equal(spaced.status, 200, 'the "%Y-%m-%d %H:%M:%S.%f" form');
    });

    test('usage paging (2.40): limit, marker, links; bad marker and limit 400; strict query from 2.75', async () => {
      const res = await req(`/v2.1/os-simple-tenant-usage?${window()}&detailed=1&limit=1`, { mv: '2.40' });
      assert.equal(res.status, 200);
      const first = res.body.tenant_usages.flatMap((u: any) => u.server_usages);
      assert.equal(first.length, 1);
      const link = res.body.tenant_usages_links[0];
      assert.equal(link.rel, 'next');
      assert.ok(link.href.includes(`marker=${first[0].instance_id}`), link.href);
      const next = await req(
        `/v2.1/os-simple-tenant-usage?${window()}&detailed=1&limit=1&marker=${first[0].instance_id}`,
        {
          mv: '2.40',
        },
      );
      const second = next.body.tenant_usages.flatMap((u: any) => u.server_usages);
      assert.equal(second.length, 1);
      assert.notEqual(second[0].instance_id, first[0].instance_id);
      const badMarker = await req('/v2.1/os-simple-tenant-usage?marker=nope', { mv: '2.40' });
      assert.equal(badMarker.status, 400);
      assert.deepEqual(badMarker.body, bad('Marker nope could not be found.'));
      const badLimit = await req('/v2.1/os-simple-tenant-usage?limit=-1', { mv: '2.40' });
      assert.equal(badLimit.status, 400);
      assert.deepEqual(
        badLimit.body,
        bad("Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'"),
      );
      const extra = await req('/v2.1/os-simple-tenant-usage?foo=1', { mv: '2.75' });
      assert.equal(extra.status, 400);
      assert.deepEqual(extra.body, bad("Additional properties are not allowed ('foo' was unexpected)"));
      const showDetailed = await req(`/v2.1/os-simple-tenant-usage/${cloud.projects.member}?detailed=1`, {
        mv: '2.75',
      });
      assert.equal(showDetailed.status, 400);
      assert.deepEqual(showDetailed.body, bad("Additional properties are not allowed ('detailed' was unexpected)"));
      assert.equal((await req('/v2.1/os-simple-tenant-usage?foo=1', { mv: '2.74' })).status, 200);
    });
  });
}
