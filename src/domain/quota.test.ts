import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError, overQuota } from './errors.js';
import { planServerQuota, type ServerCounts } from './quota.js';

const U = -1;
const lim = (instances: number, cores: number, ram: number): ServerCounts => ({ instances, cores, ram });
const tiny = { vcpus: 1, ram: 512 };
const medium = { vcpus: 2, ram: 4096 };

const rows: Array<{
  name: string;
  limits: ServerCounts;
  used: ServerCounts;
  flavor: { vcpus: number; ram: number };
  min: number;
  max: number;
  expect: number | string;
}> = [
  {
    name: 'all unlimited',
    limits: lim(U, U, U),
    used: lim(900, 900, 1e6),
    flavor: tiny,
    min: 1,
    max: 1000,
    expect: 1000,
  },
  { name: 'fits exactly', limits: lim(3, U, U), used: lim(2, 2, 1024), flavor: tiny, min: 1, max: 1, expect: 1 },
  {
    name: 'instances full',
    limits: lim(2, U, U),
    used: lim(2, 2, 1024),
    flavor: tiny,
    min: 1,
    max: 1,
    expect: 'Quota exceeded for instances: Requested 1, but already used 2 of 2 instances',
  },
  {
    name: 'range shrinks to what fits',
    limits: lim(5, U, U),
    used: lim(3, 3, 0),
    flavor: tiny,
    min: 1,
    max: 4,
    expect: 2,
  },
  {
    name: 'range below min',
    limits: lim(5, U, U),
    used: lim(3, 3, 0),
    flavor: tiny,
    min: 3,
    max: 4,
    expect: 'Quota exceeded for instances: Requested 3-4, but already used 3 of 5 instances',
  },
  {
    name: 'cores bound the range',
    limits: lim(U, 7, U),
    used: lim(1, 2, 0),
    flavor: medium,
    min: 1,
    max: 4,
    expect: 2,
  },
  {
    name: 'cores and ram both named, sorted',
    limits: lim(U, 3, 4096),
    used: lim(1, 2, 4096),
    flavor: medium,
    min: 1,
    max: 1,
    expect: 'Quota exceeded for cores, ram: Requested 2, 4096, but already used 2, 4096 of 3, 4096 cores, ram',
  },
  {
    name: 'forced below usage: nothing fits',
    limits: lim(1, U, U),
    used: lim(2, 2, 0),
    flavor: tiny,
    min: 1,
    max: 1,
    expect: 'Quota exceeded for instances: Requested 1, but already used 2 of 1 instances',
  },
  {
    name: 'a zero limit',
    limits: lim(U, U, 0),
    used: lim(0, 0, 0),
    flavor: tiny,
    min: 1,
    max: 2,
    expect: 'Quota exceeded for ram: Requested 1024, but already used 0 of 0 ram',
  },
];

for (const r of rows)
  test(`planServerQuota: ${r.name}`, () => {
    if (typeof r.expect === 'number') assert.equal(planServerQuota(r.limits, r.used, r.flavor, r.min, r.max), r.expect);
    else
      assert.throws(
        () => planServerQuota(r.limits, r.used, r.flavor, r.min, r.max),
        (e: unknown) => e instanceof DomainError && e.kind === 'forbidden' && e.message === r.expect,
      );
  });

test("overQuota speaks each resource's Nova exception", () => {
  const msg = (resource: string, limit = 3) => overQuota({ resource, requested: 1, used: limit, limit }).message;
  assert.equal(msg('key_pairs'), 'Quota exceeded, too many key pairs.');
  assert.equal(msg('server_groups'), 'Quota exceeded, too many server groups.');
  assert.equal(msg('server_group_members'), 'Quota exceeded, too many servers in group');
  assert.equal(msg('metadata_items', 128), 'Maximum number of metadata items exceeds 128');
  assert.equal(msg('cores', 4), 'Quota exceeded for cores: Requested 1, but already used 4 of 4 cores');
  assert.equal(overQuota({ resource: 'key_pairs', requested: 1, used: 3, limit: 3 }).kind, 'forbidden');
});
