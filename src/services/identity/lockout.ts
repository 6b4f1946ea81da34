/**
 * Failed password logins counted per (user, source address), in memory, per API process.
 *
 * On purpose not Keystone's per-account lockout ([security_compliance] lockout_failure_attempts
 * disables the user): counted per account alone, anyone who knows a user name could lock that
 * user out — the admin included — from anywhere. Keyed by the source address too, a guesser
 * only locks out itself, and the account keeps working from everywhere else.
 *
 * In memory and bounded: at most `max` pairs are remembered, least recently used evicted
 * first, so a flood of invented user names cannot exhaust memory. Each API process counts on
 * its own (N processes allow N × attempts in the worst case); a restart forgets.
 */
export class LoginThrottle {
  private failures = new Map<string, { count: number; lastMs: number }>();
  /** Attempts of a pair whose password is being checked (bounded by the requests in flight). */
  private pending = new Map<string, { count: number; waiters: Array<() => void> }>();

  /** attempts 0: off. */
  constructor(
    private attempts: number,
    private durationMs: number,
    private max = 10000,
  ) {}

  /** True while `key` has had `attempts` failures, the last one less than the duration ago. */
  locked(key: string, nowMs: number): boolean {
    if (this.attempts === 0) return false;
    const e = this.failures.get(key);
    if (!e) return false;
    if (nowMs - e.lastMs >= this.durationMs) {
      this.failures.delete(key);
      return false;
    }
    return e.count >= this.attempts;
  }

  failed(key: string, nowMs: number): void {
    if (this.attempts === 0) return;
    const e = this.failures.get(key);
    // Failures count within one window: an older streak than the duration starts over.
    const count = e && nowMs - e.lastMs < this.durationMs ? e.count + 1 : 1;
    this.failures.delete(key); // re-inserted last: the Map's order is the LRU order
    if (this.failures.size >= this.max) this.failures.delete(this.failures.keys().next().value as string);
    this.failures.set(key, { count, lastMs: nowMs });
  }

  /**
   * Runs one login attempt of `key` through the throttle: 'locked' without calling `check`, or
   * the check's outcome, counted. Parallel attempts are only held back when, counting the ones
   * still being checked, they could reach the limit: they then wait for those to settle and
   * decide again. So a burst of right passwords all succeed, and a burst of guesses cannot run
   * more checks than the limit allows.
   */
  async attempt(key: string, now: () => number, check: () => Promise<boolean>): Promise<'ok' | 'failed' | 'locked'> {
    if (this.attempts === 0) return (await check()) ? 'ok' : 'failed';
    for (;;) {
      if (this.locked(key, now())) return 'locked';
      const inFlight = this.pending.get(key);
      if (!inFlight || this.failuresOf(key, now()) + inFlight.count < this.attempts) break;
      await new Promise<void>((resolve) => inFlight.waiters.push(resolve));
    }
    const entry = this.pending.get(key) ?? { count: 0, waiters: [] };
    entry.count++;
    this.pending.set(key, entry);
    try {
      const ok = await check();
      if (ok) this.succeeded(key);
      else this.failed(key, now());
      return ok ? 'ok' : 'failed';
    } finally {
      entry.count--;
      if (entry.count === 0) this.pending.delete(key);
      for (const wake of entry.waiters.splice(0)) wake();
    }
  }

  private failuresOf(key: string, nowMs: number): number {
    const e = this.failures.get(key);
    return e && nowMs - e.lastMs < this.durationMs ? e.count : 0;
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }

  get size(): number {
    return this.failures.size;
  }
}
