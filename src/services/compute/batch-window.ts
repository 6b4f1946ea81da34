/**
 * Collects the items added during one event-loop turn and hands them to `run` together, at
 * most `max` at a time (the rest go to the next call, in order). The window is the turn itself,
 * as SQLite's group commit (db/dialects/transact.ts): requests read from the same I/O poll share
 * a batch, and a lone request waits no timer. `run` settles its items itself; a batch already
 * running does not hold up the next one.
 */
export class BatchWindow<T> {
  private queue: T[] = [];
  private scheduled = false;

  constructor(
    private readonly run: (items: T[]) => void,
    private readonly max: number,
  ) {}

  add(item: T): void {
    this.queue.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    while (this.queue.length) this.run(this.queue.splice(0, this.max));
  };
}
