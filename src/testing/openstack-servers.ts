/**
 * Server steps the openstack CLI tests of the moves (resize, migrate, evacuate) share: boot a
 * server and wait for ACTIVE, poll `server show` for a status, list a server's migrations.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BOOT, type OpenstackCli } from './openstack-cli.js';

/** `server create --wait` as the demo user; the server's id, once ACTIVE. */
export async function bootServer(cli: OpenstackCli, name: string): Promise<string> {
  const created = await cli.json('stratus-demo', ['server', 'create', ...BOOT, '--wait', name]);
  assert.equal(created.status, 'ACTIVE', JSON.stringify(created));
  return created.id as string;
}

/** `server show` as `cloud`. */
export const showServer = (cli: OpenstackCli, cloud: string, id: string) => cli.json(cloud, ['server', 'show', id]);

/** Polls `server show` until the status is `want` (confirm and revert return before the node is done). */
export async function waitServerStatus(cli: OpenstackCli, cloud: string, id: string, want: string): Promise<any> {
  // Each `server show` is ~1 s of client start-up already: a short pause between them, many tries.
  for (let i = 0; i < 150; i++) {
    const s = await showServer(cli, cloud, id);
    if (s.status === want) return s;
    await sleep(100);
  }
  assert.fail(`server ${id} never reached ${want}: ${JSON.stringify(await showServer(cli, cloud, id))}`);
}

/** `server migration list --server <id>` (2.23) as admin, with any further filter. */
export const serverMigrationList = (cli: OpenstackCli, id: string, extra: string[] = []) =>
  cli.json<Array<Record<string, unknown>>>('stratus-admin', [
    '--os-compute-api-version',
    '2.23',
    'server',
    'migration',
    'list',
    '--server',
    id,
    ...extra,
  ]);
