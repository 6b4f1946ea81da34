/**
 * Remote consoles through the stock OpenStack clients: `openstack console url show` (novnc by
 * default, --serial; --spice answered as Nova with SPICE off), and the URL it prints opens
 * Stratus' console page with the guest's console log.
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT, OPENSTACK_SKIP as skip, useOpenstackCli, TEST_TIMEOUT_MS } from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-consoles' });

test('openstack console url show: novnc and serial URLs that open the console log', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await cli.ok('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'con-1']);
  for (const [flag, type] of [
    ['--novnc', 'novnc'],
    ['--serial', 'serial'],
  ]) {
    const shown = await cli.json<Record<string, string>>('stratus-demo', ['console', 'url', 'show', flag, 'con-1']);
    assert.equal(shown.type, type);
    assert.match(shown.url, /\/stratus\/v1\/console\?token=[0-9a-f-]{36}$/);
    const page = await fetch(shown.url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<pre id="console-log">/);
    assert.match(html, /con-1/);
  }
  const spice = await cli.osc('stratus-demo', ['console', 'url', 'show', '--spice', 'con-1']);
  assert.notEqual(spice.code, 0, cli.describe(spice));
  assert.match(spice.stderr, /400.*Unavailable console type spice-html5\./, cli.describe(spice));
  // Another project's server is not found.
  const alt = await cli.osc('stratus-alt', ['console', 'url', 'show', 'con-1']);
  assert.notEqual(alt.code, 0, cli.describe(alt));
});
