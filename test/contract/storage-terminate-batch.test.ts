// Storage contract: the agent's batched terminate completions (issue 15), the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as terminateBatch from '../../src/db/repositories/terminate-batch.repository.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import * as network from '../../src/db/repositories/network.repository.js';
import * as floatingIps from '../../src/db/repositories/floating-ips.repository.js';
import * as blockDevices from '../../src/db/repositories/block-devices.repository.js';
import * as tasks from '../../src/db/repositories/tasks.repository.js';
import * as actions from '../../src/db/repositories/actions.repository.js';
import * as serverGroups from '../../src/db/repositories/server-groups.repository.js';
import { T, actionRow, eventRow, portRow, serverRow, storageSuite, taskRow, uuid } from '../../src/testing/storage.js';

storageSuite('terminate batch storage', (s) => {
  test('completeTerminates: deleting servers marked deleted with ports, group, event, action and task; others untouched', async () => {
    const db = s.database.db;
    const [a, b, other] = [1, 2, 3].map((n) => uuid(1, n));
    await servers.insertServer(db, serverRow(a, { task_state: 'deleting' }));
    await servers.insertServer(db, serverRow(b, { task_state: 'deleting' }));
    await servers.insertServer(db, serverRow(other, { task_state: 'rebooting' })); // no longer ours: not marked
    // a: a port Stratus created (with an address and a floating IP); b: a user's port; other: a created port.
    await network.insertPort(
      db,
      portRow(uuid(1, 11), { device_id: a, created_for_server: 1, device_owner: 'compute:nova' }),
    );
    await network.insertPort(
      db,
      portRow(uuid(1, 12), { device_id: b, device_owner: 'compute:nova', binding_host_id: 'h1', status: 'ACTIVE' }),
    );
    await network.insertPort(db, portRow(uuid(1, 13), { device_id: other, created_for_server: 1 }));
    await db
      .insertInto('ip_allocations')
      .values({ network_id: 'net', ip_address: '10.0.0.5', port_id: uuid(1, 11) })
      .execute();
    await floatingIps.insertFloatingIp(db, {
      id: uuid(1, 20),
      project_id: 'p1',
      floating_network_id: 'ext',
      floating_ip_address: '172.24.4.9',
      floating_port_id: uuid(1, 21),
      subnet_id: null,
      port_id: uuid(1, 11),
      fixed_ip_address: '10.0.0.5',
      router_id: 'r1',
      status: 'ACTIVE',
      description: '',
      revision_number: 4,
      created_at: T(0),
      updated_at: T(0),
    });
    const g = uuid(1, 60);
    await serverGroups.insertGroup(db, {
      id: g,
      name: 'g',
      project_id: 'p1',
      user_id: 'u1',
      policy: 'affinity',
      rules: '{}',
      created_at: T(0),
    });
    await serverGroups.addMember(db, g, a, 'h1', T(0));
    await actions.insertAction(db, actionRow(uuid(1, 31), a, { action: 'delete' }));
    await actions.insertAction(db, actionRow(uuid(1, 32), b, { action: 'delete' }));
    await tasks.insertTask(db, taskRow(uuid(1, 41), { server_id: a, state: 'leased', lease_owner: 'o1' }));
    await tasks.insertTask(db, taskRow(uuid(1, 42), { server_id: b, state: 'leased', lease_owner: 'o1' }));
    await tasks.insertTask(db, taskRow(uuid(1, 43), { server_id: other, state: 'leased', lease_owner: 'o2' }));
    const ev = (id: string, action: string) =>
      eventRow(id, action, { event: 'compute_terminate_instance', start_time: T(1), finish_time: T(2), host: 'h1' });
    const { marked, ports } = await s.database.dialect.transact((tx) =>
      terminateBatch.completeTerminates(tx, T(3), 'deleted', [
        { serverId: a, taskId: uuid(1, 41), owner: 'o1', actionId: uuid(1, 31), event: ev(uuid(1, 51), uuid(1, 31)) },
        { serverId: b, taskId: uuid(1, 42), owner: 'o1', actionId: uuid(1, 32), event: ev(uuid(1, 52), uuid(1, 32)) },
        // Another owner's lease on `other`: its task stays, its row is not marked.
        { serverId: other, taskId: uuid(1, 43), owner: 'o1', actionId: null, event: null },
      ]),
    );
    assert.deepEqual([...marked].sort(), [a, b].sort());
    assert.deepEqual(ports.get(a), { deleted: 1, unbound: 0 });
    assert.deepEqual(ports.get(b), { deleted: 0, unbound: 1 });
    assert.equal(ports.get(other), undefined);
    for (const id of [a, b]) {
      const r = await servers.getServer(db, id, { readDeleted: true });
      assert.deepEqual(
        [r?.deleted, r?.vm_state, r?.task_state, r?.power_state, r?.deleted_at, r?.terminated_at],
        [1, 'deleted', null, 0, T(3), T(3)],
      );
    }
    assert.equal((await servers.getServer(db, other))?.task_state, 'rebooting');
    assert.equal(await network.getPort(db, uuid(1, 11)), undefined, "Stratus' own port is deleted");
    const unbound = await network.getPort(db, uuid(1, 12));
    assert.deepEqual(
      [unbound?.device_id, unbound?.device_owner, unbound?.binding_host_id, unbound?.status, unbound?.updated_at],
      ['', '', '', 'DOWN', T(3)],
      "the user's port is unbound",
    );
    assert.ok(await network.getPort(db, uuid(1, 13)), "the other server's port stays");
    assert.deepEqual(
      await db.selectFrom('ip_allocations').selectAll().where('port_id', '=', uuid(1, 11)).execute(),
      [],
    );
    const fip = await floatingIps.getFloatingIp(db, uuid(1, 20));
    assert.deepEqual(
      [fip?.port_id, fip?.fixed_ip_address, fip?.router_id, fip?.status, fip?.revision_number],
      [null, null, null, 'DOWN', 5],
    );
    assert.deepEqual(await db.selectFrom('server_group_members').selectAll().execute(), []);
    assert.deepEqual(await actions.listEvents(db, uuid(1, 31)), [ev(uuid(1, 51), uuid(1, 31))]);
    const act = (await actions.listActions(db, b))[0];
    assert.deepEqual([act.finish_time, act.updated_at, act.message], [T(3), T(3), null]);
    assert.deepEqual(
      (await db.selectFrom('tasks').select('id').execute()).map((t) => t.id),
      [uuid(1, 43)],
      'tasks closed for their lease owner only',
    );
    assert.deepEqual((await terminateBatch.completeTerminates(db, T(4), 'deleted', [])).marked, []);
  });

  test('serversWithBlockDevices: the servers among those asked that still have mappings', async () => {
    const db = s.database.db;
    const mapping = (id: string, serverId: string) => ({
      id,
      server_id: serverId,
      volume_id: `vol-${id}`,
      attachment_id: null,
      source_type: 'volume',
      destination_type: 'volume',
      boot_index: null,
      device_name: null,
      delete_on_termination: 0,
      volume_size: null,
      volume_type: null,
      image_id: null,
      snapshot_id: null,
      disk_bus: null,
      device_type: null,
      guest_format: null,
      tag: null,
      created_at: T(0),
      updated_at: T(0),
    });
    await blockDevices.insertBlockDevice(db, mapping('tb-1', uuid(2, 1)));
    await blockDevices.insertBlockDevice(db, mapping('tb-2', uuid(2, 1)));
    await blockDevices.insertBlockDevice(db, mapping('tb-3', uuid(2, 3)));
    assert.deepEqual(await terminateBatch.serversWithBlockDevices(db, [uuid(2, 1), uuid(2, 2)]), [uuid(2, 1)]);
    assert.deepEqual(await terminateBatch.serversWithBlockDevices(db, []), []);
  });
});
