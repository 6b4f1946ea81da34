// The storage contract covers every function of the repositories it names: a function added to
// one of them without a contract case (run on both dialects) fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORIES = [
  'actions',
  'block-devices',
  'catalog',
  'consoles',
  'faults',
  'flavors',
  'floating-ips',
  'identity',
  'interfaces',
  'keypairs',
  'migrations',
  'network',
  'network-quotas',
  'quotas',
  'routers',
  'security-groups',
  'server-groups',
  'server-passwords',
  'server-changes',
  'servers',
  'shelve',
  'services',
  'task-steps',
  'tasks',
  'usage',
  'volumes',
];

test('every exported repository function is called by a storage contract case', async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const suites = readdirSync(here)
    .filter((f) => /^storage-.*\.test\.js$/.test(f))
    .map((f) => readFileSync(join(here, f), 'utf8'))
    .join('\n');
  const missing: string[] = [];
  for (const repo of REPOSITORIES) {
    const mod = (await import(`../../src/db/repositories/${repo}.repository.js`)) as Record<string, unknown>;
    const functions = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    assert.ok(functions.length > 0, `${repo}: no functions found`);
    // The suites import each repository as a namespace named after it (`import * as servers …`).
    // (camelCase for a hyphenated name: server-groups → serverGroups).
    const ns = repo.replace(/-(.)/g, (_, c: string) => c.toUpperCase());
    for (const fn of functions) if (!new RegExp(`\\b${ns}\\.${fn}\\(`).test(suites)) missing.push(`${repo}.${fn}`);
  }
  assert.deepEqual(missing, [], 'add a case to test/contract/storage-<repository>.test.ts for each');
});
