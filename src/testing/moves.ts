/**
 * What the tests of the moves (resize, cold and live migration, evacuate) share against a
 * `TestCloud` with in-process agents: the server action call, the migration rows, the
 * status/vm_state/task_state triple, the fake driver of a node, settling every agent, and holding
 * all of them so the states the API leaves are visible.
 */
import type { FakeDriver } from '../drivers/fake/fake.driver.js';
import type { Persona, TestCloud } from './kit.js';

/** `POST /v2.1/servers/{id}/action`, as `defaultAs` unless the test names another persona. */
export const serverActionAs =
  (defaultAs: Persona) =>
  (cloud: TestCloud, id: string, body: unknown, as: Persona = defaultAs, mv?: string) =>
    cloud.request('POST', `/v2.1/servers/${id}/action`, { as, body, mv });

/** The server's migration rows, oldest first (straight from the database). */
export const migrationsOf = (cloud: TestCloud, id: string) =>
  cloud.stack.deps.db.selectFrom('migrations').selectAll().where('server_id', '=', id).orderBy('id').execute();

/** Nova's fault body `{"<key>": {"code": N, "message": "..."}}`. */
export const novaFault = (key: string, code: number, message: string) => ({ [key]: { code, message } });

/** [status, OS-EXT-STS:vm_state, OS-EXT-STS:task_state] of the server. */
export async function vmTask(cloud: TestCloud, id: string): Promise<unknown[]> {
  const s = (await cloud.server(id)).body.server;
  return [s.status, s['OS-EXT-STS:vm_state'], s['OS-EXT-STS:task_state']];
}

/** The fake driver of agent `i`. */
export const fakeDriver = (cloud: TestCloud, i = 0) => cloud.stack.agents[i].driver as FakeDriver;

/** Every agent until none has work: a node's half of a move hands the next half to another node. */
export async function settle(cloud: TestCloud, rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await cloud.drain();
}

/** Runs `fn` while no agent takes work (an injected lease hang), so the states the API leaves are visible. */
export async function held<T>(cloud: TestCloud, fn: () => Promise<T>): Promise<T> {
  for (const a of cloud.stack.agents)
    await cloud.request('POST', '/stratus/v1/faults', {
      as: 'admin',
      body: { fault: { host: a.host, operation: 'lease', mode: 'hang' } },
    });
  try {
    return await fn();
  } finally {
    await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
  }
}
