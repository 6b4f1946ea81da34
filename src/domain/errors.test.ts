// Case names starting "B<n>" cite the rows of the behaviour table in docs/delete-server.md §7.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  DomainError,
  alreadyExists,
  databaseUnavailable,
  deletedListingForbidden,
  invalid,
  invalidState,
  invalidStateGeneric,
  invalidStatusFilter,
  noSuchAction,
  policyRefused,
  projectIdMismatch,
  serverLocked,
  serverNotFound,
  serverNotReady,
  unauthorized,
} from './errors.js';

const ID = '3f0c8a3e-6a3b-4d4e-9a37-2b7c1c1f0a11';

describe('DomainError', () => {
  it('is an Error with kind, code, message and details', () => {
    const e = new DomainError('conflict', 'X', 'msg', { a: 1 });
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'DomainError');
    assert.deepEqual([e.kind, e.code, e.message, e.details], ['conflict', 'X', 'msg', { a: 1 }]);
  });
});

describe("factories carry Nova's exact texts", () => {
  const cases: Array<[name: string, e: DomainError, kind: string, code: string, message: string]> = [
    [
      'B15/B16 server not found',
      serverNotFound(ID),
      'not-found',
      'ServerNotFound',
      `Instance ${ID} could not be found.`,
    ],
    [
      'B17 malformed id not found',
      serverNotFound('-1'),
      'not-found',
      'ServerNotFound',
      'Instance -1 could not be found.',
    ],
    ['B18 locked', serverLocked(ID), 'conflict', 'ServerLocked', `Instance ${ID} is locked`],
    [
      'B34 invalid vm_state',
      invalidState('restore', ID, 'vm_state', 'active'),
      'conflict',
      'InstanceInvalidState',
      `Cannot 'restore' instance ${ID} while it is in vm_state active`,
    ],
    [
      'null state renders as None',
      invalidState('stop', ID, 'task_state', null),
      'conflict',
      'InstanceInvalidState',
      `Cannot 'stop' instance ${ID} while it is in task_state None`,
    ],
    [
      'B35 generic invalid state',
      invalidStateGeneric('restore', ID),
      'conflict',
      'InstanceInvalidState',
      `Instance ${ID} is in an invalid state for 'restore'`,
    ],
    ['not ready', serverNotReady(ID), 'conflict', 'InstanceNotReady', `Instance ${ID} is not ready`],
    [
      'B22 policy refused',
      policyRefused('os_compute_api:servers:delete'),
      'forbidden',
      'PolicyNotAuthorized',
      "Policy doesn't allow os_compute_api:servers:delete to be performed.",
    ],
    [
      'B40 unlock override refused',
      policyRefused('os_compute_api:os-lock-server:unlock:unlock_override'),
      'forbidden',
      'PolicyNotAuthorized',
      "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.",
    ],
    [
      'B47 non-admin status=DELETED',
      deletedListingForbidden(),
      'forbidden',
      'Forbidden',
      'Only administrators may list deleted instances',
    ],
    ['invalid', invalid('bad thing'), 'invalid', 'Invalid', 'bad thing'],
    ['invalid status filter', invalidStatusFilter(), 'invalid', 'Invalid', 'Invalid status value'],
    ['unknown action', noSuchAction('frobnicate'), 'invalid', 'Invalid', 'There is no such action: frobnicate'],
    [
      'B24 project id mismatch',
      projectIdMismatch('aaa', 'bbb'),
      'invalid',
      'Invalid',
      "Malformed request URL: URL's project_id 'aaa' doesn't match Context's project_id 'bbb'",
    ],
    [
      'database unavailable',
      databaseUnavailable(),
      'unavailable',
      'serviceUnavailable',
      'The database is temporarily unavailable. Retry later.',
    ],
    ['unique key lost', alreadyExists(), 'conflict', 'conflictingRequest', 'The resource already exists.'],
    [
      'B25 unauthorized',
      unauthorized(),
      'unauthorized',
      'Unauthorized',
      'The request you have made requires authentication.',
    ],
  ];
  for (const [name, e, kind, code, message] of cases) {
    it(name, () => {
      assert.equal(e.kind, kind);
      assert.equal(e.code, code);
      assert.equal(e.message, message);
    });
  }
});
