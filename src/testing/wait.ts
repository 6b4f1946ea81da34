import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `fn` every `pollMs` until it returns something other than undefined, and resolves to
 * that; past `ms` it fails naming `what`. For tests that watch a spawned Stratus from outside,
 * where no task runner can be drained.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30000, pollMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}
