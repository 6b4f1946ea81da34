import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planGroupPlacement } from './server-groups.js';

const ranked = ['a', 'b', 'c'];

test('anti-affinity: one member per host, none left is no host', () => {
  assert.deepEqual(planGroupPlacement('anti-affinity', {}, [], ranked, 3), ['a', 'b', 'c']);
  assert.deepEqual(planGroupPlacement('anti-affinity', {}, ['a'], ranked, 2), ['b', 'c']);
  assert.equal(planGroupPlacement('anti-affinity', {}, ['a', 'b'], ranked, 2), null);
  assert.equal(planGroupPlacement('anti-affinity', {}, [], [], 1), null);
});

test('anti-affinity: max_server_per_host allows up to N on a host', () => {
  assert.deepEqual(planGroupPlacement('anti-affinity', { max_server_per_host: 2 }, ['a'], ['a', 'b'], 3), [
    'a',
    'b',
    'b',
  ]);
  assert.equal(planGroupPlacement('anti-affinity', { max_server_per_host: 2 }, ['a', 'a', 'b'], ['a', 'b'], 2), null);
});

test('affinity: all on the members host, or the best host for the first', () => {
  assert.deepEqual(planGroupPlacement('affinity', {}, [], ranked, 3), ['a', 'a', 'a']);
  assert.deepEqual(planGroupPlacement('affinity', {}, ['c', null], ranked, 1), ['c']);
  assert.equal(planGroupPlacement('affinity', {}, ['z'], ranked, 1), null);
});

test('soft policies prefer but never fail', () => {
  assert.deepEqual(planGroupPlacement('soft-affinity', {}, ['z'], ranked, 1), ['a']);
  assert.deepEqual(planGroupPlacement('soft-affinity', {}, ['b'], ranked, 2), ['b', 'b']);
  assert.deepEqual(planGroupPlacement('soft-anti-affinity', {}, ['a'], ['a', 'b'], 3), ['b', 'a', 'b']);
  assert.deepEqual(planGroupPlacement('soft-anti-affinity', {}, ['a', 'b'], ['a', 'b'], 1), ['a']);
  assert.equal(planGroupPlacement('soft-affinity', {}, [], [], 1), null);
});
