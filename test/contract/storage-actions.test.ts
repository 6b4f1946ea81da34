// Storage contract: instance actions and their events, the same on every dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as actions from '../../src/db/repositories/actions.repository.js';
import { T, actionRow, assertUniqueViolation, eventRow, storageSuite, uuid } from '../../src/testing/storage.js';

storageSuite('actions storage', (s) => {
  test('insertAction / listActions: newest first, ties broken by id descending, other servers excluded', async () => {
    const db = s.database.db;
    const server = uuid(1);
    await actions.insertAction(db, actionRow(uuid(1, 1), server, { start_time: T(1) }));
    await actions.insertAction(db, actionRow(uuid(1, 3), server, { start_time: T(5) }));
    await actions.insertAction(db, actionRow(uuid(1, 2), server, { start_time: T(5) }));
    await actions.insertAction(db, actionRow(uuid(1, 4), uuid(1, 99), { start_time: T(9) }));
    const rows = await actions.listActions(db, server);
    assert.deepEqual(
      rows.map((r) => r.id),
      [uuid(1, 3), uuid(1, 2), uuid(1, 1)],
    );
    assert.deepEqual(rows[2], actionRow(uuid(1, 1), server, { start_time: T(1) }), 'every column round-trips');
    assert.deepEqual(await actions.listActions(db, uuid(1, 50)), []);
  });

  test('insertAction: a duplicate id is the dialect unique violation', async () => {
    const db = s.database.db;
    await actions.insertAction(db, actionRow(uuid(2, 1), uuid(2)));
    await assertUniqueViolation(actions.insertAction(db, actionRow(uuid(2, 1), uuid(2))));
    assert.equal((await actions.listActions(db, uuid(2))).length, 1);
  });

  test('getActionByRequestId: the action of that request on that server only', async () => {
    const db = s.database.db;
    await actions.insertAction(db, actionRow(uuid(3, 1), uuid(3), { request_id: 'req-a' }));
    await actions.insertAction(db, actionRow(uuid(3, 2), uuid(3, 50), { request_id: 'req-a' }));
    assert.equal((await actions.getActionByRequestId(db, uuid(3), 'req-a'))?.id, uuid(3, 1));
    assert.equal((await actions.getActionByRequestId(db, uuid(3, 50), 'req-a'))?.id, uuid(3, 2));
    assert.equal(await actions.getActionByRequestId(db, uuid(3), 'req-b'), undefined);
  });

  test('insertEvent / listEvents: oldest first, only the action asked for; duplicates are unique violations', async () => {
    const db = s.database.db;
    const action = uuid(4, 1);
    await actions.insertAction(db, actionRow(action, uuid(4)));
    await actions.insertEvent(db, eventRow(uuid(4, 12), action, { start_time: T(3), event: 'second' }));
    await actions.insertEvent(db, eventRow(uuid(4, 11), action, { start_time: T(2), event: 'first' }));
    await actions.insertEvent(
      db,
      eventRow(uuid(4, 13), action, { start_time: T(4), event: 'failed', result: 'Error', traceback: 'tb' }),
    );
    await actions.insertEvent(db, eventRow(uuid(4, 14), uuid(4, 2), { start_time: T(1) }));
    const events = await actions.listEvents(db, action);
    assert.deepEqual(
      events.map((e) => e.event),
      ['first', 'second', 'failed'],
    );
    assert.deepEqual(
      events[2],
      eventRow(uuid(4, 13), action, { start_time: T(4), event: 'failed', result: 'Error', traceback: 'tb' }),
    );
    await assertUniqueViolation(actions.insertEvent(db, eventRow(uuid(4, 11), action)));
    assert.deepEqual(await actions.listEvents(db, uuid(4, 77)), []);
  });

  test('finishAction: sets finish_time, updated_at and the message of that action only', async () => {
    const db = s.database.db;
    await actions.insertAction(db, actionRow(uuid(5, 1), uuid(5), { start_time: T(1) }));
    await actions.insertAction(db, actionRow(uuid(5, 2), uuid(5), { start_time: T(2) }));
    await actions.finishAction(db, uuid(5, 1), T(10), 'Error');
    await actions.finishAction(db, uuid(5, 2), T(11), null);
    const [second, first] = await actions.listActions(db, uuid(5));
    assert.deepEqual(
      { finish: first.finish_time, updated: first.updated_at, message: first.message },
      { finish: T(10), updated: T(10), message: 'Error' },
    );
    assert.deepEqual(
      { finish: second.finish_time, updated: second.updated_at, message: second.message },
      { finish: T(11), updated: T(11), message: null },
    );
    await actions.finishAction(db, uuid(5, 9), T(12), null); // an unknown id changes nothing and does not fail
    assert.equal((await actions.listActions(db, uuid(5))).length, 2);
  });
});
