/**
 * The poll path of task delivery: an agent waits here between lease rounds until it is woken
 * (a hand-over, a NOTIFY, a finished task) or the poll interval passes, whichever comes first.
 */
export class WakeSignal {
  private pending = false;
  private resolveWait: (() => void) | null = null;

  constructor(private readonly pollMs: number) {}

  wake(): void {
    this.pending = true;
    if (this.resolveWait) {
      const r = this.resolveWait;
      this.resolveWait = null;
      r();
    }
  }

  /** Whether a wake came since the last call (a round that leased nothing goes again at once). */
  takePending(): boolean {
    const p = this.pending;
    this.pending = false;
    return p;
  }

  /** Resolves at the next wake, or after the poll interval. */
  async wait(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.resolveWait = resolve;
      timer = setTimeout(() => {
        this.resolveWait = null;
        resolve();
      }, this.pollMs);
    });
    clearTimeout(timer);
  }
}
