// Storage contract: server groups and their members, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as serverGroups from '../../src/db/repositories/server-groups.repository.js';
import * as servers from '../../src/db/repositories/servers.repository.js';
import { T, serverRow, storageSuite, uuid } from '../../src/testing/storage.js';

const group = (id: string, projectId: string, over: Partial<serverGroups.NewServerGroup> = {}) => ({
  id,
  name: `g-${id.slice(-4)}`,
  project_id: projectId,
  user_id: 'u-1',
  policy: 'anti-affinity',
  rules: '{"max_server_per_host": 2}',
  created_at: T(1),
  ...over,
});

storageSuite('server groups storage', (s) => {
  test('insertGroup / getGroup / lockGroup: round-trip, scoped by project when asked', async () => {
    const db = s.database.db;
    const a = await serverGroups.insertGroup(db, group(uuid(70, 1), 'p-1'));
    assert.equal(typeof a.seq, 'number');
    assert.deepEqual(a, { seq: a.seq, ...group(uuid(70, 1), 'p-1') });
    assert.deepEqual(await serverGroups.getGroup(db, a.id), a);
    assert.deepEqual(await serverGroups.getGroup(db, a.id, { projectId: 'p-1' }), a);
    assert.equal(await serverGroups.getGroup(db, a.id, { projectId: 'p-2' }), undefined);
    assert.equal(await serverGroups.getGroup(db, uuid(70, 99)), undefined);
    await db.transaction().execute(async (tx) => {
      assert.deepEqual(await serverGroups.lockGroup(tx, a.id), a);
      assert.equal(await serverGroups.lockGroup(tx, uuid(70, 99)), undefined);
    });
  });

  test('listGroups / countGroups: creation order, one project or all, limit and offset', async () => {
    const db = s.database.db;
    const ids = [3, 1, 2].map((n) => uuid(71, n));
    for (const id of ids) await serverGroups.insertGroup(db, group(id, 'p-list'));
    await serverGroups.insertGroup(db, group(uuid(71, 9), 'p-list-other'));
    const own = (await serverGroups.listGroups(db, { projectId: 'p-list', limit: 10 })).map((g) => g.id);
    assert.deepEqual(own, ids, 'in the order they were created, not by id');
    assert.deepEqual(
      (await serverGroups.listGroups(db, { projectId: 'p-list', limit: 1, offset: 1 })).map((g) => g.id),
      [ids[1]],
    );
    const all = (await serverGroups.listGroups(db, { limit: 1000 })).map((g) => g.id);
    assert.ok(all.includes(uuid(71, 9)) && ids.every((i) => all.includes(i)));
    assert.equal(await serverGroups.countGroups(db, 'p-list'), 3);
    assert.equal(await serverGroups.countGroups(db, 'p-none'), 0);
  });

  test('members: add, live ones only (with the host), groups of servers, count, remove, delete group', async () => {
    const db = s.database.db;
    const g = uuid(72, 1);
    await serverGroups.insertGroup(db, group(g, 'p-m'));
    const [a, b, c] = [1, 2, 3].map((n) => uuid(73, n));
    await servers.insertServer(db, serverRow(a, { host: 'node-1' }));
    await servers.insertServer(db, serverRow(b, { host: null }));
    await servers.insertServer(db, serverRow(c));
    await serverGroups.addMember(db, g, a, 'node-chosen', T(2));
    await serverGroups.addMember(db, g, b, 'node-2', T(3));
    await serverGroups.addMember(db, g, c, null, T(4));
    await servers.markServerDeleted(db, c, T(5));
    // The server's own host wins over the one chosen at create; deleted servers are not members.
    assert.deepEqual(await serverGroups.liveMembers(db, [g]), [
      { group_id: g, server_id: a, host: 'node-1' },
      { group_id: g, server_id: b, host: 'node-2' },
    ]);
    assert.deepEqual(await serverGroups.liveMembers(db, []), []);
    assert.equal(await serverGroups.countMembers(db, g), 2);
    assert.deepEqual(
      await serverGroups.groupsOfServers(db, [a, b, uuid(73, 9)]),
      new Map([
        [a, g],
        [b, g],
      ]),
    );
    assert.deepEqual(await serverGroups.groupsOfServers(db, []), new Map());
    assert.equal(await serverGroups.removeMember(db, a), true);
    assert.equal(await serverGroups.removeMember(db, a), false);
    assert.equal(await serverGroups.countMembers(db, g), 1);
    assert.equal(await serverGroups.deleteGroup(db, g), true);
    assert.equal(await serverGroups.deleteGroup(db, g), false);
    assert.deepEqual(await serverGroups.groupsOfServers(db, [b]), new Map(), 'memberships go with the group');
  });
});
