import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaults, loadConfig } from './config.js';

test('flags win over environment, environment over file, file over defaults', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'c.yaml');
  writeFileSync(file, 'port: 1111\nhost: 127.0.0.2\nservice-down-time: 5\ndriver: process\n');
  const c = loadConfig({ port: '3333' }, { STRATUS_PORT: '2222', STRATUS_HOST: '127.0.0.3' }, file);
  assert.equal(c.port, 3333);
  assert.equal(c.host, '127.0.0.3');
  assert.equal(c.serviceDownTime, 5);
  assert.equal(c.driver, 'process');
  assert.equal(c.reclaimInstanceInterval, defaults().reclaimInstanceInterval);
});

test('bad values are refused with the option named', () => {
  assert.throws(
    () => loadConfig({ port: 'eighty' }, {}),
    (e: Error) => e instanceof ConfigError && /port/.test(e.message),
  );
  assert.throws(() => loadConfig({ driver: 'kvm' }, {}), /driver/);
  assert.throws(() => loadConfig({}, { STRATUS_AGENTS: '-1' }), /agents/);
});

test('--public-url must be a plain base URL', () => {
  for (const bad of ['ftp://x', 'not a url', 'http://x/?a=1', 'http://x/#f', 'http://user:pw@x/']) {
    assert.throws(() => loadConfig({ publicUrl: bad }, {}), ConfigError, bad);
  }
  assert.equal(
    loadConfig({ publicUrl: 'https://cloud.example:8443/base' }, {}).publicUrl,
    'https://cloud.example:8443/base',
  );
});
