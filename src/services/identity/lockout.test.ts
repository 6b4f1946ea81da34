import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from './lockout.js';

test('locked after N failures within the duration, until the duration has passed since the last one', () => {
  const t = new LoginThrottle(3, 60000);
  t.failed('k', 0);
  t.failed('k', 10000);
  assert.equal(t.locked('k', 10000), false);
  t.failed('k', 20000);
  assert.equal(t.locked('k', 20000), true);
  assert.equal(t.locked('other', 20000), false);
  assert.equal(t.locked('k', 79999), true);
  assert.equal(t.locked('k', 80000), false);
  // Forgotten once the lockout is over: one more failure does not lock again.
  t.failed('k', 80000);
  assert.equal(t.locked('k', 80000), false);
});

test('failures further apart than the duration do not add up; a success resets', () => {
  const t = new LoginThrottle(2, 1000);
  t.failed('k', 0);
  t.failed('k', 1000);
  assert.equal(t.locked('k', 1000), false);
  t.succeeded('k');
  t.failed('k', 1001);
  assert.equal(t.locked('k', 1001), false);
});

test('0 attempts: off', () => {
  const t = new LoginThrottle(0, 1000);
  for (let i = 0; i < 100; i++) t.failed('k', i);
  assert.equal(t.locked('k', 100), false);
  assert.equal(t.size, 0);
});

test('bounded: the least recently failed pair is evicted first', () => {
  const t = new LoginThrottle(1, 60000, 3);
  t.failed('a', 0);
  t.failed('b', 0);
  t.failed('c', 0);
  t.failed('a', 1); // a is now the most recent
  t.failed('d', 2);
  assert.equal(t.size, 3);
  assert.equal(t.locked('b', 2), false);
  for (const k of ['a', 'c', 'd']) assert.equal(t.locked(k, 2), true, k);
});
