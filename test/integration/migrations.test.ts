// GET /os-migrations (nova/api/openstack/compute/migrations.py): fields per microversion,
// filters, paging (2.59), changes-since/-before, 2.80 user and project, policy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';

let cloud: TestCloud;
let server: string;
let other: string;
const list = (q = '', mv?: string, as: 'admin' | 'member' | 'reader' | 'other' = 'admin') =>
  cloud.request('GET', `/v2.1/os-migrations${q}`, { as, mv });
const settle = async () => {
  for (let i = 0; i < 3; i++) await cloud.drain();
};

before(async () => {
  cloud = await TestCloud.start();
  server = await cloud.createServer();
  other = await cloud.createServer();
  for (const [id, flavor] of [
    [server, '2'],
    [other, '3'],
  ]) {
    const r = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
      as: 'member',
      body: { resize: { flavorRef: flavor } },
    });
    assert.equal(r.status, 202);
    await settle();
  }
  await cloud.request('POST', `/v2.1/servers/${server}/action`, { as: 'member', body: { confirmResize: null } });
  await settle();
});
after(async () => {
  await cloud.close();
});

test('2.1: the Migration fields without migration_type, uuid, links; newest first', async () => {
  const res = await list();
  assert.equal(res.status, 200);
  const [b, a] = res.body.migrations;
  assert.equal(a.instance_uuid, server);
  assert.equal(b.instance_uuid, other);
  assert.deepEqual(Object.keys(a).sort(), [
    'created_at',
    'dest_compute',
    'dest_host',
    'dest_node',
    'id',
    'instance_uuid',
    'new_instance_type_id',
    'old_instance_type_id',
    'source_compute',
    'source_node',
    'status',
    'updated_at',
  ]);
  assert.equal(a.status, 'confirmed');
  assert.equal(b.status, 'finished');
  assert.equal(a.old_instance_type_id, 1);
  assert.equal(a.new_instance_type_id, 2);
  assert.equal(a.source_compute, 'compute-test');
  assert.match(a.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
});

test('2.23 migration_type; 2.59 uuid; 2.80 user_id and project_id', async () => {
  const m23 = (await list('', '2.23')).body.migrations[0];
  assert.equal(m23.migration_type, 'resize');
  assert.equal(m23.uuid, undefined);
  assert.equal(m23.links, undefined, 'links only for live migrations in progress');
  const m59 = (await list('', '2.59')).body.migrations[0];
  assert.match(m59.uuid, /^[0-9a-f-]{36}$/);
  assert.equal(m59.user_id, undefined);
  const m80 = (await list('', '2.80')).body.migrations[0];
  assert.equal(m80.project_id, cloud.projects.member);
  assert.equal(typeof m80.user_id, 'string');
  assert.equal((await list(`?project_id=${cloud.projects.member}`, '2.80')).body.migrations.length, 2);
  assert.equal((await list('?user_id=nobody', '2.80')).body.migrations.length, 0);
  assert.equal((await list('?user_id=nobody', '2.79')).body.migrations.length, 2, 'ignored before 2.80');
});

test('filters: instance_uuid, status, migration_type, host, source_compute', async () => {
  const ids = async (q: string) =>
    ((await list(q)).body.migrations as Array<{ instance_uuid: string }>).map((m) => m.instance_uuid);
  assert.deepEqual(await ids(`?instance_uuid=${server}`), [server]);
  assert.deepEqual(await ids('?status=finished'), [other]);
  assert.deepEqual(await ids('?migration_type=live-migration'), []);
  assert.deepEqual(await ids('?host=compute-test'), [other, server]);
  assert.deepEqual(await ids('?host=elsewhere'), []);
  assert.deepEqual(await ids('?source_compute=compute-test'), [other, server]);
});

test('2.59 paging: limit, next link with the marker, marker walk; unknown marker 400', async () => {
  const first = await list('?limit=1', '2.59');
  assert.equal(first.body.migrations.length, 1);
  const next = first.body.migrations_links[0];
  assert.equal(next.rel, 'next');
  const marker = new URL(next.href).searchParams.get('marker');
  assert.equal(marker, first.body.migrations[0].uuid);
  const second = await list(`?limit=1&marker=${marker}`, '2.59');
  assert.equal(second.body.migrations[0].instance_uuid, server);
  const third = await list(`?limit=1&marker=${second.body.migrations[0].uuid}`, '2.59');
  assert.deepEqual(third.body, { migrations: [] });
  const bad = await list('?marker=00000000-0000-4000-8000-000000000000', '2.59');
  assert.deepEqual(
    [bad.status, bad.body],
    [400, { badRequest: { code: 400, message: 'Marker 00000000-0000-4000-8000-000000000000 could not be found.' } }],
  );
  const badLimit = await list('?limit=x', '2.59');
  assert.deepEqual(badLimit.body, {
    badRequest: {
      code: 400,
      message: "Invalid input for query parameters limit. Value: x. 'x' does not match '^[0-9]*$'",
    },
  });
  assert.equal((await list('?limit=x')).status, 200, 'no paging before 2.59');
});

test('changes-since (2.59) and changes-before (2.66); bad times and order are 400', async () => {
  assert.equal((await list('?changes-since=2999-01-01T00:00:00Z', '2.59')).body.migrations.length, 0);
  assert.equal((await list('?changes-since=2999-01-01T00:00:00Z', '2.58')).body.migrations.length, 2);
  assert.equal((await list('?changes-before=2000-01-01T00:00:00Z', '2.66')).body.migrations.length, 0);
  assert.equal((await list('?changes-before=2000-01-01T00:00:00Z', '2.65')).body.migrations.length, 2);
  const bad = await list('?changes-since=yesterday', '2.59');
  assert.deepEqual(bad.body, {
    badRequest: {
      code: 400,
      message: "Invalid input for query parameters changes-since. Value: yesterday. 'yesterday' is not a 'date-time'",
    },
  });
  const order = await list('?changes-since=2026-01-02T00:00:00Z&changes-before=2026-01-01T00:00:00Z', '2.66');
  assert.deepEqual(order.body, {
    badRequest: { code: 400, message: 'The value of changes-since must be less than or equal to changes-before.' },
  });
});

test('policy: members and readers 403 (index is manager-or-admin), no token 401, other methods 405', async () => {
  for (const as of ['member', 'reader', 'other'] as const) {
    const r = await list('', undefined, as);
    assert.deepEqual(
      [r.status, r.body],
      [
        403,
        {
          forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-migrations:index to be performed." },
        },
      ],
    );
  }
  assert.equal((await cloud.request('GET', '/v2.1/os-migrations')).status, 401);
  const post = await cloud.request('POST', '/v2.1/os-migrations', { as: 'admin', body: {} });
  assert.equal(post.status, 405);
});
