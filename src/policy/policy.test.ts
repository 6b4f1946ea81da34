import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse, PolicySyntaxError, type PolicyNode } from './evaluator.js';
import { Policy, type Credentials, type Target } from './policy.js';
import { DEFAULT_RULES } from './rules.js';

const personas: Record<string, Credentials> = {
  admin: { user_id: 'admin-user', project_id: 'admin', roles: ['admin', 'member', 'reader'], is_admin: true },
  member_p1: { user_id: 'u1', project_id: 'p1', roles: ['member', 'reader'], is_admin: false },
  reader_p1: { user_id: 'u2', project_id: 'p1', roles: ['reader'], is_admin: false },
  member_p2: { user_id: 'u3', project_id: 'p2', roles: ['member', 'reader'], is_admin: false },
};
const target: Target = { project_id: 'p1', user_id: 'u1' };

const matrix: Array<{ rule: string; allowed: string[] }> = [
  { rule: 'os_compute_api:servers:delete', allowed: ['admin', 'member_p1'] },
  { rule: 'os_compute_api:servers:show', allowed: ['admin', 'member_p1', 'reader_p1'] },
  { rule: 'os_compute_api:os-lock-server:unlock:unlock_override', allowed: ['admin'] },
  { rule: 'os_compute_api:servers:index:get_all_tenants', allowed: ['admin'] },
];

test('persona matrix with default rules', async (t) => {
  const policy = new Policy();
  for (const { rule, allowed } of matrix) {
    for (const [persona, creds] of Object.entries(personas)) {
      const expected = allowed.includes(persona);
      await t.test(`${rule} / ${persona} => ${expected ? 'allow' : 'deny'}`, () => {
        assert.equal(policy.allows(rule, target, creds), expected);
      });
    }
  }
});

function collectRuleRefs(node: PolicyNode, out: string[]): string[] {
  switch (node.type) {
    case 'and':
    case 'or':
      for (const c of node.children) collectRuleRefs(c, out);
      break;
    case 'not':
      collectRuleRefs(node.child, out);
      break;
    case 'rule':
      out.push(node.name);
      break;
    default:
      break;
  }
  return out;
}

test('default rules: unique names, valid syntax, no dangling rule: references', () => {
  const names = new Set<string>();
  for (const r of DEFAULT_RULES) {
    assert.ok(!names.has(r.name), `duplicate rule ${r.name}`);
    names.add(r.name);
    assert.ok(r.description.length > 0 && r.description.length <= 80, `description of ${r.name}`);
    for (const ref of collectRuleRefs(parse(r.checkStr), [])) {
      assert.ok(
        names.has(ref) || DEFAULT_RULES.some((d) => d.name === ref),
        `${r.name} references unknown rule:${ref}`,
      );
    }
  }
});

test('required rule names are present with expected defaults', async (t) => {
  const policy = new Policy();
  const ADMIN = 'rule:context_is_admin';
  const MEMBER = 'rule:project_member_or_admin';
  const READER = 'rule:project_reader_or_admin';
  const expected: Record<string, string> = {
    context_is_admin: 'role:admin',
    admin_or_owner: 'is_admin:True or project_id:%(project_id)s',
    admin_api: 'is_admin:True',
    project_member_api: 'role:member and project_id:%(project_id)s',
    project_reader_api: 'role:reader and project_id:%(project_id)s',
    project_member_or_admin: 'rule:project_member_api or rule:context_is_admin',
    project_reader_or_admin: 'rule:project_reader_api or rule:context_is_admin',
    'os_compute_api:servers:index': READER,
    'os_compute_api:servers:detail': READER,
    'os_compute_api:servers:show': READER,
    'os_compute_api:servers:create': MEMBER,
    'os_compute_api:servers:delete': MEMBER,
    'os_compute_api:servers:update': MEMBER,
    'os_compute_api:servers:index:get_all_tenants': ADMIN,
    'os_compute_api:servers:detail:get_all_tenants': ADMIN,
    'os_compute_api:servers:allow_all_filters': ADMIN,
    'os_compute_api:servers:show:host_status': ADMIN,
    'os_compute_api:servers:start': MEMBER,
    'os_compute_api:servers:stop': MEMBER,
    'os_compute_api:servers:reboot': MEMBER,
    'os_compute_api:os-lock-server:lock': MEMBER,
    'os_compute_api:os-lock-server:unlock': MEMBER,
    'os_compute_api:os-lock-server:unlock:unlock_override': ADMIN,
    'os_compute_api:os-deferred-delete:restore': MEMBER,
    'os_compute_api:os-deferred-delete:force': MEMBER,
    'os_compute_api:os-instance-actions:list': READER,
    'os_compute_api:os-instance-actions:show': READER,
    'os_compute_api:os-instance-actions:events': ADMIN,
    'os_compute_api:os-instance-actions:events:details': ADMIN,
    'os_compute_api:os-admin-actions:reset_state': ADMIN,
    'os_compute_api:os-pause-server:pause': MEMBER,
    'os_compute_api:os-pause-server:unpause': MEMBER,
    'os_compute_api:os-suspend-server:suspend': MEMBER,
    'os_compute_api:os-suspend-server:resume': MEMBER,
    'os_compute_api:os-shelve:shelve': MEMBER,
    'os_compute_api:os-shelve:shelve_offload': ADMIN,
    'os_compute_api:os-shelve:unshelve': MEMBER,
    'os_compute_api:os-extended-server-attributes': ADMIN,
    'os_compute_api:os-services:list': ADMIN,
    'os_compute_api:os-services:update': ADMIN,
    'os_compute_api:os-services:delete': ADMIN,
    'os_compute_api:os-console-output': MEMBER,
    'os_compute_api:os-flavor-manage:create': ADMIN,
    'os_compute_api:os-flavor-manage:delete': ADMIN,
    'stratus:control:faults': ADMIN,
    'stratus:image:create': 'rule:project_member_or_admin',
    'stratus:image:delete': 'rule:project_member_or_admin',
    'stratus:network:port:create': MEMBER,
    'stratus:network:port:update': MEMBER,
    'stratus:network:port:delete': MEMBER,
  };
  for (const [name, checkStr] of Object.entries(expected)) {
    await t.test(name, () => {
      assert.ok(policy.has(name));
      assert.equal(policy.checkStrOf(name), checkStr);
    });
  }
});

test('unknown rule name throws; has() reports presence', () => {
  const policy = new Policy();
  assert.equal(policy.has('os_compute_api:servers:delete'), true);
  assert.equal(policy.has('os_compute_api:servers:nope'), false);
  assert.throws(() => policy.allows('os_compute_api:servers:nope', target, personas.admin), /unknown policy rule/);
  assert.ok(policy.ruleNames().length >= DEFAULT_RULES.length);
});

test('overrides replace defaults and may add alias rules', () => {
  const policy = new Policy({
    'os_compute_api:servers:delete': 'rule:context_is_admin',
    'os_compute_api:servers:show': 'rule:support or rule:project_reader_or_admin',
    support: 'role:support',
    context_is_admin: 'role:admin or role:superuser',
  });
  assert.equal(policy.allows('os_compute_api:servers:delete', target, personas.member_p1), false);
  assert.equal(policy.allows('os_compute_api:servers:delete', target, personas.admin), true);
  const support: Credentials = { user_id: 's', project_id: 'ops', roles: ['support'], is_admin: false };
  assert.equal(policy.allows('os_compute_api:servers:show', target, support), true);
  assert.equal(policy.allows('os_compute_api:servers:delete', target, support), false);
  assert.equal(policy.has('support'), true);
  // Overriding a base rule changes every rule that references it.
  const superuser: Credentials = { user_id: 'x', project_id: 'x', roles: ['superuser'], is_admin: false };
  assert.equal(policy.allows('os_compute_api:servers:index:get_all_tenants', target, superuser), true);
  // Untouched defaults keep working.
  assert.equal(policy.allows('os_compute_api:servers:reboot', target, personas.member_p1), true);
});

test('empty-string override means always allowed', () => {
  const policy = new Policy({ 'os_compute_api:os-services:list': '' });
  assert.equal(policy.allows('os_compute_api:os-services:list', {}, personas.reader_p1), true);
});

test('constructor rejects bad overrides', () => {
  assert.throws(
    () => new Policy({ 'os_compute_api:servers:delete': 'role:admin or' }),
    (err: unknown) =>
      err instanceof PolicySyntaxError &&
      err.ruleName === 'os_compute_api:servers:delete' &&
      /rule "os_compute_api:servers:delete"/.test(err.message),
  );
  assert.throws(
    () => new Policy({ x: 42 } as unknown as Record<string, string>),
    (err: unknown) =>
      err instanceof TypeError && /rule "x": check string must be a string, got number/.test(err.message),
  );
});

test('rule cycles do not overflow the stack', () => {
  const policy = new Policy({
    a: 'rule:a',
    b: 'rule:c',
    c: 'rule:b or role:member',
    'os_compute_api:servers:delete': 'rule:os_compute_api:servers:delete or role:member',
  });
  assert.equal(policy.allows('a', target, personas.admin), false);
  assert.equal(policy.allows('b', target, personas.member_p1), true);
  assert.equal(policy.allows('b', target, personas.admin), true);
  assert.equal(policy.allows('b', target, { ...personas.reader_p1, roles: [] }), false);
  assert.equal(policy.allows('os_compute_api:servers:delete', target, personas.reader_p1), false);
  assert.equal(policy.allows('os_compute_api:servers:delete', target, personas.member_p2), true);
});

test('fromFile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-policy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  await t.test('YAML overrides', () => {
    const path = write(
      'policy.yaml',
      [
        '# operator overrides',
        '"os_compute_api:servers:delete": "rule:context_is_admin"',
        'os_compute_api:os-lock-server:unlock:unlock_override: rule:project_member_or_admin',
        'auditor: role:auditor',
        '"os_compute_api:servers:index:get_all_tenants": "rule:auditor or rule:context_is_admin"',
        '"stratus:control:faults": "!"',
        '',
      ].join('\n'),
    );
    const policy = Policy.fromFile(path);
    assert.equal(policy.allows('os_compute_api:servers:delete', target, personas.member_p1), false);
    assert.equal(policy.allows('os_compute_api:servers:delete', target, personas.admin), true);
    assert.equal(
      policy.allows('os_compute_api:os-lock-server:unlock:unlock_override', target, personas.member_p1),
      true,
    );
    assert.equal(
      policy.allows('os_compute_api:os-lock-server:unlock:unlock_override', target, personas.member_p2),
      false,
    );
    const auditor: Credentials = { user_id: 'aud', project_id: 'p9', roles: ['Auditor'], is_admin: false };
    assert.equal(policy.allows('os_compute_api:servers:index:get_all_tenants', target, auditor), true);
    assert.equal(policy.allows('stratus:control:faults', {}, personas.admin), false);
    assert.equal(policy.allows('os_compute_api:servers:show', target, personas.reader_p1), true);
  });

  await t.test('JSON overrides', () => {
    const path = write('policy.json', JSON.stringify({ 'os_compute_api:servers:show': 'role:admin' }));
    const policy = Policy.fromFile(path);
    assert.equal(policy.allows('os_compute_api:servers:show', target, personas.reader_p1), false);
    assert.equal(policy.allows('os_compute_api:servers:show', target, personas.admin), true);
  });

  await t.test('empty file means defaults', () => {
    const policy = Policy.fromFile(write('empty.yaml', '# nothing here\n'));
    assert.equal(policy.allows('os_compute_api:servers:delete', target, personas.member_p1), true);
  });

  await t.test('syntax error names file and rule', () => {
    const path = write('bad.yaml', '"os_compute_api:servers:delete": "role:admin and (role:member"\n');
    assert.throws(
      () => Policy.fromFile(path),
      (err: unknown) =>
        err instanceof PolicySyntaxError &&
        err.ruleName === 'os_compute_api:servers:delete' &&
        err.message.startsWith(`${path}: rule "os_compute_api:servers:delete": unclosed '('`),
    );
  });

  await t.test('non-string value is rejected', () => {
    const path = write('nonstring.yaml', 'good: "@"\nbad:\n  - role:admin\n');
    assert.throws(
      () => Policy.fromFile(path),
      /nonstring\.yaml: rule "bad": check string must be a string, got an array/,
    );
    const nul = write('null.yaml', 'bad:\n');
    assert.throws(() => Policy.fromFile(nul), /rule "bad": check string must be a string, got null/);
  });

  await t.test('top level must be a mapping', () => {
    assert.throws(() => Policy.fromFile(write('list.yaml', '- role:admin\n')), /must contain a mapping/);
    assert.throws(() => Policy.fromFile(write('scalar.yaml', 'role:admin\n')), /must contain a mapping/);
  });

  await t.test('invalid YAML and missing file', () => {
    assert.throws(() => Policy.fromFile(write('broken.yaml', 'a: "unterminated\n')), /not valid YAML\/JSON/);
    assert.throws(() => Policy.fromFile(write('dup.yaml', 'a: "@"\na: "!"\n')), /not valid YAML\/JSON/);
    assert.throws(() => Policy.fromFile(join(dir, 'absent.yaml')), /cannot read policy file/);
  });
});
