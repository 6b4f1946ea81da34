import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageVisibleTo } from './images.js';

test('imageVisibleTo: public and community for all, private and shared for the owner, everything for admins', () => {
  const cases: Array<[string, string | undefined, boolean]> = [
    ['public', 'p2', true],
    ['community', 'p2', true],
    ['private', 'p2', false],
    ['shared', 'p2', false],
    ['private', 'p1', true],
    ['shared', 'p1', true],
    ['private', undefined, true],
  ];
  for (const [visibility, project, want] of cases) {
    assert.equal(
      imageVisibleTo({ visibility, owner: 'p1' }, project),
      want,
      `${visibility} seen by ${project ?? 'admin'}`,
    );
  }
});
