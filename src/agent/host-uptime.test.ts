import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uptimeLine } from './host-uptime.js';

test('uptimeLine reads as uptime(1) does', () => {
  const at = new Date(2026, 11, 1, 14, 7, 36);
  assert.equal(
    uptimeLine(at, 3 * 86400 + 3 * 3600 + 29 * 60, [0.5, 0.25, 1]),
    ' 14:07:36 up 3 days,  3:29,  0 users,  load average: 0.50, 0.25, 1.00',
  );
  assert.equal(
    uptimeLine(at, 86400 + 12 * 3600 + 5 * 60, [0, 0, 0]).slice(9),
    ' up 1 day, 12:05,  0 users,  load average: 0.00, 0.00, 0.00',
  );
  assert.equal(uptimeLine(at, 7 * 60 + 3, [0, 0, 0]).slice(9), ' up 7 min,  0 users,  load average: 0.00, 0.00, 0.00');
});
