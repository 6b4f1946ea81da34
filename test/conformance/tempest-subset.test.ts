/**
 * The CI part of the Tempest conformance suite: Tempest tests Stratus passes today, against a
 * fresh Stratus, well inside 5 minutes on 2 cores. Every one of them must pass: a failure (or a
 * skip, or a test that did not run) names the test. Skipped when Debian's tempest is not
 * installed, unless CI is set: CI must run it (.ci/run installs it).
 * The whole package is `npm run conformance` (test/conformance/cli.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conformanceRun, firstErrorLine, tempestInstalled, TEMPEST_BIN } from './tempest.js';
import { CI_SUBSET } from './subset.js';

const installed = tempestInstalled();
const TIME_LIMIT_MS = 5 * 60 * 1000;

test('Tempest conformance subset (tempest.api.compute, the tests Stratus passes)', {
  timeout: TIME_LIMIT_MS,
  skip: !installed && !process.env.CI ? `${TEMPEST_BIN} is not installed (apt-get install tempest)` : false,
}, async (t) => {
  assert.ok(installed, `CI is set but ${TEMPEST_BIN} is not installed: .ci/run installs the Debian package tempest`);
  const r = await conformanceRun(
    { tests: CI_SUBSET },
    { concurrency: 1, timeoutMs: TIME_LIMIT_MS - 45000, buildTimeout: 30 },
  );
  t.diagnostic(
    `tempest: ${r.passed.length} passed, ${r.failed.length} failed, ${r.skipped.length} skipped of ${CI_SUBSET.length} chosen, ${r.seconds.toFixed(1)} s`,
  );
  const failures = r.failed.map((t) => `FAIL ${t.name}: ${firstErrorLine(t.reason)}`);
  const passed = new Set(r.passed.map((t) => t.name));
  const skipped = new Map(r.skipped.map((t) => [t.name, t.reason.split('\n')[0]]));
  for (const name of CI_SUBSET) {
    if (passed.has(name)) continue;
    if (skipped.has(name)) failures.push(`SKIP ${name}: ${skipped.get(name)}`);
    else if (!r.failed.some((t) => t.name === name)) failures.push(`DID NOT RUN ${name}`);
  }
  assert.equal(r.timedOut, false, `tempest did not finish in ${(TIME_LIMIT_MS - 45000) / 1000} s`);
  assert.deepEqual(
    failures,
    [],
    `${failures.length} of ${CI_SUBSET.length} Tempest tests did not pass:\n${failures.join('\n')}`,
  );
  assert.equal(passed.size >= CI_SUBSET.length, true);
});
