import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnLoader } from './turn-reads.js';

test('TurnLoader: the keys asked in one turn go in one fetch, duplicates once; each gets its own value', async () => {
  const fetches: string[][] = [];
  const loader = new TurnLoader<number>(async (keys) => {
    fetches.push(keys);
    return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length]));
  });
  const got = await Promise.all([loader.load('a'), loader.load('bb'), loader.load('a'), loader.load('missing')]);
  assert.deepEqual(got, [1, 2, 1, undefined]);
  assert.deepEqual(fetches, [['a', 'bb', 'missing']]);
  // a later turn is a later fetch
  assert.equal(await loader.load('ccc'), 3);
  assert.deepEqual(fetches.at(-1), ['ccc']);
});

test('TurnLoader: a failed fetch rejects every read of its batch, and the next batch runs', async () => {
  let fail = true;
  const loader = new TurnLoader<string>(async (keys) => {
    if (fail) throw new Error('connection lost');
    return new Map(keys.map((k) => [k, k]));
  });
  const results = await Promise.allSettled([loader.load('x'), loader.load('y')]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  fail = false;
  assert.equal(await loader.load('z'), 'z');
});

test('TurnLoader: at most `max` keys per fetch, and reads arriving while `inFlight` fetches run gather into the next', async () => {
  const sizes: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const loader = new TurnLoader<string>(
    async (keys) => {
      sizes.push(keys.length);
      await gate;
      return new Map(keys.map((k) => [k, k]));
    },
    3,
    1,
  );
  const first = [1, 2, 3, 4].map((i) => loader.load(`k${i}`));
  await new Promise((r) => setImmediate(r));
  const later = [5, 6].map((i) => loader.load(`k${i}`));
  release();
  assert.deepEqual(await Promise.all([...first, ...later]), ['k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
  assert.deepEqual(sizes, [3, 3]);
});
