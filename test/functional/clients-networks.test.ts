/**
 * Functional test of networks, subnets, routers and network quotas with the stock openstack CLI
 * (/usr/bin/openstack) against `stratus serve`: `network create/delete`, `subnet create
 * --subnet-range --allocation-pool`, `router create`, `router set --external-gateway public`,
 * `router add/remove subnet`, `quota set --networks` / `quota show`, and `server create --nic
 * net-id=<new network>` landing an address from the pool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FLAVOR,
  IMAGE,
  OPENSTACK_SKIP as skip,
  TEST_TIMEOUT_MS,
  useOpenstackCli,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-networks' });

test('network, subnet with a pool, router with gateway and interface, server on the new network', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const net = await cli.json('stratus-demo', ['network', 'create', 'cli-net']);
  assert.equal(net.name, 'cli-net');
  const sub = await cli.json('stratus-demo', [
    'subnet',
    'create',
    '--network',
    'cli-net',
    '--subnet-range',
    '192.168.50.0/24',
    '--allocation-pool',
    'start=192.168.50.100,end=192.168.50.110',
    'cli-subnet',
  ]);
  assert.equal(sub.cidr, '192.168.50.0/24');
  assert.equal(sub.gateway_ip, '192.168.50.1');
  const router = await cli.json('stratus-demo', ['router', 'create', 'cli-router']);
  assert.equal(router.name, 'cli-router');
  await cli.ok('stratus-demo', ['router', 'set', '--external-gateway', 'public', 'cli-router']);
  await cli.ok('stratus-demo', ['router', 'add', 'subnet', 'cli-router', 'cli-subnet']);
  const shown = await cli.json('stratus-demo', ['router', 'show', 'cli-router']);
  assert.match(JSON.stringify(shown.external_gateway_info), /172\.24\.4\./);
  const ports = await cli.json<Array<Record<string, unknown>>>('stratus-demo', [
    'port',
    'list',
    '--router',
    'cli-router',
  ]);
  assert.match(JSON.stringify(ports), /192\.168\.50\.1'|192\.168\.50\.1"/);

  const server = await cli.json('stratus-demo', [
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--image',
    IMAGE,
    '--nic',
    `net-id=${net.id}`,
    '--wait',
    'cli-net-server',
  ]);
  const s = await cli.json('stratus-demo', ['server', 'show', server.id]);
  assert.match(JSON.stringify(s.addresses), /192\.168\.50\.10\d|192\.168\.50\.110/);

  const busy = await cli.osc('stratus-demo', ['network', 'delete', 'cli-net']);
  assert.notEqual(busy.code, 0, cli.describe(busy));
  await cli.ok('stratus-demo', ['server', 'delete', '--wait', server.id]);
  await cli.ok('stratus-demo', ['router', 'remove', 'subnet', 'cli-router', 'cli-subnet']);
  await cli.ok('stratus-demo', ['router', 'delete', 'cli-router']);
  await cli.ok('stratus-demo', ['network', 'delete', 'cli-net']);
  const left = await cli.json<Array<Record<string, unknown>>>('stratus-demo', ['network', 'list', '--name', 'cli-net']);
  assert.deepEqual(left, []);
});

test('quota set --networks / quota show; the limit is enforced', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await cli.ok('stratus-admin', ['quota', 'set', '--networks', '1', 'alt_demo']);
  const q = await cli.json('stratus-admin', ['quota', 'show', 'alt_demo']);
  assert.equal(q.networks, 1);
  await cli.ok('stratus-alt', ['network', 'create', 'alt-one']);
  const over = await cli.osc('stratus-alt', ['network', 'create', 'alt-two']);
  assert.notEqual(over.code, 0, cli.describe(over));
  assert.match(over.stderr, /Quota exceeded for resources: \['network'\]/);
  await cli.ok('stratus-alt', ['network', 'delete', 'alt-one']);
  await cli.ok('stratus-admin', ['quota', 'set', '--networks', '100', 'alt_demo']);
});
