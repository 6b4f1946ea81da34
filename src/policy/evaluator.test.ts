import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  evaluate,
  MAX_RULE_DEPTH,
  parse,
  PolicySyntaxError,
  type PolicyNode,
  type RuleResolver,
  type ValueSpec,
} from './evaluator.js';
import type { Credentials, Target } from './policy.js';

/** Parses and evaluates a check string. */
const check = (src: string, tgt: Target, creds: Credentials, resolve?: RuleResolver) =>
  evaluate(parse(src), tgt, creds, resolve);

/** Renders an AST back to a fully parenthesised check string, to assert how it parsed. */
function stringify(node: PolicyNode): string {
  switch (node.type) {
    case 'true':
      return '@';
    case 'false':
      return '!';
    case 'and':
    case 'or':
      return `(${node.children.map(stringify).join(` ${node.type} `)})`;
    case 'not':
      return `not ${stringify(node.child)}`;
    case 'rule':
      return `rule:${node.name}`;
    case 'role':
      return `role:${valueToString(node.match)}`;
    case 'generic': {
      const key = node.key.kind === 'path' ? node.key.path : `'${node.key.value}'`;
      return `${key}:${valueToString(node.match)}`;
    }
  }
}

function valueToString(v: ValueSpec): string {
  if (v.kind === 'literal') return `'${v.value}'`;
  return v.parts.map((p) => ('key' in p ? `%(${p.key})s` : p.text.replace(/%/g, '%%'))).join('');
}

const member: Credentials = { user_id: 'u1', project_id: 'p1', roles: ['member', 'reader'], is_admin: false };
const admin: Credentials = { user_id: 'a1', project_id: 'admin', roles: ['Admin'], is_admin: true };
const target: Target = { project_id: 'p1', user_id: 'u1', flag: 'True', empty: undefined };

function resolverFor(rules: Record<string, string>): RuleResolver {
  return (name) => (Object.hasOwn(rules, name) ? parse(rules[name]) : undefined);
}

test('structure: precedence not > and > or, parentheses', async (t) => {
  const cases: Array<[string, string]> = [
    ['a:1 or b:2 and c:3', "(a:'1' or (b:'2' and c:'3'))"],
    ['a:1 and b:2 or c:3', "((a:'1' and b:'2') or c:'3')"],
    ['not a:1 and b:2', "(not a:'1' and b:'2')"],
    ['not a:1 or b:2', "(not a:'1' or b:'2')"],
    ['not (a:1 or b:2)', "not (a:'1' or b:'2')"],
    ['(a:1 or b:2) and c:3', "((a:'1' or b:'2') and c:'3')"],
    ['((a:1))', "a:'1'"],
    ['not not a:1', "not not a:'1'"],
    ['not(role:admin)', "not role:'admin'"],
    ['a:1 AND b:2 Or c:3', "((a:'1' and b:'2') or c:'3')"],
    ['a:1 and b:2 and c:3', "(a:'1' and b:'2' and c:'3')"],
    ['(project_id:%(project_id)s)', 'project_id:%(project_id)s'],
    ['@ or !', '(@ or !)'],
    ['rule:admin_api', 'rule:admin_api'],
    ["project_id:'my project'", "project_id:'my project'"],
    ["'p1':%(project_id)s", "'p1':%(project_id)s"],
    ['user_id:x-%(user_id)s-%%', 'user_id:x-%(user_id)s-%%'],
  ];
  for (const [src, expected] of cases) {
    await t.test(src, () => assert.equal(stringify(parse(src)), expected));
  }
});

test('evaluation table', async (t) => {
  const cases: Array<{ src: string; creds: Credentials; expected: boolean; tgt?: Target }> = [
    { src: '', creds: member, expected: true },
    { src: '   ', creds: member, expected: true },
    { src: '@', creds: member, expected: true },
    { src: '!', creds: admin, expected: false },
    { src: 'role:member', creds: member, expected: true },
    { src: 'role:MEMBER', creds: member, expected: true },
    { src: 'role:admin', creds: admin, expected: true }, // creds role is "Admin"
    { src: 'role:admin', creds: member, expected: false },
    { src: "role:'reader'", creds: member, expected: true },
    { src: 'role:%(role)s', creds: member, expected: true, tgt: { role: 'Reader' } },
    { src: 'role:%(role)s', creds: member, expected: false, tgt: {} },
    { src: 'is_admin:True', creds: admin, expected: true },
    { src: 'is_admin:True', creds: member, expected: false },
    { src: 'is_admin:False', creds: member, expected: true },
    { src: 'is_admin:False', creds: admin, expected: false },
    { src: 'is_admin:%(flag)s', creds: admin, expected: true },
    { src: 'is_admin:%(flag)s', creds: member, expected: false },
    { src: 'is_admin:yes', creds: admin, expected: false },
    { src: 'project_id:%(project_id)s', creds: member, expected: true },
    { src: 'project_id:%(project_id)s', creds: admin, expected: false },
    { src: 'project_id:%(missing)s', creds: member, expected: false },
    { src: 'project_id:%(empty)s', creds: member, expected: false },
    { src: 'user_id:%(user_id)s', creds: member, expected: true },
    { src: 'project_id:p1', creds: member, expected: true },
    { src: "project_id:'p1'", creds: member, expected: true },
    { src: 'project_id:"p1"', creds: member, expected: true },
    { src: 'project_id:p2', creds: member, expected: false },
    { src: "project_id:'%(project_id)s'", creds: member, expected: false }, // quoted => literal, no substitution
    { src: 'project_id:%(user_id)s', creds: member, expected: false },
    { src: 'user_id:u%(suffix)s', creds: member, expected: true, tgt: { suffix: '1' } },
    { src: 'roles:reader', creds: member, expected: true }, // generic check against a list
    { src: 'roles:Reader', creds: member, expected: false }, // generic checks are case-sensitive
    { src: 'no_such_cred:x', creds: member, expected: false },
    { src: "'p1':%(project_id)s", creds: admin, expected: true }, // literal key
    { src: "'p2':%(project_id)s", creds: admin, expected: false },
    { src: 'role:admin or project_id:%(project_id)s', creds: member, expected: true },
    { src: 'role:admin and project_id:%(project_id)s', creds: member, expected: false },
    { src: 'not role:admin', creds: member, expected: true },
    { src: 'not role:admin', creds: admin, expected: false },
    { src: 'not role:admin and role:member', creds: member, expected: true },
    { src: 'not (role:admin or role:member)', creds: member, expected: false },
    { src: 'role:admin or role:reader and not role:member', creds: member, expected: false },
    { src: '(role:admin or role:reader) and not role:member', creds: member, expected: false },
    { src: 'role:admin or (role:reader and not role:nobody)', creds: member, expected: true },
    { src: '! or @ and @', creds: member, expected: true },
    { src: '(! or @) and !', creds: member, expected: false },
    { src: 'rule:unknown', creds: admin, expected: false },
    { src: 'rule:unknown or @', creds: admin, expected: true },
  ];
  for (const c of cases) {
    await t.test(`${JSON.stringify(c.src)} as ${c.creds.user_id}`, () => {
      assert.equal(check(c.src, c.tgt ?? target, c.creds), c.expected);
    });
  }
});

test('syntax errors throw PolicySyntaxError with a position', async (t) => {
  const bad = [
    'role:admin and',
    'and role:admin',
    'or',
    'not',
    '(role:admin',
    'role:admin)',
    '()',
    'role:admin role:member',
    'role:admin or or role:member',
    'foo',
    'True',
    'role:',
    ':admin',
    'project_id:%(project_id',
    'project_id:%(project_id)d',
    'project_id:%()s',
    'project_id:50%',
    "role:'admin",
    "project_id:a'b'",
    'role:a(b)',
    'rule:%(x)s',
    '@ @',
    ')(',
  ];
  for (const src of bad) {
    await t.test(JSON.stringify(src), () => {
      assert.throws(
        () => parse(src),
        (err: unknown) => {
          assert.ok(err instanceof PolicySyntaxError, `expected PolicySyntaxError, got ${String(err)}`);
          assert.equal(err.name, 'PolicySyntaxError');
          assert.equal(err.checkStr, src);
          assert.ok(err.position >= 0 && err.position <= src.length);
          assert.match(err.message, /at position \d+ in check string/);
          return true;
        },
      );
    });
  }
});

test('syntax error messages are specific', () => {
  assert.throws(() => parse('(role:admin'), /unclosed '\(' opened at position 0/);
  assert.throws(() => parse('role:admin)'), /unbalanced '\)'/);
  assert.throws(() => parse('role:admin and'), /expected a check or '\('.*position 14/);
  assert.throws(() => parse('foo'), /check "foo" is not "@", "!" or KIND:VALUE/);
  assert.throws(() => parse('role:'), /missing value after ':'/);
});

test('withRule annotates rule name and source', () => {
  try {
    parse('role:admin and');
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof PolicySyntaxError);
    const annotated = err.withRule('my:rule', '/etc/stratus/policy.yaml');
    assert.equal(annotated.ruleName, 'my:rule');
    assert.equal(annotated.position, err.position);
    assert.match(annotated.message, /^\/etc\/stratus\/policy\.yaml: rule "my:rule": /);
  }
});

test('a good string parses', () => {
  assert.doesNotThrow(() => parse('rule:a or (role:b and not c:%(d)s)'));
});

test('AST is cached per check string', () => {
  const a = parse('role:member and project_id:%(project_id)s');
  const b = parse('role:member and project_id:%(project_id)s');
  assert.equal(a, b);
  assert.notEqual(parse('role:member'), parse('role:reader'));
});

test('rule references', async (t) => {
  const rules: Record<string, string> = {
    is_member: 'role:member',
    owner: 'project_id:%(project_id)s',
    member_owner: 'rule:is_member and rule:owner',
    self: 'rule:self',
    self_or_any: 'rule:self_or_any or @',
    ping: 'rule:pong',
    pong: 'rule:ping',
    ping_or_member: 'rule:pong or role:member',
    twice: 'rule:twice or rule:twice or rule:twice',
    dangling: 'rule:nowhere',
  };
  const resolve = resolverFor(rules);
  const cases: Array<[string, boolean]> = [
    ['rule:is_member', true],
    ['rule:member_owner', true],
    ['not rule:member_owner', false],
    ['rule:self', false],
    ['rule:self_or_any', true],
    ['rule:ping', false],
    ['rule:ping_or_member', true],
    ['rule:twice', false],
    ['rule:dangling', false],
    ['not rule:dangling', true],
  ];
  for (const [src, expected] of cases) {
    await t.test(src, () => assert.equal(check(src, target, member, resolve), expected));
  }
});

test('rule chains deeper than MAX_RULE_DEPTH evaluate to false, shorter ones work', () => {
  const chain = (n: number): Record<string, string> => {
    const rules: Record<string, string> = { r0: '@' };
    for (let i = 1; i <= n; i++) rules[`r${i}`] = `rule:r${i - 1}`;
    return rules;
  };
  const ok = chain(MAX_RULE_DEPTH - 1);
  assert.equal(check(`rule:r${MAX_RULE_DEPTH - 1}`, target, member, resolverFor(ok)), true);
  const deep = chain(MAX_RULE_DEPTH + 5);
  assert.equal(check(`rule:r${MAX_RULE_DEPTH + 5}`, target, member, resolverFor(deep)), false);
});

test('evaluate treats activeRule as already in progress', () => {
  const node: PolicyNode = parse('rule:me or role:member');
  const resolve = resolverFor({ me: 'rule:me or role:member' });
  assert.equal(evaluate(node, target, member, resolve, 'me'), true);
  assert.equal(evaluate(parse('rule:me'), target, member, resolve, 'me'), false);
});
