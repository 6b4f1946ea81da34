import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPools, defaultPools, hostAddress, parseCidr, rangeText, toPools } from './ipv4.js';

test('parseCidr turns an address with a prefix into its network, refuses the rest', () => {
  assert.equal(parseCidr('10.0.0.5/24')?.text, '10.0.0.0/24');
  assert.equal(parseCidr('19.86.0.0/24')?.last, parseCidr('19.86.0.255/32')?.first);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.256/24', 'x/24', '10.0.0.0/24/1', '::/64'])
    assert.equal(parseCidr(bad), null, bad);
});

test('defaultPools: the cidr minus network, broadcast and gateway (Neutron generate_pools)', () => {
  const c = parseCidr('10.0.0.0/24')!;
  assert.deepEqual(toPools(defaultPools(c, '10.0.0.1')), [{ start: '10.0.0.2', end: '10.0.0.254' }]);
  assert.deepEqual(toPools(defaultPools(c, null)), [{ start: '10.0.0.1', end: '10.0.0.254' }]);
  assert.deepEqual(toPools(defaultPools(c, '10.0.0.100')), [
    { start: '10.0.0.1', end: '10.0.0.99' },
    { start: '10.0.0.101', end: '10.0.0.254' },
  ]);
  assert.deepEqual(toPools(defaultPools(c, '192.168.0.1')), [{ start: '10.0.0.1', end: '10.0.0.254' }]);
  assert.deepEqual(toPools(defaultPools(parseCidr('10.0.0.0/30')!, '10.0.0.1')), [
    { start: '10.0.0.2', end: '10.0.0.2' },
  ]);
  assert.deepEqual(toPools(defaultPools(parseCidr('10.0.0.4/31')!, null)), [{ start: '10.0.0.4', end: '10.0.0.5' }]);
});

test('checkPools: invalid, out of bounds and overlapping pools', () => {
  const c = parseCidr('10.0.0.0/24')!;
  assert.deepEqual(checkPools(c, [{ start: '10.0.0.9', end: '10.0.0.2' }]), {
    problem: { kind: 'invalid', pool: { start: '10.0.0.9', end: '10.0.0.2' } },
  });
  const oob = checkPools(c, [{ start: '10.0.0.0', end: '10.0.0.5' }]);
  assert.ok(
    'problem' in oob && oob.problem.kind === 'out-of-bounds' && rangeText(oob.problem.range) === '10.0.0.0-10.0.0.5',
  );
  const ov = checkPools(c, [
    { start: '10.0.0.10', end: '10.0.0.20' },
    { start: '10.0.0.2', end: '10.0.0.10' },
  ]);
  assert.ok('problem' in ov && ov.problem.kind === 'overlap' && rangeText(ov.problem.a) === '10.0.0.2-10.0.0.10');
  assert.ok('ranges' in checkPools(c, [{ start: '10.0.0.2', end: '10.0.0.254' }]));
});

test('hostAddress: not the network nor the broadcast address', () => {
  const c = parseCidr('10.0.0.0/24')!;
  assert.equal(hostAddress(c, c.first), false);
  assert.equal(hostAddress(c, c.last), false);
  assert.equal(hostAddress(c, c.first + 1), true);
  assert.equal(hostAddress(c, c.last + 1), false);
});
