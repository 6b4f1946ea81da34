// resize, confirmResize, revertResize (nova/api/openstack/compute/servers.py, compute/api.py,
// compute/manager.py) and a delete in VERIFY_RESIZE or mid-resize (docs/delete-server.md B11, B12).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import { ManualClock } from '../../src/domain/clock.js';
import { freshPostgres, TEST_PG_URL } from '../../src/testing/databases.js';
import {
  fakeDriver as fake,
  held,
  migrationsOf,
  novaFault as fault,
  serverActionAs,
  settle,
  vmTask,
} from '../../src/testing/moves.js';

const action = serverActionAs('member');

describe('resize on one node (allow_resize_to_same_host)', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await TestCloud.start();
  });
  after(async () => {
    await cloud.close();
  });

  test('resize -> VERIFY_RESIZE with the new flavor, the migration finished; confirm -> ACTIVE, confirmed', async () => {
    const id = await cloud.createServer();
    const pre = await held(cloud, async () => {
      const res = await action(cloud, id, { resize: { flavorRef: '2', 'OS-DCF:diskConfig': 'AUTO' } });
      assert.equal(res.status, 202);
      assert.equal(res.text, '');
      assert.deepEqual(await vmTask(cloud, id), ['RESIZE', 'active', 'resize_prep']);
      return (await migrationsOf(cloud, id))[0];
    });
    assert.equal(pre.status, 'pre-migrating');
    assert.equal(pre.migration_type, 'resize');
    assert.equal(pre.source_compute, 'compute-test');
    assert.equal(pre.dest_compute, 'compute-test');
    assert.equal(pre.old_flavor_id, '1');
    assert.equal(pre.new_flavor_id, '2');
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['VERIFY_RESIZE', 'resized', null]);
    const s = (await cloud.server(id, 'admin', '2.47')).body.server;
    assert.equal(s.flavor.original_name, 'm1.small');
    assert.equal(fake(cloud).specOf(id)?.ramMb, 2048, 'the guest runs with the new flavor');
    assert.equal(await fake(cloud).power(id), 'running');
    assert.equal((await migrationsOf(cloud, id))[0].status, 'finished');
    // Instance action and its events, as Nova records them.
    const acts = (await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'member' })).body
      .instanceActions as Array<{ action: string; request_id: string }>;
    const resize = acts.find((a) => a.action === 'resize')!;
    const shown = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions/${resize.request_id}`, {
      as: 'admin',
      mv: '2.51',
    });
    assert.deepEqual((shown.body.instanceAction.events as Array<{ event: string }>).map((e) => e.event).sort(), [
      'compute_finish_resize',
      'compute_resize_instance',
    ]);

    const c = await action(cloud, id, { confirmResize: null });
    assert.equal(c.status, 204);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
    assert.equal((await migrationsOf(cloud, id))[0].status, 'confirmed');
    assert.equal(await fake(cloud).power(id), 'running', 'a same-node confirm keeps the one guest');
    // Confirmed already: Nova's MigrationNotFound is 409 by state (not resized any more).
    assert.deepEqual(
      (await action(cloud, id, { confirmResize: null })).body,
      fault('conflictingRequest', 409, `Cannot 'confirmResize' instance ${id} while it is in vm_state active`),
    );
  });

  test('revert -> REVERT_RESIZE, then ACTIVE with the old flavor; the migration reverted', async () => {
    const id = await cloud.createServer();
    assert.equal((await action(cloud, id, { resize: { flavorRef: 2 } })).status, 202);
    await settle(cloud);
    await held(cloud, async () => {
      const r = await action(cloud, id, { revertResize: null });
      assert.equal(r.status, 202);
      assert.deepEqual(await vmTask(cloud, id), ['REVERT_RESIZE', 'resized', 'resize_reverting']);
      assert.equal((await migrationsOf(cloud, id))[0].status, 'reverting');
    });
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
    const s = (await cloud.server(id, 'admin', '2.47')).body.server;
    assert.equal(s.flavor.original_name, 'm1.tiny');
    assert.equal(fake(cloud).specOf(id)?.ramMb, 512);
    assert.equal((await migrationsOf(cloud, id))[0].status, 'reverted');
    assert.deepEqual(
      (await action(cloud, id, { revertResize: null })).body,
      fault('conflictingRequest', 409, `Cannot 'revertResize' instance ${id} while it is in vm_state active`),
    );
  });

  test('a stopped server resizes and confirms into SHUTOFF (Nova: power_on=False)', async () => {
    const id = await cloud.createServer();
    await action(cloud, id, { 'os-stop': null });
    await settle(cloud);
    assert.equal((await action(cloud, id, { resize: { flavorRef: '2' } })).status, 202);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['VERIFY_RESIZE', 'resized', null]);
    assert.equal(await fake(cloud).power(id), 'shutdown');
    assert.equal((await action(cloud, id, { confirmResize: null })).status, 204);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['SHUTOFF', 'stopped', null]);
  });

  test('400s: unknown flavor, the same flavor, a disk shrink, a zero disk, bad bodies', async () => {
    const id = await cloud.createServer();
    const bad = async (body: unknown, message: string) => {
      const res = await action(cloud, id, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.body, fault('badRequest', 400, message));
    };
    await bad({ resize: { flavorRef: '999' } }, 'Flavor 999 could not be found.');
    await bad({ resize: { flavorRef: '1' } }, 'When resizing, instances must change flavor!');
    await bad({ resize: { flavorRef: 'http://x/flavors/1' } }, 'When resizing, instances must change flavor!');
    await bad(
      { resize: {} },
      "Invalid input for field/attribute resize. Value: {}. 'flavorRef' is a required property",
    );
    await bad(
      { resize: { flavorRef: '2', x: 1 } },
      "Invalid input for field/attribute resize. Value: {'flavorRef': '2', 'x': 1}. Additional properties are not allowed ('x' was unexpected)",
    );
    await bad(
      { resize: { flavorRef: true } },
      "Invalid input for field/attribute flavorRef. Value: True. True is not of type 'string', 'integer'",
    );
    await bad({ resize: { flavorRef: '' } }, "Invalid input for field/attribute flavorRef. Value: ''. '' is too short");
    await bad(
      { resize: { flavorRef: '2', 'OS-DCF:diskConfig': 'X' } },
      "Invalid input for field/attribute OS-DCF:diskConfig. Value: 'X'. 'X' is not one of ['AUTO', 'MANUAL']",
    );
    await bad({ resize: null }, "Invalid input for field/attribute resize. Value: None. None is not of type 'object'");
    // A bigger server cannot shrink its disk; a disk of 0 is refused as Nova does for image-backed servers.
    await cloud.request('POST', '/v2.1/flavors', {
      as: 'admin',
      body: { flavor: { name: 'zero-disk', id: 'zd', vcpus: 1, ram: 256, disk: 0 } },
    });
    await bad(
      { resize: { flavorRef: 'zd' } },
      'Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.',
    );
    assert.equal((await action(cloud, id, { resize: { flavorRef: '3' } })).status, 202);
    await settle(cloud);
    await action(cloud, id, { confirmResize: null });
    await settle(cloud);
    await bad(
      { resize: { flavorRef: '2' } },
      'Server disk was unable to be resized because: Unable to resize disk down.',
    );
    assert.deepEqual(await migrationsOf(cloud, id).then((m) => m.length), 1, 'refused resizes leave no migration');
  });

  test('409s: wrong state, locked (admins excepted), mid-resize; confirm/revert of a server never resized', async () => {
    const id = await cloud.createServer();
    assert.deepEqual(
      (await action(cloud, id, { confirmResize: null })).body,
      fault('conflictingRequest', 409, `Cannot 'confirmResize' instance ${id} while it is in vm_state active`),
    );
    assert.deepEqual(
      (await action(cloud, id, { revertResize: null })).body,
      fault('conflictingRequest', 409, `Cannot 'revertResize' instance ${id} while it is in vm_state active`),
    );
    await action(cloud, id, { pause: null });
    await settle(cloud);
    const paused = await action(cloud, id, { resize: { flavorRef: '2' } });
    assert.equal(paused.status, 409);
    assert.deepEqual(
      paused.body,
      fault('conflictingRequest', 409, `Cannot 'resize' instance ${id} while it is in vm_state paused`),
    );
    await action(cloud, id, { unpause: null });
    await settle(cloud);
    await action(cloud, id, { lock: null }, 'admin');
    const locked = await action(cloud, id, { resize: { flavorRef: '2' } });
    assert.deepEqual([locked.status, locked.body], [409, fault('conflictingRequest', 409, `Instance ${id} is locked`)]);
    await held(cloud, async () => {
      assert.equal(
        (await action(cloud, id, { resize: { flavorRef: '2' } }, 'admin')).status,
        202,
        'admins pass the lock',
      );
      const again = await action(cloud, id, { resize: { flavorRef: '3' } }, 'admin');
      assert.deepEqual(
        again.body,
        fault('conflictingRequest', 409, `Cannot 'resize' instance ${id} while it is in task_state resize_prep`),
      );
    });
    await settle(cloud);
    const lockedConfirm = await action(cloud, id, { confirmResize: null });
    assert.deepEqual(lockedConfirm.body, fault('conflictingRequest', 409, `Instance ${id} is locked`));
    await action(cloud, id, { unlock: null }, 'admin');
    assert.equal((await action(cloud, id, { confirmResize: null })).status, 204);
    await settle(cloud);
  });

  test('400 "Instance has not been resized." in VERIFY_RESIZE without a finished migration', async () => {
    const id = await cloud.createServer();
    await action(cloud, id, { 'os-resetState': { state: 'active' } }, 'admin');
    await cloud.stack.deps.db.updateTable('servers').set({ vm_state: 'resized' }).where('id', '=', id).execute();
    for (const key of ['confirmResize', 'revertResize']) {
      const res = await action(cloud, id, { [key]: null });
      assert.deepEqual([res.status, res.body], [400, fault('badRequest', 400, 'Instance has not been resized.')], key);
    }
  });

  test('persona matrix: reader 403 (the rule named), other project 404, no token 401', async () => {
    const id = await cloud.createServer();
    const rules: Array<[unknown, string]> = [
      [{ resize: { flavorRef: '2' } }, 'os_compute_api:servers:resize'],
      [{ confirmResize: null }, 'os_compute_api:servers:confirm_resize'],
      [{ revertResize: null }, 'os_compute_api:servers:revert_resize'],
    ];
    for (const [body, rule] of rules) {
      const r = await action(cloud, id, body, 'reader');
      assert.deepEqual(
        [r.status, r.body],
        [403, fault('forbidden', 403, `Policy doesn't allow ${rule} to be performed.`)],
      );
      const o = await action(cloud, id, body, 'other');
      assert.deepEqual([o.status, o.body], [404, fault('itemNotFound', 404, `Instance ${id} could not be found.`)]);
      const n = await cloud.request('POST', `/v2.1/servers/${id}/action`, { body });
      assert.equal(n.status, 401);
    }
    const missing = await action(cloud, '00000000-0000-4000-8000-000000000000', { resize: { flavorRef: '2' } });
    assert.equal(missing.status, 404);
  });

  test('quota: an upsize needs room for the extra cores (403, Nova text); within it the resize goes ahead', async () => {
    const id = await cloud.createServer();
    const project = cloud.projects.member;
    const used = (await cloud.request('GET', `/v2.1/os-quota-sets/${project}/detail`, { as: 'admin' })).body.quota_set
      .cores.in_use as number;
    const put = await cloud.request('PUT', `/v2.1/os-quota-sets/${project}`, {
      as: 'admin',
      body: { quota_set: { cores: used + 1 } },
    });
    assert.equal(put.status, 200, put.text);
    try {
      // m1.tiny (1 vCPU) -> m1.large (4): 3 more cores, 1 free.
      const res = await action(cloud, id, { resize: { flavorRef: '4' } });
      assert.deepEqual(
        [res.status, res.body],
        [
          403,
          fault(
            'forbidden',
            403,
            `Quota exceeded for cores: Requested 3, but already used ${used} of ${used + 1} cores`,
          ),
        ],
      );
      assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
      assert.equal((await migrationsOf(cloud, id)).length, 0);
      // m1.medium (2): 1 more core fits; the server then holds 2.
      assert.equal((await action(cloud, id, { resize: { flavorRef: '3' } })).status, 202);
      await settle(cloud);
      const after = (await cloud.request('GET', `/v2.1/os-quota-sets/${project}/detail`, { as: 'admin' })).body
        .quota_set;
      assert.equal(after.cores.in_use, used + 1);
    } finally {
      await cloud.request('DELETE', `/v2.1/os-quota-sets/${project}`, { as: 'admin' });
    }
  });

  test('quota: a revert of a downsize must fit again (Nova checks the upsize back; found in review)', async () => {
    const made = await cloud.request('POST', '/v2.1/flavors', {
      as: 'admin',
      body: { flavor: { name: 'rv-small', id: 'rv-small', ram: 512, vcpus: 1, disk: 40 } },
    });
    assert.equal(made.status, 200, made.text);
    const id = await cloud.createServer('member', { flavorRef: '3' });
    const project = cloud.projects.member;
    assert.equal((await action(cloud, id, { resize: { flavorRef: 'rv-small' } })).status, 202);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['VERIFY_RESIZE', 'resized', null]);
    const used = (await cloud.request('GET', `/v2.1/os-quota-sets/${project}/detail`, { as: 'admin' })).body.quota_set
      .cores.in_use as number;
    await cloud.request('PUT', `/v2.1/os-quota-sets/${project}`, { as: 'admin', body: { quota_set: { cores: used } } });
    try {
      const res = await action(cloud, id, { revertResize: null });
      assert.deepEqual(
        [res.status, res.body],
        [
          403,
          fault('forbidden', 403, `Quota exceeded for cores: Requested 1, but already used ${used} of ${used} cores`),
        ],
      );
      assert.deepEqual(await vmTask(cloud, id), ['VERIFY_RESIZE', 'resized', null]);
    } finally {
      await cloud.request('DELETE', `/v2.1/os-quota-sets/${project}`, { as: 'admin' });
    }
    assert.equal((await action(cloud, id, { revertResize: null })).status, 202);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
  });

  test('B11 delete in VERIFY_RESIZE: confirmed first (confirmResize action), the guest gone, no open migration', async () => {
    const id = await cloud.createServer();
    await action(cloud, id, { resize: { flavorRef: '2' } });
    await settle(cloud);
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await settle(cloud);
    assert.equal((await cloud.server(id)).status, 404);
    assert.equal(await fake(cloud).power(id), 'missing');
    assert.deepEqual(
      (await migrationsOf(cloud, id)).map((m) => m.status),
      ['confirmed'],
    );
    const acts = await cloud.stack.deps.db
      .selectFrom('instance_actions')
      .select('action')
      .where('server_id', '=', id)
      .execute();
    assert.ok(acts.some((a) => a.action === 'confirmResize'));
  });

  test('B12 delete mid-resize (RESIZE_PREP): the move abandoned (error), the guest gone', async () => {
    const id = await cloud.createServer();
    await held(cloud, async () => {
      await action(cloud, id, { resize: { flavorRef: '2' } });
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    });
    await settle(cloud);
    assert.equal((await cloud.server(id)).status, 404);
    assert.equal(await fake(cloud).power(id), 'missing');
    assert.deepEqual(
      (await migrationsOf(cloud, id)).map((m) => m.status),
      ['error'],
    );
  });
});

describe('resize between two nodes', () => {
  let cloud: TestCloud;
  const clock = new ManualClock(new Date());
  before(async () => {
    cloud = await TestCloud.start({ agents: 2, resizeConfirmWindow: 60 }, { clock });
  });
  after(async () => {
    await cloud.close();
  });
  const nodeOf = async (id: string) => (await cloud.server(id)).body.server['OS-EXT-SRV-ATTR:host'] as string;
  const idx = (host: string) => (host.endsWith('-1') ? 0 : 1);

  test('the guest moves to the other node; confirm drops the source guest', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    await action(cloud, id, { resize: { flavorRef: '2' } });
    await settle(cloud);
    const dst = await nodeOf(id);
    assert.notEqual(dst, src);
    assert.equal(await fake(cloud, idx(dst)).power(id), 'running');
    assert.equal(await fake(cloud, idx(src)).power(id), 'shutdown', 'the source keeps its stopped guest for a revert');
    // The orphan reaper leaves the source guest alone while the resize waits.
    await cloud.stack.agents[idx(src)].periodic();
    assert.equal(await fake(cloud, idx(src)).power(id), 'shutdown');
    assert.equal((await action(cloud, id, { confirmResize: null })).status, 204);
    await settle(cloud);
    assert.equal(await fake(cloud, idx(src)).power(id), 'missing');
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
  });

  test('revert brings the server back to its source node with the old flavor', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    await action(cloud, id, { resize: { flavorRef: '2' } });
    await settle(cloud);
    const dst = await nodeOf(id);
    await action(cloud, id, { revertResize: null });
    await settle(cloud);
    assert.equal(await nodeOf(id), src);
    assert.equal(await fake(cloud, idx(dst)).power(id), 'missing');
    assert.equal(await fake(cloud, idx(src)).power(id), 'running');
    assert.equal(fake(cloud, idx(src)).specOf(id)?.ramMb, 512);
    const ports = (await cloud.request('GET', `/networking/v2.0/ports?device_id=${id}`, { as: 'admin' })).body.ports;
    assert.equal(ports[0]['binding:host_id'], src);
  });

  test('B11 delete in VERIFY_RESIZE across nodes: no guest on either node, migration confirmed', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    await action(cloud, id, { resize: { flavorRef: '2' } });
    await settle(cloud);
    const dst = await nodeOf(id);
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await settle(cloud);
    assert.equal(await fake(cloud, idx(src)).power(id), 'missing');
    assert.equal(await fake(cloud, idx(dst)).power(id), 'missing');
    assert.deepEqual(
      (await migrationsOf(cloud, id)).map((m) => m.status),
      ['confirmed'],
    );
  });

  test('resize_confirm_window: the destination confirms a resize left waiting that long', async () => {
    const id = await cloud.createServer();
    const src = await nodeOf(id);
    await action(cloud, id, { resize: { flavorRef: '2' } });
    await settle(cloud);
    const dst = await nodeOf(id);
    await cloud.stack.agents[idx(dst)].periodic();
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['VERIFY_RESIZE', 'resized', null], 'not before the window');
    clock.advance(61_000);
    await cloud.stack.agents[idx(dst)].periodic();
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
    assert.equal(await fake(cloud, idx(src)).power(id), 'missing');
    assert.deepEqual(
      (await migrationsOf(cloud, id)).map((m) => m.status),
      ['confirmed'],
    );
  });
});

test('on PostgreSQL: resize across two nodes, revert, resize again, delete in VERIFY_RESIZE', {
  skip: TEST_PG_URL || process.env.CI ? false : 'STRATUS_TEST_DATABASE_URL is not set',
}, async () => {
  const pgdb = await freshPostgres();
  const cloud = await TestCloud.start({ agents: 2, database: pgdb.url });
  try {
    const id = await cloud.createServer();
    assert.equal((await action(cloud, id, { resize: { flavorRef: '2' } })).status, 202);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['VERIFY_RESIZE', 'resized', null]);
    assert.equal((await action(cloud, id, { revertResize: null })).status, 202);
    await settle(cloud);
    assert.deepEqual(await vmTask(cloud, id), ['ACTIVE', 'active', null]);
    assert.equal((await action(cloud, id, { resize: { flavorRef: '3' } })).status, 202);
    await settle(cloud);
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
    await settle(cloud);
    assert.equal(await fake(cloud, 0).power(id), 'missing');
    assert.equal(await fake(cloud, 1).power(id), 'missing');
    assert.deepEqual(
      (await migrationsOf(cloud, id)).map((m) => m.status),
      ['reverted', 'confirmed'],
    );
  } finally {
    await cloud.close();
    await pgdb.drop();
  }
});
