import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasSecrets, withoutSecrets } from './task-secrets.js';

test('withoutSecrets drops the password and keeps the rest; unreadable payloads become {}', () => {
  assert.equal(withoutSecrets('{"actionId":"a","password":"p"}'), '{"actionId":"a"}');
  assert.equal(withoutSecrets('{"actionId":"a"}'), '{"actionId":"a"}');
  assert.equal(withoutSecrets('[1]'), '[1]');
  assert.equal(withoutSecrets('{"password":'), '{}');
  assert.equal(hasSecrets('{"password":"p"}'), true);
  assert.equal(hasSecrets('{"a":1}'), false);
});
