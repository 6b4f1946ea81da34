import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaults, loadConfig } from './config.js';

test('default quotas are unlimited (-1) unless the config file or the environment sets them', () => {
  const d = defaults();
  for (const k of ['quotaInstances', 'quotaCores', 'quotaRam', 'quotaKeyPairs', 'quotaMetadataItems'] as const)
    assert.equal(d[k], -1);
  const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'c.yaml');
  writeFileSync(file, 'quota-instances: 10\nquotaCores: 20\nquota-server-group-members: -1\n');
  const c = loadConfig({}, { STRATUS_QUOTA_RAM: '51200' }, file);
  assert.equal(c.quotaInstances, 10);
  assert.equal(c.quotaCores, 20);
  assert.equal(c.quotaRam, 51200);
  assert.equal(c.quotaServerGroupMembers, -1);
});

test('a quota below -1, above 2^31-1 or not an integer is refused with the option named', () => {
  for (const v of ['-2', '2147483648', 'ten', '1.5'])
    assert.throws(
      () => loadConfig({}, { STRATUS_QUOTA_INSTANCES: v }),
      (e: Error) => e instanceof ConfigError && /quota-instances: expected an integer >= -1/.test(e.message),
      v,
    );
  // -1 stays refused for the ordinary integer options.
  assert.throws(() => loadConfig({}, { STRATUS_AGENTS: '-1' }), /agents: expected a non-negative integer/);
});
