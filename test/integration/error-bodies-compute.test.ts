// PROBE (temporary)
import { after, before, test } from 'node:test';
import { TestCloud } from '../../src/testing/kit.js';

let cloud: TestCloud;
before(async () => { cloud = await TestCloud.start(); });
after(async () => { await cloud.close(); });

test('probe', async () => {
  const image = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images[0].id;
  const srv = await cloud.createServer('member');
  const missing = '5e4a2a0a-1111-4222-8333-444455556666';
  const out: Array<[string, unknown]> = [];
  const p = async (label: string, method: string, path: string, opts: Parameters<TestCloud['request']>[2]) => {
    const r = await cloud.request(method, path, opts);
    out.push([label, { status: r.status, body: r.body ?? r.text }]);
  };
  await p('svc no host', 'PUT', '/v2.1/os-services/disable', { as: 'admin', mv: '2.11', body: { binary: 'nova-compute' } });
  await p('svc no binary', 'PUT', '/v2.1/os-services/disable', { as: 'admin', mv: '2.11', body: { host: 'compute-test' } });
  await p('svc unknown host', 'PUT', '/v2.1/os-services/disable', { as: 'admin', mv: '2.11', body: { host: 'nohost', binary: 'nova-compute' } });
  await p('svc schema', 'PUT', '/v2.1/os-services/disable', { as: 'admin', mv: '2.11', body: { host: 'compute-test', binary: 'nova-compute', bogus: 1 } });
  await p('svc schema2', 'PUT', '/v2.1/os-services/force-down', { as: 'admin', mv: '2.11', body: { host: 'compute-test', binary: 'nova-compute', forced_down: 'yes' } });
  await p('svc unknown action', 'PUT', '/v2.1/os-services/frobnicate', { as: 'admin', mv: '2.11', body: { host: 'compute-test', binary: 'nova-compute' } });
  await p('svc force-down at 2.1', 'PUT', '/v2.1/os-services/force-down', { as: 'admin', mv: '2.1', body: { host: 'compute-test', binary: 'nova-compute', forced_down: true } });
  await p('action {}', 'POST', `/v2.1/servers/${srv}/action`, { as: 'member', body: {} });
  await p('action []', 'POST', `/v2.1/servers/${srv}/action`, { as: 'member', body: [] });
  await p('action two keys', 'POST', `/v2.1/servers/${srv}/action`, { as: 'member', body: { 'os-stop': null, 'os-start': null } });
  await p('resetState missing', 'POST', `/v2.1/servers/${srv}/action`, { as: 'admin', body: { 'os-resetState': {} } });
  await p('resetState bad', 'POST', `/v2.1/servers/${srv}/action`, { as: 'admin', body: { 'os-resetState': { state: 'bogus' } } });
  await p('reboot bad', 'POST', `/v2.1/servers/${srv}/action`, { as: 'member', body: { reboot: { type: 'WARM' } } });
  await p('reboot missing', 'POST', `/v2.1/servers/${srv}/action`, { as: 'member', body: { reboot: {} } });
  for (const [k, v] of [['os-stop', null], ['lock', null], ['unlock', null], ['os-getConsoleOutput', {}], ['restore', null], ['forceDelete', null]] as const) {
    await p(`404 ${k}`, 'POST', `/v2.1/servers/${missing}/action`, { as: 'member', body: { [k]: v } });
  }
  await p('reader stop', 'POST', `/v2.1/servers/${srv}/action`, { as: 'reader', body: { 'os-stop': null } });
  await p('bad networks', 'POST', '/v2.1/servers', { as: 'member', body: { server: { name: 'x', imageRef: image, flavorRef: '1', networks: [{ fixed_ip: '10.0.0.5' }] } } });
  await p('bad networks {}', 'POST', '/v2.1/servers', { as: 'member', body: { server: { name: 'x', imageRef: image, flavorRef: '1', networks: [{}] } } });
  const port = await cloud.request('POST', '/networking/v2.0/ports', { as: 'member', body: { port: { network_id: (await cloud.request('GET', '/networking/v2.0/networks?name=private', { as: 'member' })).body.networks[0].id } } });
  out.push(['port', port.status]);
  await p('port max_count', 'POST', '/v2.1/servers', { as: 'member', body: { server: { name: 'x', imageRef: image, flavorRef: '1', max_count: 2, networks: [{ port: port.body?.port?.id }] } } });
  await p('unknown port', 'POST', '/v2.1/servers', { as: 'member', body: { server: { name: 'x', imageRef: image, flavorRef: '1', networks: [{ port: missing }] } } });
  await p('max_count 1001', 'POST', '/v2.1/servers', { as: 'member', body: { server: { name: 'x', imageRef: image, flavorRef: '1', max_count: 1001 } } });
  const big = await cloud.request('POST', '/image/v2/images', { as: 'member', body: { name: 'big', min_ram: 100000, visibility: 'private' } });
  out.push(['big image', big.status]);
  await p('min_ram', 'POST', '/v2.1/servers', { as: 'member', body: { server: { name: 'x', imageRef: big.body.id, flavorRef: '1' } } });
  await p('limit', 'GET', '/v2.1/servers?limit=-1', { as: 'member' });
  await p('limit abc', 'GET', '/v2.1/servers/detail?limit=abc', { as: 'member' });
  await p('sort_dir', 'GET', '/v2.1/servers?sort_dir=up', { as: 'member' });
  await p('changes', 'GET', '/v2.1/servers?changes-since=2020-01-02T00:00:00Z&changes-before=2020-01-01T00:00:00Z', { as: 'member', mv: '2.66' });
  await p('status bogus', 'GET', '/v2.1/servers?status=BOGUS', { as: 'member', mv: '2.38' });
  await p('all_tenants', 'GET', '/v2.1/servers?all_tenants=1', { as: 'member' });
  await p('all_tenants detail', 'GET', '/v2.1/servers/detail?all_tenants=1', { as: 'member' });
  await p('options', 'OPTIONS', '/v2.1/servers', { as: 'member' });
  await p('bad url', 'GET', '/v2.1/servers/%E0%A4%A', { as: 'member' });
  // unshelve
  await p('fd', 'PUT', '/v2.1/os-services/force-down', { as: 'admin', mv: '2.11', body: { host: 'compute-test', binary: 'nova-compute', forced_down: true } });
  console.log(JSON.stringify(out, null, 1));
});
