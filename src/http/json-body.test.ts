import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nestsDeeperThan } from './json-body.js';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

test('depth counts arrays and objects, not brackets inside strings', () => {
  assert.equal(nestsDeeperThan(nested(64), 64), false);
  assert.equal(nestsDeeperThan(nested(65), 64), true);
  assert.equal(nestsDeeperThan('{"a": {"b": [1, {"c": 2}]}}', 3), true);
  assert.equal(nestsDeeperThan('{"a": {"b": [1, {"c": 2}]}}', 4), false);
  assert.equal(nestsDeeperThan(JSON.stringify({ s: '[[[[[[{{{{' }), 1), false);
  assert.equal(nestsDeeperThan(JSON.stringify({ s: 'quote \\" then [[[[' }), 1), false);
  assert.equal(nestsDeeperThan('', 0), false);
});

test('agrees with the depth of any JSON value', () => {
  const depthOf = (v: unknown): number =>
    v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0;
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (v, max) => {
      assert.equal(nestsDeeperThan(JSON.stringify(v), max), depthOf(v) > max);
    }),
  );
});
