/**
 * Collects the items added during one event-loop turn and hands them to `run` together, at
 * most `max` at a time (the rest go to the next call, in order). The window is the turn itself,
 * as SQLite's group commit (db/dialects/transact.ts): requests read from the same I/O poll share
 * a batch, and a lone request waits no timer. At most `inFlight` batches run at once: items that
 * arrive while they do wait for one to finish and then go together, so batches grow with load
 * instead of splitting it into many small transactions.
 */
export class BatchWindow<T> {
  private queue: T[] = [];
  private scheduled = false;
  private running = 0;

  constructor(
    private readonly run: (items: T[]) => Promise<void>,
    private readonly max: number,
    private readonly inFlight = Number.POSITIVE_INFINITY,
  ) {}

  add(item: T): void {
    this.queue.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (!this.scheduled && this.running < this.inFlight) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    while (this.queue.length && this.running < this.inFlight) {
      this.running++;
      void this.run(this.queue.splice(0, this.max))
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          if (this.queue.length) this.schedule();
        });
    }
  };
}
