import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tailLog } from './console-log.js';

test("tailLog is Nova's _tail_log: pieces split on newlines, the trailing empty one counted", () => {
  const log = 'a\nb\nc\nd\n';
  assert.equal(tailLog(log, undefined), log);
  assert.equal(tailLog(log, 0), '');
  assert.equal(tailLog(log, 1), '');
  assert.equal(tailLog(log, 3), 'c\nd\n');
  assert.equal(tailLog(log, 3).split('\n').length, 3);
  assert.equal(tailLog(log, 99), log);
  assert.equal(tailLog('x\ny', 1), 'y');
  assert.equal(tailLog('', 5), '');
});
