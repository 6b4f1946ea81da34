import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BatchWindow } from './batch-window.js';

test('items added in one turn share one batch; a later turn starts another', async () => {
  const batches: number[][] = [];
  const w = new BatchWindow<number>(async (b) => {
    batches.push(b);
  }, 100);
  w.add(1);
  w.add(2);
  await Promise.resolve();
  w.add(3); // a microtask of the same turn still joins
  assert.deepEqual(batches, [], 'nothing runs before the turn ends');
  await nextTurn();
  assert.deepEqual(batches, [[1, 2, 3]]);
  w.add(4);
  await nextTurn();
  assert.deepEqual(batches, [[1, 2, 3], [4]]);
});

test('a batch holds at most `max` items, the rest follow in order', async () => {
  const batches: number[][] = [];
  const w = new BatchWindow<number>(async (b) => {
    batches.push(b);
  }, 2);
  for (let i = 1; i <= 5; i++) w.add(i);
  await nextTurn();
  assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
});

test('an item added while a batch runs goes to the next batch', async () => {
  const batches: number[][] = [];
  const w = new BatchWindow<number>(async (b) => {
    batches.push(b);
    if (b[0] === 1) w.add(9);
  }, 10);
  w.add(1);
  await nextTurn();
  await nextTurn();
  assert.deepEqual(batches, [[1], [9]]);
});

test('with one batch in flight, items arriving meanwhile wait for it and then go together', async () => {
  const batches: number[][] = [];
  let finish: () => void = () => {};
  const w = new BatchWindow<number>(
    (b) => {
      batches.push(b);
      return b[0] === 1 ? new Promise<void>((r) => (finish = r)) : Promise.resolve();
    },
    10,
    1,
  );
  w.add(1);
  await nextTurn();
  w.add(2);
  await nextTurn();
  w.add(3);
  await nextTurn();
  assert.deepEqual(batches, [[1]], 'nothing starts while the first runs');
  finish();
  await nextTurn();
  await nextTurn();
  assert.deepEqual(batches, [[1], [2, 3]]);
});

test('a batch that rejects frees its place', async () => {
  const batches: number[][] = [];
  const w = new BatchWindow<number>(
    async (b) => {
      batches.push(b);
      if (b[0] === 1) throw new Error('boom');
    },
    10,
    1,
  );
  w.add(1);
  await nextTurn();
  w.add(2);
  await nextTurn();
  await nextTurn();
  assert.deepEqual(batches, [[1], [2]]);
});
