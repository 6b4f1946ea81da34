// migrate (cold), os-migrateLive and /servers/{id}/migrations (nova/api/openstack/compute/
// migrate_server.py, server_migrations.py) between two in-process agents, and a delete in the
// middle of either move.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import {
  fakeDriver as fake,
  held,
  migrationsOf,
  novaFault as fault,
  serverActionAs,
  settle,
  vmTask,
} from '../../src/testing/moves.js';

const action = serverActionAs('admin');
const LIVE = (host: string | null = null) => ({ 'os-migrateLive': { host, block_migration: 'auto' } });

describe('migrate and live migrate between two nodes', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start({ agents: 2 });
  });
  after(async () => {
    await cloud.close();
  });
  const nodeOf = async (id: string) => (await cloud.server(id)).body.server['OS-EXT-SRV-ATTR:host'] as string;
  const idx = (host: string) => cloud.stack.agents.findIndex((a) => a.host === host);
  const other = (host: string) => cloud.stack.agents.find((a) => a.host !== host)!.host;

  test('cold migrate: RESIZE -> VERIFY_RESIZE on the other node, same flavor; confirm drops the source guest', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    const pre = await held(cloud, async () => {
      const res = await action(cloud, id, { migrate: null });
      assert.equal(res.status, 202);
      assert.equal(res.text, '');
      assert.deepEqual(await vmTask(cloud, id), ['RESIZE', 'active', 'resize_prep']);
      return (await migrationsOf(cloud, id))[0];
    });
    assert.equal(pre.migration_type, 'migration');
    assert.equal(pre.status, 'pre-migrating');
    assert.equal(pre.source_compute, src);
    assert.equal(pre.dest_compute, other(src));
    assert.equal(pre.old_flavor_id, pre.new_flavor_id);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['VERIFY_RESIZE', 'resized', null]);
    assert.equal(await nodeOf(id), other(src));
    assert.equal(await fake(cloud, idx(other(src))).power(id), 'running');
    assert.equal((await migrationsOf(cloud, id))[0].status, 'finished');
    assert.equal((await action(cloud, id, { confirmResize: null }, 'member')).status, 204);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
    assert.equal(await fake(cloud, idx(src)).power(id), 'missing');
    assert.equal((await migrationsOf(cloud, id))[0].status, 'confirmed');
    const list = await cloud.request('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { as: 'admin', mv: '2.23' });
    assert.equal(list.body.migrations[0].migration_type, 'migration');
    const acts = (await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'admin' })).body
      .instanceActions as Array<{ action: string }>;
    assert.ok(acts.some((a) => a.action === 'migrate'));
  });

  test('cold migrate to a named host (2.56), revert returns to the source', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    assert.equal((await action(cloud, id, { migrate: { host: other(src) } }, 'admin', '2.56')).status, 202);
    await settle(cloud);
    assert.equal(await nodeOf(id), other(src));
    assert.equal((await action(cloud, id, { revertResize: null }, 'member')).status, 202);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
    assert.equal(await nodeOf(id), src);
    assert.equal(await fake(cloud, idx(other(src))).power(id), 'missing');
  });

  test('migrate faults: host not found, same host, bad body, state, persona matrix', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    const cases: Array<[unknown, string | undefined, number, unknown]> = [
      [
        { migrate: { host: 'nowhere' } },
        '2.56',
        400,
        fault('badRequest', 400, 'Compute host nowhere could not be found.'),
      ],
      [
        { migrate: { host: src } },
        '2.56',
        400,
        fault('badRequest', 400, 'Cannot migrate to the host where the server exists.'),
      ],
      [
        { migrate: { host: 'x', zone: 1 } },
        '2.56',
        400,
        fault(
          'badRequest',
          400,
          "Invalid input for field/attribute migrate. Value: {'host': 'x', 'zone': 1}. Additional properties are not allowed ('zone' was unexpected)",
        ),
      ],
      [
        { migrate: { host: 5 } },
        '2.56',
        400,
        fault('badRequest', 400, "Invalid input for field/attribute host. Value: 5. 5 is not of type 'string', 'null'"),
      ],
      [
        { migrate: { host: '' } },
        '2.56',
        400,
        fault('badRequest', 400, "Invalid input for field/attribute host. Value: ''. '' is too short"),
      ],
    ];
    for (const [body, mv, status, want] of cases) {
      const res = await action(cloud, id, body, 'admin', mv);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.deepEqual(res.body, want);
    }
    // Before 2.56 the body is not looked at (Nova has no schema there): a host is ignored.
    for (const [as, status] of [
      ['member', 403],
      ['reader', 403],
      ['other', 404],
    ] as Array<[Persona, number]>) {
      const res = await action(cloud, id, { migrate: null }, as);
      assert.equal(res.status, status, as);
      assert.deepEqual(
        res.body,
        status === 404
          ? fault('itemNotFound', 404, `Instance ${id} could not be found.`)
          : fault('forbidden', 403, "Policy doesn't allow os_compute_api:os-migrate-server:migrate to be performed."),
      );
    }
    const noToken = await cloud.request('POST', `/v2.1/servers/${id}/action`, { body: { migrate: null } });
    assert.equal(noToken.status, 401);
    // A host needs migrate:host (admin only).
    const res = await action(cloud, id, { migrate: { host: other(src) } }, 'member', '2.56');
    assert.equal(res.status, 403);
    // 409 in a wrong state (PAUSED), as Nova's check_instance_state.
    await action(cloud, id, { pause: null }, 'member');
    await settle(cloud);
    const paused = await action(cloud, id, { migrate: null });
    assert.equal(paused.status, 409);
    assert.deepEqual(
      paused.body,
      fault('conflictingRequest', 409, `Cannot 'migrate' instance ${id} while it is in vm_state paused`),
    );
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await settle(cloud);
  });

  test('live migrate: queued -> preparing -> running -> completed, ACTIVE on the target, no confirm', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    const mig = await held(cloud, async () => {
      assert.equal((await action(cloud, id, LIVE(), 'admin', '2.25')).status, 202);
      assert.deepEqual(await vmTask(cloud, id), ['MIGRATING', 'active', 'migrating']);
      const m = (await migrationsOf(cloud, id))[0];
      assert.equal(m.status, 'queued');
      assert.equal(m.migration_type, 'live-migration');
      // In progress: listed and shown under /servers/{id}/migrations.
      const list = await cloud.request('GET', `/v2.1/servers/${id}/migrations`, { as: 'admin', mv: '2.80' });
      assert.equal(list.status, 200);
      assert.equal(list.body.migrations.length, 1);
      const shown = list.body.migrations[0];
      assert.equal(shown.id, m.id);
      assert.equal(shown.server_uuid, id);
      assert.equal(shown.status, 'queued');
      assert.equal(shown.source_compute, src);
      assert.equal(shown.dest_compute, other(src));
      assert.equal(shown.uuid, m.uuid);
      assert.equal(shown.memory_total_bytes, null);
      const one = await cloud.request('GET', `/v2.1/servers/${id}/migrations/${m.id}`, { as: 'admin', mv: '2.23' });
      assert.equal(one.status, 200);
      assert.equal(one.body.migration.id, m.id);
      assert.equal(one.body.migration.uuid, undefined);
      // force_complete only while running.
      const fc = await cloud.request('POST', `/v2.1/servers/${id}/migrations/${m.id}/action`, {
        as: 'admin',
        mv: '2.22',
        body: { force_complete: null },
      });
      assert.equal(fc.status, 400);
      assert.deepEqual(
        fc.body,
        fault(
          'badRequest',
          400,
          `Migration ${m.id} state of instance ${id} is queued. Cannot force complete while the migration is in this state.`,
        ),
      );
      return m;
    });
    const statuses: string[] = [];
    for (let i = 0; i < 6; i++) {
      await cloud.drain();
      statuses.push((await migrationsOf(cloud, id))[0].status);
    }
    assert.equal(statuses.at(-1), 'completed');
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
    assert.equal(await nodeOf(id), other(src));
    assert.equal(await fake(cloud, idx(other(src))).power(id), 'running');
    assert.equal(await fake(cloud, idx(src)).power(id), 'missing');
    const ports = (await cloud.request('GET', `/networking/v2.0/ports?device_id=${id}`, { as: 'admin' })).body.ports;
    assert.equal(ports[0]['binding:host_id'], other(src));
    // Finished: no longer in progress.
    const gone = await cloud.request('GET', `/v2.1/servers/${id}/migrations/${mig.id}`, { as: 'admin', mv: '2.23' });
    assert.equal(gone.status, 404);
    assert.deepEqual(
      gone.body,
      fault('itemNotFound', 404, `Live migration ${mig.id} for server ${id} is not in progress.`),
    );
    assert.deepEqual((await cloud.request('GET', `/v2.1/servers/${id}/migrations`, { as: 'admin', mv: '2.23' })).body, {
      migrations: [],
    });
  });

  test('live migrate of a PAUSED server stays PAUSED on the target; STOPPED is 409', async () => {
    const id = await cloud.createServer();
    await action(cloud, id, { pause: null }, 'member');
    await settle(cloud);
    assert.equal((await action(cloud, id, LIVE(), 'admin', '2.30')).status, 202);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['PAUSED', 'paused', null]);
    assert.equal(await fake(cloud, idx(await nodeOf(id))).power(id), 'paused');
    await action(cloud, id, { unpause: null }, 'member');
    await settle(cloud);
    await action(cloud, id, { 'os-stop': null }, 'member');
    await settle(cloud);
    const res = await action(cloud, id, LIVE(), 'admin', '2.25');
    assert.equal(res.status, 409);
    assert.deepEqual(
      res.body,
      fault('conflictingRequest', 409, `Cannot 'os-migrateLive' instance ${id} while it is in vm_state stopped`),
    );
  });

  test('os-migrateLive body per microversion, hosts, persona matrix', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    const B = (body: unknown) => ({ 'os-migrateLive': body });
    const cases: Array<[unknown, string, number, string]> = [
      [
        B({ host: null, block_migration: false }),
        '2.1',
        400,
        "Invalid input for field/attribute os-migrateLive. Value: {'host': None, 'block_migration': False}. 'disk_over_commit' is a required property",
      ],
      [
        B({ host: null, block_migration: 'auto', disk_over_commit: false }),
        '2.1',
        400,
        "Invalid input for field/attribute block_migration. Value: 'auto'. 'auto' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']",
      ],
      [
        B({ host: null, block_migration: 'auto', disk_over_commit: false }),
        '2.25',
        400,
        "Invalid input for field/attribute os-migrateLive. Value: {'host': None, 'block_migration': 'auto', 'disk_over_commit': False}. Additional properties are not allowed ('disk_over_commit' was unexpected)",
      ],
      [
        B({ block_migration: 'auto' }),
        '2.25',
        400,
        "Invalid input for field/attribute os-migrateLive. Value: {'block_migration': 'auto'}. 'host' is a required property",
      ],
      [
        B({ host: null, block_migration: 'auto', force: true }),
        '2.30',
        400,
        "Can't force to a non-provided destination",
      ],
      [
        B({ host: 'h', block_migration: 'auto', force: true }),
        '2.68',
        400,
        "Invalid input for field/attribute os-migrateLive. Value: {'host': 'h', 'block_migration': 'auto', 'force': True}. Additional properties are not allowed ('force' was unexpected)",
      ],
      [B({ host: 'nowhere', block_migration: 'auto' }), '2.25', 400, 'Compute host nowhere could not be found.'],
      [
        B({ host: src, block_migration: 'auto' }),
        '2.25',
        400,
        `Unable to migrate instance (${id}) to current host (${src}).`,
      ],
      [B([]), '2.25', 400, "Invalid input for field/attribute os-migrateLive. Value: []. [] is not of type 'object'"],
    ];
    for (const [body, mv, status, message] of cases) {
      const res = await action(cloud, id, body, 'admin', mv);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.deepEqual(res.body, fault('badRequest', status, message));
    }
    for (const [as, status] of [
      ['member', 403],
      ['reader', 403],
      ['other', 404],
    ] as Array<[Persona, number]>) {
      const res = await action(cloud, id, LIVE(), as, '2.25');
      assert.equal(res.status, status, as);
    }
    // 2.1 with the old body and a named host works.
    const ok = await action(
      cloud,
      id,
      B({ host: other(src), block_migration: false, disk_over_commit: 'False' }),
      'admin',
      '2.1',
    );
    assert.equal(ok.status, 202);
    await settle(cloud);
    assert.equal(await nodeOf(id), other(src));
  });

  test('abort: 2.65 cancels a queued live migration, the server stays on its source; faults', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    await held(cloud, async () => {
      assert.equal((await action(cloud, id, LIVE(), 'admin', '2.25')).status, 202);
      const m = (await migrationsOf(cloud, id))[0];
      const url = `/v2.1/servers/${id}/migrations/${m.id}`;
      const old = await cloud.request('DELETE', url, { as: 'admin', mv: '2.24' });
      assert.equal(old.status, 400);
      assert.deepEqual(
        old.body,
        fault(
          'badRequest',
          400,
          `Migration ${m.id} state of instance ${id} is queued. Cannot abort live migration while the migration is in this state.`,
        ),
      );
      const missing = await cloud.request('DELETE', `/v2.1/servers/${id}/migrations/99999`, {
        as: 'admin',
        mv: '2.65',
      });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, fault('itemNotFound', 404, `Migration 99999 not found for instance ${id}`));
      const member = await cloud.request('DELETE', url, { as: 'member', mv: '2.65' });
      assert.equal(member.status, 403);
      const below = await cloud.request('DELETE', url, { as: 'admin', mv: '2.23' });
      assert.equal(below.status, 404);
      assert.deepEqual(below.body, fault('itemNotFound', 404, 'The resource could not be found.'));
      const res = await cloud.request('DELETE', url, { as: 'admin', mv: '2.65' });
      assert.equal(res.status, 202);
      assert.equal((await migrationsOf(cloud, id))[0].status, 'cancelled');
      assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
      const again = await cloud.request('DELETE', url, { as: 'admin', mv: '2.65' });
      assert.equal(again.status, 409);
      assert.deepEqual(
        again.body,
        fault('conflictingRequest', 409, `Cannot 'abort live migration' instance ${id} while it is in task_state None`),
      );
    });
    await settle(cloud);
    assert.equal(await nodeOf(id), src);
    assert.equal(await fake(cloud, idx(src)).power(id), 'running');
    assert.equal(await fake(cloud, idx(other(src))).power(id), 'missing');
    assert.equal((await migrationsOf(cloud, id))[0].status, 'cancelled');
  });

  test('/servers/{id}/migrations faults: microversion, persona, unknown, not live', async () => {
    const id = await cloud.createServer();
    const url = `/v2.1/servers/${id}/migrations`;
    assert.deepEqual((await cloud.request('GET', url, { as: 'admin', mv: '2.22' })).body, {
      itemNotFound: { code: 404, message: 'The resource could not be found.' },
    });
    assert.equal((await cloud.request('GET', url, { as: 'member', mv: '2.23' })).status, 403);
    assert.equal((await cloud.request('GET', url, { as: 'other', mv: '2.23' })).status, 404);
    assert.equal((await cloud.request('GET', url, { mv: '2.23' })).status, 401);
    const unknown = await cloud.request('GET', `${url}/123456`, { as: 'admin', mv: '2.23' });
    assert.deepEqual(
      unknown.body,
      fault('itemNotFound', 404, `In-progress live migration 123456 is not found for server ${id}.`),
    );
    await action(cloud, id, { migrate: null });
    await settle(cloud);
    const cold = (await migrationsOf(cloud, id))[0];
    const notLive = await cloud.request('GET', `${url}/${cold.id}`, { as: 'admin', mv: '2.23' });
    assert.deepEqual(
      notLive.body,
      fault('itemNotFound', 404, `Migration ${cold.id} for server ${id} is not live-migration.`),
    );
    const fc = await cloud.request('POST', `${url}/${cold.id}/action`, {
      as: 'admin',
      mv: '2.22',
      body: { force_complete: null },
    });
    assert.equal(fc.status, 409);
    assert.deepEqual(
      fc.body,
      fault('conflictingRequest', 409, `Cannot 'force_complete' instance ${id} while it is in vm_state resized`),
    );
    const badBody = await cloud.request('POST', `${url}/${cold.id}/action`, {
      as: 'admin',
      mv: '2.22',
      body: { force_complete: 1 },
    });
    assert.deepEqual(
      badBody.body,
      fault('badRequest', 400, "Invalid input for field/attribute force_complete. Value: 1. 1 is not of type 'null'"),
    );
  });

  test('delete mid cold migrate and mid live migrate: no guest anywhere, no open migration', async () => {
    for (const body of [{ migrate: null }, LIVE()]) {
      const id = await cloud.createServer();
      // Let the source's half run, then delete while the destination's half is queued.
      assert.equal((await action(cloud, id, body, 'admin', '2.25')).status, 202);
      await cloud.stack.agents[idx(await nodeOf(id))].drain();
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
      await settle(cloud);
      for (let i = 0; i < 2; i++) assert.equal(await fake(cloud, i).power(id), 'missing', JSON.stringify(body));
      const open = (await migrationsOf(cloud, id)).filter(
        (m) => !['error', 'completed', 'confirmed', 'reverted', 'cancelled'].includes(m.status),
      );
      assert.deepEqual(open, []);
    }
  });
});

describe('migrate with one node', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud.close();
  });
  test('no other node: 400 NoValidHost for migrate and live migrate', async () => {
    const id = await cloud.createServer();
    const res = await action(cloud, id, { migrate: null });
    assert.equal(res.status, 400);
    assert.deepEqual(
      res.body,
      fault('badRequest', 400, 'No valid host was found. No valid host found for cold migrate'),
    );
    const live = await action(cloud, id, LIVE(), 'admin', '2.25');
    assert.equal(live.status, 400);
    assert.deepEqual(
      live.body,
      fault('badRequest', 400, 'No valid host was found. There are not enough hosts available.'),
    );
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
  });
});
