/**
 * `npm run conformance`: the whole tempest.api.compute package against a fresh Stratus.
 * Prints the counts, every failure (with its first error line) and every skip (with its reason),
 * and writes test/conformance/results/latest.{json,md}. Exits non-zero only on a harness error:
 * a failing Tempest test is a finding.
 *
 *   node dist/test/conformance/cli.js [--regex R] [--concurrency N] [--keep] [--no-write]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import {
  conformanceRun,
  firstErrorLine,
  tempestInstalled,
  TEMPEST_BIN,
  type RunResult,
  type TestResult,
} from './tempest.js';

/** dist/test/conformance -> test/conformance/results in the source tree. */
const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'conformance', 'results');
export const FULL_REGEX = '^tempest\\.api\\.compute\\.';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Skip reasons, with how many tests (or whole classes) each one skipped. */
function skipGroups(skipped: TestResult[]): Array<{ reason: string; tests: string[] }> {
  const m = new Map<string, string[]>();
  for (const t of skipped) {
    const reason = t.reason.split('\n')[0] || '(no reason given)';
    m.set(reason, [...(m.get(reason) ?? []), t.name]);
  }
  return [...m.entries()]
    .map(([reason, tests]) => ({ reason, tests }))
    .sort((a, b) => b.tests.length - a.tests.length || a.reason.localeCompare(b.reason));
}

function markdown(r: RunResult, meta: { commit: string; date: string; regex: string }): string {
  let md = `# Tempest conformance: ${meta.regex}\n\n`;
  md += `Stratus commit ${meta.commit}, ${meta.date}, Debian tempest 1:33.0.0, ${r.seconds.toFixed(0)} s.\n\n`;
  md += `| passed | failed | skipped |\n|---|---|---|\n| ${r.passed.length} | ${r.failed.length} | ${r.skipped.length} |\n\n`;
  md += `A skip or failure of \`setUpClass (…)\` stands for a whole class.\n\n## Failed\n\n`;
  for (const t of r.failed) md += `- \`${t.name}\`: ${firstErrorLine(t.reason).replace(/\|/g, '\\|')}\n`;
  md += `\n## Skipped, by reason\n\n`;
  for (const g of skipGroups(r.skipped)) {
    md += `- **${g.reason}** (${g.tests.length})\n`;
    for (const n of g.tests) md += `  - \`${n}\`\n`;
  }
  md += `\n## Passed\n\n`;
  for (const t of r.passed) md += `- \`${t.name}\`\n`;
  return md;
}

async function main(): Promise<number> {
  if (!tempestInstalled()) {
    console.error(`harness error: ${TEMPEST_BIN} is not installed (Debian: apt-get install tempest)`);
    return 2;
  }
  const regex = arg('--regex') ?? FULL_REGEX;
  const concurrency = Number(arg('--concurrency') ?? 1);
  const write = !process.argv.includes('--no-write') && regex === FULL_REGEX;
  const date = new Date().toISOString();
  console.log(`tempest run --regex '${regex}' --concurrency ${concurrency} against a fresh Stratus…`);
  const r = await conformanceRun(
    { regex },
    {
      concurrency,
      timeoutMs: Number(arg('--timeout-min') ?? 120) * 60000,
      keep: process.argv.includes('--keep'),
      onOutput: process.argv.includes('--verbose') ? (s) => process.stdout.write(s) : undefined,
    },
  );
  if (r.timedOut) console.log('(the run hit its time limit: the counts cover what ran)');
  console.log(`\n${r.failed.length} failed:`);
  for (const t of r.failed) console.log(`  FAIL ${t.name}\n       ${firstErrorLine(t.reason)}`);
  console.log(`\n${r.skipped.length} skipped:`);
  for (const t of r.skipped) console.log(`  SKIP ${t.name}: ${t.reason.split('\n')[0]}`);
  console.log(
    `\npassed ${r.passed.length}, failed ${r.failed.length}, skipped ${r.skipped.length} (${r.seconds.toFixed(0)} s)`,
  );
  if (process.argv.includes('--keep')) console.log(`workspace kept: ${r.workspace}`);
  if (write) {
    await mkdir(RESULTS_DIR, { recursive: true });
    const meta = { commit: commit(), date, regex };
    const summary = {
      ...meta,
      tempest: '1:33.0.0',
      concurrency,
      seconds: Math.round(r.seconds),
      timedOut: r.timedOut,
      counts: { passed: r.passed.length, failed: r.failed.length, skipped: r.skipped.length },
      failed: r.failed.map((t) => ({ name: t.name, error: firstErrorLine(t.reason) })),
      skipped: r.skipped.map((t) => ({ name: t.name, reason: t.reason.split('\n')[0] })),
      passed: r.passed.map((t) => t.name),
    };
    await writeFile(join(RESULTS_DIR, 'latest.json'), JSON.stringify(summary, null, 2) + '\n');
    await writeFile(join(RESULTS_DIR, 'latest.md'), markdown(r, meta));
    console.log(`written: ${join(RESULTS_DIR, 'latest.json')} and latest.md`);
  }
  return 0;
}

// `node --test dist/test` runs every file under a test/ directory: this one is not a test.
if (!process.env.NODE_TEST_CONTEXT) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`harness error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 2;
    },
  );
}
