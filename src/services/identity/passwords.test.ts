import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCredentials, dummyHash, hashPassword } from './passwords.js';

/** Everything of a stored scrypt hash but the salt and key: what decides how long verifying takes. */
const cost = (stored: string) => {
  const [scheme, n, r, p, , key] = stored.split('$');
  return { scheme, n, r, p, keyBytes: Buffer.from(key, 'base64').length };
};

test('checkCredentials: only an enabled user with the right password passes', async () => {
  const hash = await hashPassword('right');
  assert.equal(await checkCredentials({ password_hash: hash, enabled: 1 }, 'right'), true);
  assert.equal(await checkCredentials({ password_hash: hash, enabled: 1 }, 'wrong'), false);
  assert.equal(await checkCredentials({ password_hash: hash, enabled: 0 }, 'right'), false);
  assert.equal(await checkCredentials(undefined, 'right'), false);
  assert.equal(await checkCredentials(undefined, ''), false);
});

// No timing assertion (tests never assert timings): the unknown-user path verifies against the
// dummy hash by construction, and this pins that verifying it costs what a real hash costs.
test('the dummy hash of unknown users costs what a real hash costs, and is made once', async () => {
  const dummy = await dummyHash();
  assert.deepEqual(cost(dummy), cost(await hashPassword('anything')));
  assert.equal(await dummyHash(), dummy);
});

test('hashPassword salts every hash on its own', async () => {
  const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
  assert.notEqual(a.split('$')[4], b.split('$')[4]);
  assert.notEqual(a, b);
});
