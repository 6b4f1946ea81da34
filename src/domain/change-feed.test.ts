import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advanceFeed, hasGap } from './change-feed.js';

const snap = (xmin: number, xmax: number) => ({ xmin: BigInt(xmin), xmax: BigInt(xmax) });

test('contiguous rows are all delivered; no snapshot is needed', () => {
  assert.equal(hasGap(4, [5, 6, 7]), false);
  assert.deepEqual(advanceFeed(4, [5, 6, 7], null, snap(10, 12)), { take: 3, watermark: 7, hold: null });
});

test('SQLite (no snapshot): a gap is skipped at once, its one writer commits in seq order', () => {
  assert.equal(hasGap(4, [6, 7]), true);
  assert.deepEqual(advanceFeed(4, [6, 7], null, null), { take: 2, watermark: 7, hold: null });
});

test('a gap with transactions running holds at the gap, marked with the snapshot xmax', () => {
  assert.deepEqual(advanceFeed(4, [5, 7, 8], null, snap(10, 12)), {
    take: 1,
    watermark: 5,
    hold: { upTo: 6, mark: 12n, since: 0 },
  });
});

test('the held gap fills when the late row commits: delivered in seq order', () => {
  const hold = { upTo: 6, mark: 12n, since: 0 };
  assert.deepEqual(advanceFeed(5, [6, 7, 8], hold, snap(11, 13)), { take: 3, watermark: 8, hold: null });
});

test('the held gap is skipped once every transaction running at its first sighting ended', () => {
  const hold = { upTo: 6, mark: 12n, since: 0 };
  // Still one running from before the mark (xmin 11 < 12): hold.
  assert.deepEqual(advanceFeed(5, [7, 8], hold, snap(11, 15)), { take: 0, watermark: 5, hold });
  // Newer transactions (13, 14) do not matter: xmin reached the mark.
  assert.deepEqual(advanceFeed(5, [7, 8], hold, snap(12, 15)), { take: 2, watermark: 8, hold: null });
});

test('no transaction running at the first sighting: the gap is permanent at once', () => {
  assert.deepEqual(advanceFeed(4, [6], null, snap(12, 12)), { take: 1, watermark: 6, hold: null });
});

test('a second gap later in the page gets its own mark', () => {
  const step = advanceFeed(4, [5, 6, 9], null, snap(20, 21));
  assert.deepEqual(step, { take: 2, watermark: 6, hold: { upTo: 8, mark: 21n, since: 0 } });
});

test('an empty page keeps the hold', () => {
  const hold = { upTo: 6, mark: 12n, since: 0 };
  assert.deepEqual(advanceFeed(5, [], hold, null), { take: 0, watermark: 5, hold });
});

test('a gap the snapshot cannot prove permanent (a long transaction elsewhere) is skipped after maxHoldMs', () => {
  const first = advanceFeed(4, [6], null, snap(3, 12), 1000, 5000);
  assert.deepEqual(first, { take: 0, watermark: 4, hold: { upTo: 5, mark: 12n, since: 1000 } });
  assert.deepEqual(advanceFeed(4, [6], first.hold, snap(3, 14), 5999, 5000), first);
  assert.deepEqual(advanceFeed(4, [6], first.hold, snap(3, 14), 6000, 5000), { take: 1, watermark: 6, hold: null });
});
