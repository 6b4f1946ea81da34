/**
 * Nova's tail of a console log (nova/compute/manager.py `_tail_log`): the last `length` pieces
 * of the log split on newlines, so a log ending in a newline yields `length - 1` lines and a
 * trailing newline (Tempest counts the pieces). `undefined` is the whole log, 0 nothing.
 *
 * Pure module: no I/O.
 */
export function tailLog(log: string, length: number | undefined): string {
  if (length === undefined) return log;
  if (length <= 0) return '';
  return log.split('\n').slice(-length).join('\n');
}
