// Neutron security groups and rules, ports' groups, and Nova's use of them (server create by
// group, the server view, addSecurityGroup/removeSecurityGroup, /servers/{id}/os-security-groups,
// the os-security-groups and os-security-group-rules proxies), on SQLite and PostgreSQL: status
// and exact body of every answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const neutron = (type: string, message: string) => ({ NeutronError: { type, message, detail: '' } });
const nova = (key: string, code: number, message: string) => ({ [key]: { code, message } });
const bad = (m: string) => nova('badRequest', 400, m);
const notFound = (m: string) => nova('itemNotFound', 404, m);
const MISSING = '6f9b1b8c-0000-4000-8000-000000000000';
const NET = '/networking/v2.0';
const PROTOCOLS =
  "[None, 'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp']";

for (const target of databaseTargets()) {
  describe(`security groups (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let seq = 0;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const newGroup = async (as: Persona = 'member', extra: Record<string, unknown> = {}) => {
      const res = await req('POST', `${NET}/security-groups`, {
        as,
        body: { security_group: { name: `sg-${++seq}`, description: 'd', ...extra } },
      });
      assert.equal(res.status, 201, res.text);
      return res.body.security_group;
    };
    const defaultOf = async (as: Persona) =>
      (await req('GET', `${NET}/security-groups?name=default`, { as })).body.security_groups[0];
    const newRule = (as: Persona, rule: Record<string, unknown>) =>
      req('POST', `${NET}/security-group-rules`, { as, body: { security_group_rule: rule } });

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    test("the default group: made on first list, Neutron's four rules, one per project, undeletable by its project", async () => {
      const list = await req('GET', `${NET}/security-groups`, { as: 'member' });
      assert.equal(list.status, 200);
      const mine = list.body.security_groups.filter((g: { name: string }) => g.name === 'default');
      assert.equal(mine.length, 1);
      const d = mine[0];
      assert.equal(d.project_id, cloud.projects.member);
      assert.equal(d.tenant_id, cloud.projects.member);
      assert.equal(d.description, 'Default security group');
      assert.equal(d.stateful, true);
      const rules = d.security_group_rules
        .map((r: Record<string, unknown>) => [
          r.direction,
          r.ethertype,
          r.remote_group_id,
          r.protocol,
          r.remote_ip_prefix,
        ])
        .sort();
      assert.deepEqual(rules, [
        ['egress', 'IPv4', null, null, null],
        ['egress', 'IPv6', null, null, null],
        ['ingress', 'IPv4', d.id, null, null],
        ['ingress', 'IPv6', d.id, null, null],
      ]);
      assert.ok(d.security_group_rules.every((r: { belongs_to_default_sg: boolean }) => r.belongs_to_default_sg));
      // Listing again makes no second one; the reader of the project sees the same group.
      const again = await defaultOf('reader');
      assert.equal(again.id, d.id);
      // Another project has its own, and cannot see this one.
      const other = await defaultOf('other');
      assert.notEqual(other.id, d.id);
      let res = await req('GET', `${NET}/security-groups/${d.id}`, { as: 'other' });
      assert.deepEqual(
        [res.status, res.body],
        [404, neutron('SecurityGroupNotFound', `Security group ${d.id} does not exist`)],
      );
      res = await req('DELETE', `${NET}/security-groups/${d.id}`, { as: 'member' });
      assert.deepEqual(
        [res.status, res.body],
        [409, neutron('SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.')],
      );
      res = await req('PUT', `${NET}/security-groups/${d.id}`, {
        as: 'member',
        body: { security_group: { name: 'x' } },
      });
      assert.deepEqual(
        [res.status, res.body],
        [409, neutron('SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.')],
      );
      res = await req('PUT', `${NET}/security-groups/${d.id}`, {
        as: 'member',
        body: { security_group: { description: 'mine' } },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.security_group.description, 'mine');
      // An admin sees every project's groups.
      const all = await req('GET', `${NET}/security-groups?name=default`, { as: 'admin' });
      const ids = all.body.security_groups.map((g: { id: string }) => g.id);
      assert.ok(ids.includes(d.id) && ids.includes(other.id));
    });

    test('groups: create, show, update, delete; fields and filters; persona matrix', async () => {
      const g = await newGroup('member', { name: 'web', description: 'web servers', stateful: false });
      assert.equal(g.name, 'web');
      assert.equal(g.stateful, false);
      assert.deepEqual(
        g.security_group_rules.map((r: { direction: string; ethertype: string }) => [r.direction, r.ethertype]).sort(),
        [
          ['egress', 'IPv4'],
          ['egress', 'IPv6'],
        ],
      );
      let res = await req('GET', `${NET}/security-groups/${g.id}?fields=id&fields=name`, { as: 'reader' });
      assert.deepEqual([res.status, res.body], [200, { security_group: { id: g.id, name: 'web' } }]);
      res = await req('GET', `${NET}/security-groups?name=web&fields=id`, { as: 'member' });
      assert.deepEqual(res.body, { security_groups: [{ id: g.id }] });
      res = await req('GET', `${NET}/security-groups?id=${g.id}&fields=name`, { as: 'admin' });
      assert.deepEqual(res.body, { security_groups: [{ name: 'web' }] });
      res = await req('GET', `${NET}/security-groups?tenant_id=${cloud.projects.member}&name=web&fields=name`, {
        as: 'admin',
      });
      assert.deepEqual(res.body, { security_groups: [{ name: 'web' }] });
      res = await req('GET', `${NET}/security-groups?name=web`, { as: 'other' });
      assert.deepEqual(res.body, { security_groups: [] });
      // Readers and other projects do not write.
      res = await req('POST', `${NET}/security-groups`, { as: 'reader', body: { security_group: { name: 'r' } } });
      assert.deepEqual(
        [res.status, res.body],
        [403, neutron('PolicyNotAuthorized', 'rule:create_security_group is disallowed by policy')],
      );
      res = await req('PUT', `${NET}/security-groups/${g.id}`, {
        as: 'reader',
        body: { security_group: { name: 'r' } },
      });
      assert.deepEqual(
        [res.status, res.body],
        [403, neutron('PolicyNotAuthorized', 'rule:update_security_group is disallowed by policy')],
      );
      res = await req('DELETE', `${NET}/security-groups/${g.id}`, { as: 'reader' });
      assert.deepEqual(
        [res.status, res.body],
        [403, neutron('PolicyNotAuthorized', 'rule:delete_security_group is disallowed by policy')],
      );
      for (const [method, body] of [
        ['PUT', { security_group: { name: 'o' } }],
        ['DELETE', undefined],
        ['GET', undefined],
      ] as const) {
        res = await req(method, `${NET}/security-groups/${g.id}`, { as: 'other', body });
        assert.deepEqual(
          [res.status, res.body],
          [404, neutron('SecurityGroupNotFound', `Security group ${g.id} does not exist`)],
        );
      }
      res = await req('GET', `${NET}/security-groups`);
      assert.equal(res.status, 401);
      res = await req('PUT', `${NET}/security-groups/${g.id}`, {
        as: 'member',
        body: { security_group: { name: 'web2', description: 'new' } },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.security_group.name, 'web2');
      assert.equal(res.body.security_group.revision_number, 2);
      res = await req('DELETE', `${NET}/security-groups/${g.id}`, { as: 'member' });
      assert.deepEqual([res.status, res.text], [204, '']);
      res = await req('GET', `${NET}/security-groups/${g.id}`, { as: 'member' });
      assert.equal(res.status, 404);
      // An admin creates for another project.
      res = await req('POST', `${NET}/security-groups`, {
        as: 'admin',
        body: { security_group: { name: 'for-other', project_id: cloud.projects.other } },
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.security_group.project_id, cloud.projects.other);
      res = await req('POST', `${NET}/security-groups`, {
        as: 'member',
        body: { security_group: { name: 'x', tenant_id: cloud.projects.other } },
      });
      assert.deepEqual(
        [res.status, res.body],
        [
          400,
          neutron(
            'HTTPBadRequest',
            "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
          ),
        ],
      );
    });

    test("groups: Neutron's validation", async () => {
      const cases: Array<[unknown, number, object]> = [
        [
          { security_group: { name: 'default' } },
          409,
          neutron('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.'),
        ],
        [
          { security_group: { name: 'x'.repeat(256) } },
          400,
          neutron(
            'HTTPBadRequest',
            `Invalid input for name. Reason: '${'x'.repeat(256)}' exceeds maximum length of 255.`,
          ),
        ],
        [
          { security_group: { name: 5 } },
          400,
          neutron('HTTPBadRequest', "Invalid input for name. Reason: '5' is not a valid string."),
        ],
        [
          { security_group: { stateful: 'maybe' } },
          400,
          neutron('HTTPBadRequest', "Invalid input for stateful. Reason: 'maybe' cannot be converted to boolean."),
        ],
        [
          { security_group: { name: 'a', colour: 'red' } },
          400,
          neutron('HTTPBadRequest', "Unrecognized attribute(s) 'colour'"),
        ],
        [{ group: {} }, 400, neutron('HTTPBadRequest', "Unable to find 'security_group' in request body")],
        [
          { security_group: [] },
          400,
          neutron('HTTPBadRequest', "Invalid input for operation: '[]' is not a dictionary."),
        ],
      ];
      for (const [body, status, fault] of cases) {
        const res = await req('POST', `${NET}/security-groups`, { as: 'member', body });
        assert.deepEqual([res.status, res.body], [status, fault], JSON.stringify(body));
      }
      const res = await req('GET', `${NET}/security-groups/not-a-uuid`, { as: 'member' });
      assert.deepEqual(
        [res.status, res.body],
        [404, neutron('SecurityGroupNotFound', 'Security group not-a-uuid does not exist')],
      );
    });

    test('rules: create, show, list, delete; duplicates; the validation and its messages', async () => {
      const g = await newGroup();
      let res = await newRule('member', {
        security_group_id: g.id,
        direction: 'ingress',
        protocol: 'TCP',
        port_range_min: 22,
        port_range_max: 22,
        remote_ip_prefix: '10.0.0.5/24',
      });
      assert.equal(res.status, 201, res.text);
      const rule = res.body.security_group_rule;
      assert.equal(rule.protocol, 'tcp');
      assert.equal(rule.ethertype, 'IPv4');
      assert.equal(rule.remote_ip_prefix, '10.0.0.5/24');
      assert.equal(rule.normalized_cidr, '10.0.0.0/24');
      assert.equal(rule.belongs_to_default_sg, false);
      assert.equal('remote_address_group_id' in rule, false);
      res = await req('GET', `${NET}/security-group-rules/${rule.id}`, { as: 'reader' });
      assert.deepEqual([res.status, res.body], [200, { security_group_rule: rule }]);
      res = await req('GET', `${NET}/security-group-rules/${rule.id}`, { as: 'other' });
      assert.deepEqual(
        [res.status, res.body],
        [404, neutron('SecurityGroupRuleNotFound', `Security group rule ${rule.id} does not exist`)],
      );
      res = await req('GET', `${NET}/security-group-rules?security_group_id=${g.id}&direction=ingress&fields=id`, {
        as: 'member',
      });
      assert.deepEqual(res.body, { security_group_rules: [{ id: rule.id }] });
      res = await req('GET', `${NET}/security-group-rules?security_group_id=${g.id}`, { as: 'other' });
      assert.deepEqual(res.body, { security_group_rules: [] });
      // The same rule again (protocol by number, the prefix's network): 409.
      res = await newRule('member', {
        security_group_id: g.id,
        direction: 'ingress',
        protocol: '6',
        port_range_min: 22,
        port_range_max: 22,
        remote_ip_prefix: '10.0.0.5/24',
      });
      assert.deepEqual(
        [res.status, res.body],
        [409, neutron('SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${rule.id}.`)],
      );
      const base = { security_group_id: g.id, direction: 'ingress' };
      const cases: Array<[Record<string, unknown>, number, object]> = [
        [
          { ...base, protocol: 'tcp', port_range_min: 30, port_range_max: 20 },
          400,
          neutron('SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max'),
        ],
        [
          { ...base, protocol: 'tcp', port_range_min: 0, port_range_max: 20 },
          400,
          neutron('SecurityGroupInvalidPortValue', 'Invalid value for port 0.'),
        ],
        [
          { ...base, protocol: 'tcp', port_range_min: 70000 },
          400,
          neutron('SecurityGroupInvalidPortValue', 'Invalid value for port 70000.'),
        ],
        [
          { ...base, port_range_min: 22, port_range_max: 22 },
          400,
          neutron('SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.'),
        ],
        [
          { ...base, protocol: 'bogus' },
          400,
          neutron(
            'SecurityGroupRuleInvalidProtocol',
            `Security group rule protocol bogus not supported. Only protocol values ${PROTOCOLS} and integer representations [0 to 255] are supported.`,
          ),
        ],
        [
          { ...base, protocol: 256 },
          400,
          neutron(
            'SecurityGroupRuleInvalidProtocol',
            `Security group rule protocol 256 not supported. Only protocol values ${PROTOCOLS} and integer representations [0 to 255] are supported.`,
          ),
        ],
        [
          { ...base, protocol: 'icmp', port_range_min: 300 },
          400,
          neutron(
            'SecurityGroupInvalidIcmpValue',
            'Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.',
          ),
        ],
        [
          { ...base, protocol: 'icmp', port_range_max: 3 },
          400,
          neutron(
            'SecurityGroupMissingIcmpType',
            'ICMP code (port-range-max) 3 is provided but ICMP type (port-range-min) is missing.',
          ),
        ],
        [
          { ...base, protocol: 'gre', port_range_min: 1, port_range_max: 2 },
          400,
          neutron(
            'SecurityGroupInvalidProtocolForPortRange',
            'Invalid protocol gre for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.',
          ),
        ],
        [
          { ...base, ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' },
          400,
          neutron('SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8'),
        ],
        [
          { ...base, remote_ip_prefix: 'fe80::/64' },
          400,
          neutron('SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv4 for CIDR fe80::/64'),
        ],
        [
          { ...base, remote_ip_prefix: '10.0.0.300/8' },
          400,
          neutron('InvalidCIDR', 'Invalid CIDR 10.0.0.300/8 given as IP prefix.'),
        ],
        [
          { ...base, ethertype: 'IPv5' },
          400,
          neutron(
            'SecurityGroupRuleInvalidEtherType',
            "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6'].",
          ),
        ],
        [
          { ...base, direction: 'sideways' },
          400,
          neutron('HTTPBadRequest', "Invalid input for direction. Reason: 'sideways' is not in ['ingress', 'egress']."),
        ],
        [
          { ...base, remote_ip_prefix: '10.0.0.0/8', remote_group_id: g.id },
          400,
          neutron(
            'SecurityGroupRemoteGroupAndRemoteIpPrefix',
            'Only remote_ip_prefix or remote_group_id may be provided.',
          ),
        ],
        [
          { ...base, remote_group_id: MISSING },
          404,
          neutron('SecurityGroupNotFound', `Security group ${MISSING} does not exist`),
        ],
        [
          { direction: 'ingress' },
          400,
          neutron('HTTPBadRequest', "Failed to parse request. Required attribute 'security_group_id' not specified"),
        ],
        [
          { security_group_id: g.id },
          400,
          neutron('HTTPBadRequest', "Failed to parse request. Required attribute 'direction' not specified"),
        ],
        [
          { ...base, security_group_id: MISSING },
          404,
          neutron('SecurityGroupNotFound', `Security group ${MISSING} does not exist`),
        ],
        [
          { ...base, remote_address_group_id: MISSING },
          400,
          neutron('HTTPBadRequest', "Unrecognized attribute(s) 'remote_address_group_id'"),
        ],
      ];
      for (const [body, status, fault] of cases) {
        res = await newRule('member', body);
        assert.deepEqual([res.status, res.body], [status, fault], JSON.stringify(body));
      }
      // IPv6, a remote group, an ICMP type and code, a protocol number: accepted.
      for (const ok of [
        { ...base, ethertype: 'ipv6', protocol: 'ipv6-icmp', remote_ip_prefix: 'FE80::1/64' },
        { ...base, protocol: 'udp', remote_group_id: g.id },
        { ...base, protocol: 'icmp', port_range_min: 8, port_range_max: 0 },
        { ...base, direction: 'egress', protocol: 132 },
      ]) {
        res = await newRule('member', ok);
        assert.equal(res.status, 201, res.text);
      }
      res = await req('GET', `${NET}/security-group-rules?security_group_id=${g.id}&ethertype=IPv6&direction=ingress`, {
        as: 'member',
      });
      assert.equal(res.body.security_group_rules[0].remote_ip_prefix, 'fe80::1/64');
      assert.equal(res.body.security_group_rules[0].normalized_cidr, 'fe80::/64');
      // Other projects and readers cannot add or remove rules.
      res = await newRule('other', { ...base, protocol: 'tcp' });
      assert.deepEqual(
        [res.status, res.body],
        [404, neutron('SecurityGroupNotFound', `Security group ${g.id} does not exist`)],
      );
      res = await newRule('reader', { ...base, protocol: 'tcp' });
      assert.deepEqual(
        [res.status, res.body],
        [403, neutron('PolicyNotAuthorized', 'rule:create_security_group_rule is disallowed by policy')],
      );
      res = await req('DELETE', `${NET}/security-group-rules/${rule.id}`, { as: 'reader' });
      assert.deepEqual(
        [res.status, res.body],
        [403, neutron('PolicyNotAuthorized', 'rule:delete_security_group_rule is disallowed by policy')],
      );
      res = await req('DELETE', `${NET}/security-group-rules/${rule.id}`, { as: 'other' });
      assert.equal(res.status, 404);
      res = await req('DELETE', `${NET}/security-group-rules/${rule.id}`, { as: 'member' });
      assert.deepEqual([res.status, res.text], [204, '']);
      res = await req('DELETE', `${NET}/security-group-rules/${rule.id}`, { as: 'member' });
      assert.deepEqual(
        [res.status, res.body],
        [404, neutron('SecurityGroupRuleNotFound', `Security group rule ${rule.id} does not exist`)],
      );
      res = await req('PUT', `${NET}/security-group-rules/${MISSING}`, { as: 'member', body: {} });
      assert.equal(res.status, 405);
    });

    test('ports carry groups: the default one when none is given; a group in use cannot go', async () => {
      const net = (await req('GET', `${NET}/networks?name=private`, { as: 'member' })).body.networks[0];
      const g = await newGroup();
      const d = await defaultOf('member');
      let res = await req('POST', `${NET}/ports`, { as: 'member', body: { port: { network_id: net.id } } });
      assert.equal(res.status, 201, res.text);
      const plain = res.body.port;
      assert.deepEqual(plain.security_groups, [d.id]);
      res = await req('POST', `${NET}/ports`, {
        as: 'member',
        body: { port: { network_id: net.id, security_groups: [g.id] } },
      });
      assert.deepEqual(res.body.port.security_groups, [g.id]);
      const port = res.body.port;
      res = await req('DELETE', `${NET}/security-groups/${g.id}`, { as: 'member' });
      assert.deepEqual([res.status, res.body], [409, neutron('SecurityGroupInUse', `Security Group ${g.id} in use.`)]);
      res = await req('POST', `${NET}/ports`, {
        as: 'member',
        body: { port: { network_id: net.id, security_groups: ['nope'] } },
      });
      assert.deepEqual(
        [res.status, res.body],
        [400, neutron('InvalidInput', "Invalid input for operation: 'nope' is not an integer or uuid.")],
      );
      const foreign = await defaultOf('other');
      res = await req('PUT', `${NET}/ports/${port.id}`, {
        as: 'member',
        body: { port: { security_groups: [foreign.id] } },
      });
      assert.deepEqual(
        [res.status, res.body],
        [404, neutron('SecurityGroupNotFound', `Security group ${foreign.id} does not exist`)],
      );
      res = await req('PUT', `${NET}/ports/${port.id}`, {
        as: 'member',
        body: { port: { security_groups: [g.id, d.id] } },
      });
      assert.deepEqual(res.body.port.security_groups.sort(), [d.id, g.id].sort());
      res = await req('PUT', `${NET}/ports/${port.id}`, { as: 'member', body: { port: { security_groups: [] } } });
      assert.deepEqual(res.body.port.security_groups, []);
      res = await req('GET', `${NET}/ports/${plain.id}`, { as: 'member' });
      assert.deepEqual(res.body.port.security_groups, [d.id]);
      res = await req('DELETE', `${NET}/security-groups/${g.id}`, { as: 'member' });
      assert.equal(res.status, 204);
      for (const p of [plain, port]) await req('DELETE', `${NET}/ports/${p.id}`, { as: 'member' });
    });

    test('quotas: 10 groups and 100 rules, shown and enforced', async () => {
      let res = await req('GET', `${NET}/quotas/${cloud.projects.other}`, { as: 'other' });
      assert.equal(res.body.quota.security_group, 10);
      assert.equal(res.body.quota.security_group_rule, 100);
      res = await req('GET', `${NET}/quotas/${cloud.projects.other}/details.json`, { as: 'other' });
      const used = res.body.quota.security_group.used as number;
      assert.ok(used >= 1);
      const made: string[] = [];
      for (let i = used; i < 10; i++) made.push((await newGroup('other')).id);
      res = await req('POST', `${NET}/security-groups`, {
        as: 'other',
        body: { security_group: { name: 'eleventh' } },
      });
      assert.deepEqual(
        [res.status, res.body],
        [409, neutron('OverQuota', "Quota exceeded for resources: ['security_group'].")],
      );
      // The proxy words it as Nova: 403.
      res = await req('POST', '/v2.1/os-security-groups', {
        as: 'other',
        body: { security_group: { name: 'eleventh', description: '' } },
      });
      assert.deepEqual(
        [res.status, res.body],
        [403, nova('forbidden', 403, "Quota exceeded for resources: ['security_group'].")],
      );
      for (const id of made)
        assert.equal((await req('DELETE', `${NET}/security-groups/${id}`, { as: 'other' })).status, 204);
    });

    test('Nova: create by name or id, the view, add and remove, the server list, delete frees the group', async () => {
      const web = await newGroup('member', { name: 'web' });
      const db = await newGroup('member', { name: 'db' });
      let res = await req('POST', '/v2.1/servers', {
        as: 'member',
        body: {
          server: {
            name: 'sg',
            imageRef: (await req('GET', '/image/v2/images?name=cirros-0.6.2-x86_64-disk', { as: 'admin' })).body
              .images[0]?.id,
            flavorRef: '1',
            networks: 'auto',
            security_groups: [{ name: 'nope' }],
          },
        },
        mv: '2.37',
      });
      assert.equal(res.status, 400);
      const id = await cloud.createServer('member', { security_groups: [{ name: 'web' }, { name: db.id }] });
      let view = await cloud.server(id, 'member');
      assert.deepEqual(view.body.server.security_groups.map((g: { name: string }) => g.name).sort(), ['db', 'web']);
      res = await req('GET', `/v2.1/servers/${id}/os-security-groups`, { as: 'reader' });
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.security_groups.map((g: { name: string }) => g.name),
        ['db', 'web'],
      );
      res = await req('GET', `/v2.1/servers/${id}/os-security-groups`, { as: 'other' });
      assert.deepEqual([res.status, res.body], [404, notFound(`Instance ${id} could not be found.`)]);
      const action = (as: Persona, body: unknown) => req('POST', `/v2.1/servers/${id}/action`, { as, body });
      res = await action('member', { addSecurityGroup: { name: 'default' } });
      assert.deepEqual([res.status, res.text], [202, '']);
      view = await cloud.server(id, 'member');
      assert.deepEqual(view.body.server.security_groups.map((g: { name: string }) => g.name).sort(), [
        'db',
        'default',
        'web',
      ]);
      res = await action('member', { addSecurityGroup: { name: 'missing' } });
      assert.deepEqual(
        [res.status, res.body],
        [404, notFound(`Security group missing is not found for project ${cloud.projects.member}`)],
      );
      res = await action('member', { addSecurityGroup: {} });
      assert.deepEqual([res.status, res.body], [400, bad('Security group not specified')]);
      res = await action('member', { addSecurityGroup: { name: ' ' } });
      assert.deepEqual([res.status, res.body], [400, bad('Security group name cannot be empty')]);
      res = await action('member', { addSecurityGroup: 'web' });
      assert.deepEqual([res.status, res.body], [400, bad('Missing parameter dict')]);
      res = await action('reader', { addSecurityGroup: { name: 'web' } });
      assert.deepEqual(
        [res.status, res.body],
        [403, nova('forbidden', 403, "Policy doesn't allow os_compute_api:os-security-groups:add to be performed.")],
      );
      res = await action('reader', { removeSecurityGroup: { name: 'web' } });
      assert.deepEqual(
        [res.status, res.body],
        [403, nova('forbidden', 403, "Policy doesn't allow os_compute_api:os-security-groups:remove to be performed.")],
      );
      res = await action('other', { addSecurityGroup: { name: 'web' } });
      assert.deepEqual([res.status, res.body], [404, notFound(`Instance ${id} could not be found.`)]);
      for (const name of ['web', 'default', db.id]) {
        res = await action('member', { removeSecurityGroup: { name } });
        assert.deepEqual([res.status, res.text], [202, ''], name);
      }
      res = await action('member', { removeSecurityGroup: { name: 'web' } });
      assert.deepEqual(
        [res.status, res.body],
        [404, notFound(`Security group web not associated with the instance ${id}`)],
      );
      view = await cloud.server(id, 'member');
      assert.equal('security_groups' in view.body.server, false);
      res = await action('member', { addSecurityGroup: { name: 'web' } });
      assert.equal(res.status, 202);
      res = await req('DELETE', `${NET}/security-groups/${web.id}`, { as: 'member' });
      assert.deepEqual(
        [res.status, res.body],
        [409, neutron('SecurityGroupInUse', `Security Group ${web.id} in use.`)],
      );
      // The server's delete takes its ports; the group stays and can then go.
      assert.equal((await req('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
      await cloud.drain();
      res = await req('DELETE', `${NET}/security-groups/${web.id}`, { as: 'member' });
      assert.equal(res.status, 204, res.text);
      assert.equal((await req('DELETE', `${NET}/security-groups/${db.id}`, { as: 'member' })).status, 204);
    });

    test('Nova: a server without ports takes no group', async () => {
      const id = await cloud.createServer('member', { networks: 'none' });
      const res = await req('POST', `/v2.1/servers/${id}/action`, {
        as: 'member',
        body: { addSecurityGroup: { name: 'default' } },
      });
      assert.deepEqual(
        [res.status, res.body],
        [404, notFound(`instance_id ${id} could not be found as device id on any ports`)],
      );
      await req('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
      await cloud.drain();
    });

    test('os-security-groups proxy: create, list, show, update, delete; rules; Nova messages; 404 from 2.36', async () => {
      let res = await req('POST', '/v2.1/os-security-groups', {
        as: 'member',
        body: { security_group: { name: 'proxy', description: 'via nova' } },
      });
      assert.equal(res.status, 200, res.text);
      const g = res.body.security_group;
      assert.deepEqual(g, {
        id: g.id,
        name: 'proxy',
        description: 'via nova',
        tenant_id: cloud.projects.member,
        rules: [],
      });
      res = await req('GET', `/v2.1/os-security-groups/${g.id}`, { as: 'reader' });
      assert.deepEqual([res.status, res.body], [200, { security_group: g }]);
      res = await req('GET', '/v2.1/os-security-groups', { as: 'member' });
      const names = res.body.security_groups.map((x: { name: string }) => x.name);
      assert.ok(names.includes('proxy') && names.includes('default'));
      assert.deepEqual(names, [...names].sort());
      const d = res.body.security_groups.find((x: { name: string }) => x.name === 'default');
      // Nova shows the default group's ingress rules (from the group itself, any protocol).
      assert.deepEqual(
        d.rules.map((r: Record<string, unknown>) => ({ ...r, id: undefined })),
        [0, 1].map(() => ({
          id: undefined,
          parent_group_id: d.id,
          ip_protocol: null,
          from_port: null,
          to_port: null,
          group: { name: 'default', tenant_id: cloud.projects.member },
          ip_range: {},
        })),
      );
      res = await req('GET', '/v2.1/os-security-groups?all_tenants=1', { as: 'admin' });
      assert.ok(res.body.security_groups.some((x: { id: string }) => x.id === g.id));
      const createCases: Array<[unknown, object]> = [
        [{ security_group: { description: 'x' } }, bad('name is not a string or unicode')],
        [{ security_group: { name: 'x' } }, bad('description is not a string or unicode')],
        [
          { security_group: { name: 'x'.repeat(256), description: '' } },
          bad('name has 256 characters, more than 255.'),
        ],
        [{}, bad("The request body can't be empty")],
        [{ group: {} }, bad('Missing parameter security_group')],
      ];
      for (const [body, fault] of createCases) {
        res = await req('POST', '/v2.1/os-security-groups', { as: 'member', body });
        assert.deepEqual([res.status, res.body], [400, fault], JSON.stringify(body));
      }
      res = await req('POST', '/v2.1/os-security-groups', {
        as: 'member',
        body: { security_group: { name: 'default', description: '' } },
      });
      assert.deepEqual([res.status, res.body], [403, nova('forbidden', 403, 'Default security group already exists.')]);
      res = await req('POST', '/v2.1/os-security-groups', {
        as: 'reader',
        body: { security_group: { name: 'r', description: '' } },
      });
      assert.deepEqual(
        [res.status, res.body],
        [403, nova('forbidden', 403, "Policy doesn't allow os_compute_api:os-security-groups:create to be performed.")],
      );
      res = await req('PUT', `/v2.1/os-security-groups/${g.id}`, {
        as: 'member',
        body: { security_group: { name: 'proxy2', description: 'changed' } },
      });
      assert.deepEqual(
        [res.status, res.body.security_group.name, res.body.security_group.description],
        [200, 'proxy2', 'changed'],
      );
      res = await req('PUT', `/v2.1/os-security-groups/${g.id}`, {
        as: 'other',
        body: { security_group: { name: 'o', description: '' } },
      });
      assert.deepEqual([res.status, res.body], [404, notFound(`Security group ${g.id} does not exist`)]);
      res = await req('PUT', '/v2.1/os-security-groups/abc', {
        as: 'member',
        body: { security_group: { name: 'o', description: '' } },
      });
      assert.deepEqual([res.status, res.body], [400, bad('Security group id should be uuid')]);
      res = await req('PUT', `/v2.1/os-security-groups/${d.id}`, {
        as: 'member',
        body: { security_group: { name: 'o', description: '' } },
      });
      assert.deepEqual([res.status, res.body], [400, bad('Updating default security group not allowed.')]);

      // Rules.
      const rule = (r: Record<string, unknown>) =>
        req('POST', '/v2.1/os-security-group-rules', {
          as: 'member',
          body: { security_group_rule: { parent_group_id: g.id, ...r } },
        });
      res = await rule({ ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' });
      assert.equal(res.status, 200, res.text);
      const r1 = res.body.security_group_rule;
      assert.deepEqual(r1, {
        id: r1.id,
        parent_group_id: g.id,
        ip_protocol: 'tcp',
        from_port: 22,
        to_port: 22,
        group: {},
        ip_range: { cidr: '10.0.0.0/8' },
      });
      res = await rule({ ip_protocol: 'tcp', group_id: d.id });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        [
          res.body.security_group_rule.from_port,
          res.body.security_group_rule.to_port,
          res.body.security_group_rule.group,
        ],
        [1, 65535, { name: 'default', tenant_id: cloud.projects.member }],
      );
      res = await rule({ ip_protocol: 'icmp', from_port: -1, to_port: -1 });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        [res.body.security_group_rule.from_port, res.body.security_group_rule.ip_range],
        [-1, { cidr: '0.0.0.0/0' }],
      );
      const ruleCases: Array<[Record<string, unknown>, number, object]> = [
        [
          { ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' },
          400,
          bad(`This rule already exists in group ${g.id}`),
        ],
        [
          { ip_protocol: 'tcp', from_port: 30, to_port: 20 },
          400,
          bad('Invalid port range 30:20. Former value cannot be greater than the later'),
        ],
        [
          { ip_protocol: 'tcp', from_port: 0, to_port: 20 },
          400,
          bad('Invalid port range 0:20. Valid TCP ports should be between 1-65535'),
        ],
        [
          { ip_protocol: 'icmp', from_port: 300, to_port: 0 },
          400,
          bad('Invalid port range 300:0. For ICMP, the type:code must be valid'),
        ],
        [{ ip_protocol: 'gre', from_port: 1, to_port: 2 }, 400, bad('Invalid IP protocol gre.')],
        [
          { ip_protocol: 'tcp', from_port: 'a', to_port: 2 },
          400,
          bad('Invalid input received: To and From ports must be integers'),
        ],
        [{ ip_protocol: 'tcp', from_port: 1, to_port: 2, cidr: 'bad' }, 400, bad('bad is not a valid IP network.')],
        [
          { ip_protocol: 'tcp', from_port: 1, to_port: 2, cidr: '10.0.0.0/0' },
          400,
          bad('Bad prefix for network in cidr 10.0.0.0/0'),
        ],
        [{ ip_protocol: 'tcp' }, 400, bad('Not enough parameters to build a valid rule.')],
        [{ parent_group_id: 'abc' }, 400, bad('Security group id should be uuid')],
        [{ parent_group_id: MISSING, ip_protocol: 'tcp' }, 404, notFound(`Security group ${MISSING} does not exist`)],
        [{ group_id: MISSING, ip_protocol: 'tcp' }, 404, notFound(`Security group ${MISSING} does not exist`)],
      ];
      for (const [body, status, fault] of ruleCases) {
        res = await rule(body);
        assert.deepEqual([res.status, res.body], [status, fault], JSON.stringify(body));
      }
      res = await req('GET', `/v2.1/os-security-groups/${g.id}`, { as: 'member' });
      assert.equal(res.body.security_group.rules.length, 3);
      res = await req('DELETE', `/v2.1/os-security-group-rules/${r1.id}`, { as: 'reader' });
      assert.deepEqual(
        [res.status, res.body],
        [
          403,
          nova('forbidden', 403, "Policy doesn't allow os_compute_api:os-security-groups:rule:delete to be performed."),
        ],
      );
      res = await req('DELETE', `/v2.1/os-security-group-rules/${r1.id}`, { as: 'other' });
      assert.deepEqual([res.status, res.body], [404, notFound(`Security group rule ${r1.id} does not exist`)]);
      res = await req('DELETE', `/v2.1/os-security-group-rules/${r1.id}`, { as: 'member' });
      assert.deepEqual([res.status, res.text], [202, '']);
      res = await req('DELETE', `/v2.1/os-security-group-rules/${r1.id}`, { as: 'member' });
      assert.deepEqual([res.status, res.body], [404, notFound(`Security group rule ${r1.id} does not exist`)]);
      res = await req('DELETE', '/v2.1/os-security-group-rules/1', { as: 'member' });
      assert.deepEqual([res.status, res.body], [400, bad('Security group id should be uuid')]);

      // Delete: the default group and a group in use are Nova's 400.
      res = await req('DELETE', `/v2.1/os-security-groups/${d.id}`, { as: 'member' });
      assert.deepEqual([res.status, res.body], [400, bad('Insufficient rights for removing default security group.')]);
      res = await req('DELETE', `/v2.1/os-security-groups/${g.id}`, { as: 'reader' });
      assert.deepEqual(
        [res.status, res.body],
        [403, nova('forbidden', 403, "Policy doesn't allow os_compute_api:os-security-groups:delete to be performed.")],
      );
      res = await req('DELETE', `/v2.1/os-security-groups/${g.id}`, { as: 'member' });
      assert.deepEqual([res.status, res.text], [202, '']);
      res = await req('GET', `/v2.1/os-security-groups/${g.id}`, { as: 'member' });
      assert.deepEqual([res.status, res.body], [404, notFound(`Security group ${g.id} does not exist`)]);
      // No id: Nova's 404 with the slash, the usual 405 without.
      res = await req('DELETE', '/v2.1/os-security-groups/', { as: 'member' });
      assert.deepEqual([res.status, res.body], [404, notFound('The resource could not be found.')]);
      res = await req('DELETE', '/v2.1/os-security-groups', { as: 'member' });
      assert.deepEqual(
        [res.status, res.headers.get('allow'), res.body],
        [405, 'GET, HEAD, POST', nova('badMethod', 405, 'The method specified is not allowed for this resource.')],
      );
      // Past 2.35 the proxy is gone.
      for (const [method, path] of [
        ['GET', '/v2.1/os-security-groups'],
        ['POST', '/v2.1/os-security-groups'],
        ['GET', `/v2.1/os-security-groups/${g.id}`],
        ['PUT', `/v2.1/os-security-groups/${g.id}`],
        ['DELETE', `/v2.1/os-security-groups/${g.id}`],
        ['POST', '/v2.1/os-security-group-rules'],
        ['DELETE', `/v2.1/os-security-group-rules/${MISSING}`],
      ]) {
        res = await req(method, path, {
          as: 'member',
          mv: '2.36',
          body: method === 'GET' || method === 'DELETE' ? undefined : {},
        });
        assert.deepEqual(
          [res.status, res.body],
          [404, notFound('The resource could not be found.')],
          `${method} ${path}`,
        );
      }
    });
  });
}
