// Storage contract: security groups, their rules, the default group of each project and the
// groups of ports, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as securityGroups from '../../src/db/repositories/security-groups.repository.js';
import * as network from '../../src/db/repositories/network.repository.js';
import type { SecurityGroupRulesTable, SecurityGroupsTable } from '../../src/db/schema.js';
import { T, assertUniqueViolation, portRow, storageSuite, uuid } from '../../src/testing/storage.js';

const group = (id: string, projectId: string, over: Partial<SecurityGroupsTable> = {}): SecurityGroupsTable => ({
  id,
  project_id: projectId,
  name: `sg-${id.slice(-4)}`,
  description: 'd',
  stateful: 1,
  tags: '[]',
  revision_number: 1,
  created_at: T(1),
  updated_at: T(1),
  ...over,
});

const rule = (id: string, groupId: string, over: Partial<SecurityGroupRulesTable> = {}): SecurityGroupRulesTable => ({
  id,
  security_group_id: groupId,
  project_id: 'p-r',
  direction: 'ingress',
  ethertype: 'IPv4',
  protocol: 'tcp',
  port_range_min: 22,
  port_range_max: 22,
  remote_ip_prefix: '10.0.0.0/8',
  remote_group_id: null,
  description: '',
  created_at: T(1),
  updated_at: T(1),
  ...over,
});

storageSuite('security groups storage', (s) => {
  test('insertGroup / getGroup / listGroups / updateGroup / countGroups / deleteGroup', async () => {
    const db = s.database.db;
    const [a, b, c] = [1, 2, 3].map((n) => uuid(90, n));
    await securityGroups.insertGroup(db, group(b, 'p-g', { created_at: T(1), name: 'web' }));
    await securityGroups.insertGroup(db, group(a, 'p-g', { created_at: T(2) }));
    await securityGroups.insertGroup(db, group(c, 'p-g2', { created_at: T(1), name: 'web' }));
    await assertUniqueViolation(securityGroups.insertGroup(db, group(a, 'p-g')));
    assert.deepEqual(await securityGroups.getGroup(db, a), group(a, 'p-g', { created_at: T(2) }));
    assert.equal(await securityGroups.getGroup(db, uuid(90, 99)), undefined);
    const ids = async (f: securityGroups.GroupFilter) => (await securityGroups.listGroups(db, f)).map((g) => g.id);
    assert.deepEqual(await ids({ projectIds: ['p-g'] }), [b, a], 'oldest first');
    assert.deepEqual(await ids({ projectIds: ['p-g', 'p-g2'], names: ['web'] }), [b, c]);
    assert.deepEqual(await ids({ ids: [a, c] }), [c, a]);
    assert.deepEqual(await ids({ ids: [] }), []);
    assert.ok((await ids({})).includes(a));
    await securityGroups.updateGroup(db, a, { name: 'renamed', revision_number: 2 });
    const updated = await securityGroups.getGroup(db, a);
    assert.deepEqual([updated?.name, updated?.revision_number], ['renamed', 2]);
    assert.equal(await securityGroups.countGroups(db, 'p-g'), 2);
    assert.equal(await securityGroups.deleteGroup(db, a), true);
    assert.equal(await securityGroups.deleteGroup(db, a), false);
    assert.equal(await securityGroups.countGroups(db, 'p-g'), 1);
  });

  test('claimDefault / defaultGroupOf / defaultGroupIds: one default per project; it goes with its group', async () => {
    const db = s.database.db;
    const [a, b] = [1, 2].map((n) => uuid(91, n));
    await securityGroups.insertGroup(db, group(a, 'p-d'));
    await securityGroups.insertGroup(db, group(b, 'p-d'));
    assert.equal(await securityGroups.defaultGroupOf(db, 'p-d'), undefined);
    assert.equal(await securityGroups.claimDefault(db, 'p-d', a), true);
    assert.equal(await securityGroups.claimDefault(db, 'p-d', b), false, 'the first claim wins');
    assert.equal(await securityGroups.defaultGroupOf(db, 'p-d'), a);
    assert.deepEqual([...(await securityGroups.defaultGroupIds(db, [a, b]))], [a]);
    assert.deepEqual([...(await securityGroups.defaultGroupIds(db, []))], []);
    await securityGroups.deleteGroup(db, a);
    assert.equal(await securityGroups.defaultGroupOf(db, 'p-d'), undefined);
  });

  test('insertRule / getRule / listRules / countRules / deleteRule; rules go with their group or remote group', async () => {
    const db = s.database.db;
    const [g, h] = [1, 2].map((n) => uuid(92, n));
    await securityGroups.insertGroup(db, group(g, 'p-r'));
    await securityGroups.insertGroup(db, group(h, 'p-r'));
    const [r1, r2, r3] = [1, 2, 3].map((n) => uuid(93, n));
    await securityGroups.insertRule(db, rule(r1, g, { created_at: T(2) }));
    await securityGroups.insertRule(
      db,
      rule(r2, g, {
        protocol: null,
        port_range_min: null,
        port_range_max: null,
        remote_ip_prefix: null,
        remote_group_id: h,
      }),
    );
    await securityGroups.insertRule(db, rule(r3, h, { project_id: 'p-r2' }));
    await assertUniqueViolation(securityGroups.insertRule(db, rule(r1, g)));
    assert.deepEqual(await securityGroups.getRule(db, r1), rule(r1, g, { created_at: T(2) }));
    assert.equal((await securityGroups.getRule(db, r2))?.protocol, null);
    assert.equal(await securityGroups.getRule(db, uuid(93, 99)), undefined);
    const ids = async (f: securityGroups.RuleFilter) => (await securityGroups.listRules(db, f)).map((r) => r.id);
    assert.deepEqual(await ids({ groupIds: [g] }), [r2, r1]);
    assert.deepEqual(await ids({ projectIds: ['p-r2'] }), [r3]);
    assert.deepEqual(await ids({ ids: [r1, r3] }), [r3, r1]);
    assert.deepEqual(await ids({ groupIds: [] }), []);
    assert.equal(await securityGroups.countRules(db, 'p-r'), 2);
    assert.equal(await securityGroups.deleteRule(db, r1), true);
    assert.equal(await securityGroups.deleteRule(db, r1), false);
    // Deleting h takes its own rule and the rule of g that names it as remote group.
    await securityGroups.deleteGroup(db, h);
    assert.deepEqual(await ids({ ids: [r2, r3] }), []);
  });

  test('setPortGroups / groupsOfPorts / portsUsingGroup: replaced as a whole, gone with the port; a used group stays', async () => {
    const db = s.database.db;
    const [g, h] = [1, 2].map((n) => uuid(94, n));
    await securityGroups.insertGroup(db, group(g, 'p-p'));
    await securityGroups.insertGroup(db, group(h, 'p-p'));
    const [p1, p2] = [1, 2].map((n) => uuid(95, n));
    await network.insertPort(db, portRow(p1));
    await network.insertPort(db, portRow(p2, { mac_address: 'fa:16:3e:00:00:02' }));
    await securityGroups.setPortGroups(db, p1, [h, g, g]);
    await securityGroups.setPortGroups(db, p2, [g]);
    assert.deepEqual(
      await securityGroups.groupsOfPorts(db, [p1, p2]),
      new Map([
        [p1, [g, h].sort()],
        [p2, [g]],
      ]),
    );
    assert.deepEqual(await securityGroups.groupsOfPorts(db, []), new Map());
    assert.equal(await securityGroups.portsUsingGroup(db, g), 2);
    await securityGroups.setPortGroups(db, p1, []);
    assert.equal(await securityGroups.portsUsingGroup(db, h), 0);
    await assert.rejects(securityGroups.deleteGroup(db, g), 'a group a port uses cannot be deleted');
    await network.deletePort(db, p2);
    assert.equal(await securityGroups.portsUsingGroup(db, g), 0);
    assert.equal(await securityGroups.deleteGroup(db, g), true);
  });
});
