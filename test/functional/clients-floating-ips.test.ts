/**
 * Functional test of floating IPs with the stock openstack CLI (/usr/bin/openstack) against
 * `stratus serve`: `floating ip create public`, `server add floating ip`, the address in
 * `server show`, `floating ip list`, `server remove floating ip`, `server delete` leaving the
 * floating IP free (no port, no fixed IP), `floating ip delete`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT, OPENSTACK_SKIP as skip, TEST_TIMEOUT_MS, useOpenstackCli } from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-floating-ips' });

test('floating ip create, server add/remove floating ip, server delete frees it, floating ip delete', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const fip = await cli.json('stratus-demo', ['floating', 'ip', 'create', 'public']);
  const address = fip.floating_ip_address as string;
  assert.match(address, /^172\.24\.4\.\d+$/);
  assert.equal(fip.status, 'DOWN');
  const s = await cli.json('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'cli-fip']);
  await cli.ok('stratus-demo', ['server', 'add', 'floating', 'ip', s.id, address]);
  let shown = await cli.json('stratus-demo', ['server', 'show', s.id]);
  assert.match(JSON.stringify(shown.addresses), new RegExp(address.replace(/\./g, '\\.')), JSON.stringify(shown));
  let list = await cli.json<Array<Record<string, unknown>>>('stratus-demo', ['floating', 'ip', 'list']);
  assert.equal(list.length, 1);
  assert.equal(list[0]['Floating IP Address'], address);
  assert.ok(list[0].Port, JSON.stringify(list));
  await cli.ok('stratus-demo', ['server', 'remove', 'floating', 'ip', s.id, address]);
  shown = await cli.json('stratus-demo', ['server', 'show', s.id]);
  assert.doesNotMatch(JSON.stringify(shown.addresses), new RegExp(address.replace(/\./g, '\\.')));
  // Associated again, then the server deleted: the floating IP is kept and free.
  await cli.ok('stratus-demo', ['server', 'add', 'floating', 'ip', s.id, address]);
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', s.id]);
  const free = await cli.json('stratus-demo', ['floating', 'ip', 'show', fip.id]);
  assert.deepEqual([free.port_id, free.fixed_ip_address, free.status], [null, null, 'DOWN'], JSON.stringify(free));
  await cli.ok('stratus-demo', ['floating', 'ip', 'delete', fip.id]);
  list = await cli.json<Array<Record<string, unknown>>>('stratus-demo', ['floating', 'ip', 'list']);
  assert.deepEqual(list, []);
});
