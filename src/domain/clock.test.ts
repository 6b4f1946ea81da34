import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidV7 } from './clock.js';

test('uuidV7: RFC 9562 layout, and ids from later milliseconds sort after earlier ones', async () => {
  const first = uuidV7();
  assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(first.slice(0, 8) + first.slice(9, 13), 16) <= Date.now(), true);
  const ids = new Set(Array.from({ length: 1000 }, () => uuidV7()));
  assert.equal(ids.size, 1000);
  await new Promise((r) => setTimeout(r, 3));
  const later = uuidV7();
  assert.ok(later > first);
});
