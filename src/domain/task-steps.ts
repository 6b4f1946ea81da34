import { iso, type Clock, type Ids } from './clock.js';

/** One recorded step of the work done for a server (the timeline of issue 14). */
export interface Step {
  step: string;
  host: string | null;
  startedAt: string;
  finishedAt: string | null;
  result: 'ok' | 'error' | null;
  message: string | null;
}

/** A step begun and not finished yet: finish it once. */
export interface OpenStep {
  end(message?: string | null): void;
  fail(err: unknown): void;
}

/**
 * Keeps the steps of one task (or one API-side delete) in memory while it runs, in the order they
 * began, so they cost one multi-row insert in the transaction that completes the work.
 */
export class StepRecorder {
  private steps: Step[] = [];

  constructor(
    private readonly clock: Clock,
    readonly host: string | null,
  ) {}

  get length(): number {
    return this.steps.length;
  }

  /** Drops the steps recorded after `mark` (a transaction that runs again records them again). */
  rewind(mark: number): void {
    this.steps.length = Math.min(this.steps.length, mark);
  }

  /** A step that is over already (or a point in time: finish = start). */
  add(
    step: string,
    startedAt: string,
    finishedAt: string | null,
    result: Step['result'] = 'ok',
    message: string | null = null,
  ): void {
    this.steps.push({ step, host: this.host, startedAt, finishedAt, result, message });
  }

  begin(step: string): OpenStep {
    const s: Step = { step, host: this.host, startedAt: this.now(), finishedAt: null, result: null, message: null };
    this.steps.push(s);
    return {
      end: (message = null) => {
        if (s.finishedAt !== null) return;
        s.finishedAt = this.now();
        s.result = 'ok';
        s.message = message;
      },
      fail: (err) => {
        if (s.finishedAt !== null) return;
        s.finishedAt = this.now();
        s.result = 'error';
        s.message = ((err as Error)?.message ?? String(err)).slice(0, 1000);
      },
    };
  }

  /** Runs `work` as a step: its start, finish and whether it threw. */
  async span<T>(step: string, work: () => Promise<T>, message?: (value: T) => string | null): Promise<T> {
    const s = this.begin(step);
    try {
      const value = await work();
      s.end(message ? message(value) : null);
      return value;
    } catch (err) {
      s.fail(err);
      throw err;
    }
  }

  /** A step that happened now. */
  point(step: string, message: string | null = null): void {
    const t = this.now();
    this.add(step, t, t, 'ok', message);
  }

  /** The steps so far (copies: the recorder may go on). */
  list(): Step[] {
    return this.steps.map((s) => ({ ...s }));
  }

  private now(): string {
    return iso(this.clock.now());
  }
}

/** Whose steps these are, as stored with each of them. */
export interface StepOwner {
  taskId: string | null;
  serverId: string;
  requestId: string | null;
  action: string;
}

/** The stored form of `steps` (the task_steps rows), `seq` keeping their order. */
export function stepRows(steps: Step[], ids: Ids, owner: StepOwner) {
  return steps.map((s, seq) => ({
    id: ids.sortable(),
    task_id: owner.taskId,
    server_id: owner.serverId,
    request_id: owner.requestId,
    action: owner.action,
    step: s.step,
    seq,
    host: s.host,
    started_at: s.startedAt,
    finished_at: s.finishedAt,
    result: s.result,
    message: s.message,
  }));
}
