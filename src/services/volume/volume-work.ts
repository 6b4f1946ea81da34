import type { Deps } from '../context.js';

/**
 * The volume service's asynchronous file work (Cinder's cinder-volume side: creating and
 * deleting the backing files), run after the commit of the API transaction that asked for it.
 * Kept per `Deps` so tests and shutdown can wait for it (`settleVolumeWork`).
 */
export type AfterCommit = () => Promise<void>;

const pending = new WeakMap<Deps, Set<Promise<void>>>();

/** Runs `work` in the background; a failure is logged (the work itself records `error` states). */
export function schedule(deps: Deps, work: AfterCommit | undefined): void {
  if (!work) return;
  const set = pending.get(deps) ?? new Set<Promise<void>>();
  pending.set(deps, set);
  const p: Promise<void> = Promise.resolve()
    .then(work)
    .catch((err) => deps.log.error({ err }, 'volume work failed'))
    .finally(() => set.delete(p));
  set.add(p);
}

/** Resolves once no volume work is in flight (work scheduled meanwhile included). */
export async function settleVolumeWork(deps: Deps): Promise<void> {
  const set = pending.get(deps);
  while (set && set.size > 0) await Promise.all([...set]);
}
