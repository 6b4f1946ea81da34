import type { TasksTable } from '../db/schema.js';

export interface TaskPayload {
  actionId?: string;
  requestId?: string;
  [k: string]: unknown;
}

/** A task row, as enqueued and as leased. */
export type TaskRow = TasksTable;

/** Retry back-off: 0.5 s, 1 s, 2 s … capped at 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(30000, 500 * 2 ** Math.max(0, attempt - 1));
}
