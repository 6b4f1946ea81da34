import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.js';
import { StepRecorder, stepRows } from './task-steps.js';

test('StepRecorder: steps in the order they began, with their finish, result and message', async () => {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00.000Z'));
  const r = new StepRecorder(clock, 'h1');
  const outer = r.begin('task.leased');
  clock.advance(5);
  assert.equal(
    await r.span(
      'driver.destroy',
      async () => {
        clock.advance(10);
        return 2;
      },
      (n) => `${n} ports`,
    ),
    2,
  );
  await assert.rejects(
    r.span('ports.released', async () => {
      clock.advance(1);
      throw new Error('boom');
    }),
    /boom/,
  );
  const mark = r.length;
  r.point('deleted');
  r.rewind(mark); // a transaction that ran again
  r.point('deleted', 'again');
  outer.end();
  outer.fail(new Error('late')); // a step finishes once
  const steps = r.list();
  assert.deepEqual(
    steps.map((s) => [s.step, s.startedAt.slice(17), s.finishedAt?.slice(17), s.result, s.message, s.host]),
    [
      ['task.leased', '00.000Z', '00.016Z', 'ok', null, 'h1'],
      ['driver.destroy', '00.005Z', '00.015Z', 'ok', '2 ports', 'h1'],
      ['ports.released', '00.015Z', '00.016Z', 'error', 'boom', 'h1'],
      ['deleted', '00.016Z', '00.016Z', 'ok', 'again', 'h1'],
    ],
  );
  const ids = {
    uuid: () => 'u',
    sortable: (() => {
      let n = 0;
      return () => `id-${n++}`;
    })(),
  };
  const rows = stepRows(steps, ids, { taskId: null, serverId: 's', requestId: 'req', action: 'delete' });
  assert.deepEqual(
    rows.map((x) => [x.id, x.seq, x.task_id, x.server_id, x.request_id, x.action, x.step]),
    [
      ['id-0', 0, null, 's', 'req', 'delete', 'task.leased'],
      ['id-1', 1, null, 's', 'req', 'delete', 'driver.destroy'],
      ['id-2', 2, null, 's', 'req', 'delete', 'ports.released'],
      ['id-3', 3, null, 's', 'req', 'delete', 'deleted'],
    ],
  );
});
