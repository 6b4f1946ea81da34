import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import * as keypairs from '../../db/repositories/keypairs.repository.js';
import { isUniqueViolation } from '../../db/dialects/index.js';
import { iso } from '../../domain/clock.js';
import { invalid, keypairExists, keypairNotFound } from '../../domain/errors.js';
import { fingerprintOf, generateSshKeypair, generateX509Keypair, type KeypairType } from '../../domain/keypairs.js';

export type { KeypairRow } from '../../db/repositories/keypairs.repository.js';

/** nova/policies/keypairs.py: admins, or the user the keypair belongs to (keypairs are a user's, not a project's). */
const RULE = (action: 'index' | 'create' | 'delete' | 'show') => `os_compute_api:os-keypairs:${action}`;

/** Nova's api.max_limit for keypair pages. */
export const MAX_KEYPAIR_LIMIT = 1000;

/**
 * The user a request is about: another user's id (2.10 `user_id`) is only an admin's to give,
 * which the rule decides, as Nova's `context.can(..., target={'user_id': user_id})`.
 */
function subject(deps: Deps, caller: Caller, action: Parameters<typeof RULE>[0], userId: string | undefined) {
  const user = userId ?? caller.userId;
  authorize(deps, caller, RULE(action), { project_id: caller.projectId, user_id: user });
  return user;
}

export interface CreateKeypairInput {
  name: string;
  type: KeypairType;
  /** Import this key; without it a key is generated (Nova refuses that from 2.92, in the schema). */
  publicKey?: string;
  /** 2.10+: create for this user (admins). */
  userId?: string;
}

/** KeypairAPI.import_key_pair / create_key_pair. The private key is only ever returned here. */
export async function createKeypair(deps: Deps, caller: Caller, input: CreateKeypairInput) {
  const userId = subject(deps, caller, 'create', input.userId);
  let publicKey: string;
  let fingerprint: string;
  let privateKey: string | undefined;
  if (input.publicKey !== undefined) {
    publicKey = input.publicKey;
    fingerprint = fingerprintOf(input.type, publicKey);
  } else {
    const g = input.type === 'x509' ? await generateX509Keypair(userId, deps.clock.now()) : await generateSshKeypair();
    ({ publicKey, fingerprint, privateKey } = g);
  }
  try {
    const row = await deps.transact(async (tx) => {
      if (await keypairs.getKeypair(tx, userId, input.name)) throw keypairExists(input.name);
      return keypairs.insertKeypair(tx, {
        user_id: userId,
        name: input.name,
        type: input.type,
        fingerprint,
        public_key: publicKey,
        created_at: iso(deps.clock.now()),
      });
    });
    return { row, privateKey };
  } catch (err) {
    // Two creates of one name racing: the loser meets the unique key, as Nova's DBDuplicateEntry.
    if (isUniqueViolation(err)) throw keypairExists(input.name);
    throw err;
  }
}

export async function listKeypairs(
  deps: Deps,
  caller: Caller,
  q: { userId?: string; limit?: number; marker?: string },
) {
  const userId = subject(deps, caller, 'index', q.userId);
  let afterName: string | undefined;
  if (q.marker !== undefined) {
    const marker = await keypairs.getKeypair(deps.db, userId, q.marker);
    if (!marker) throw invalid(`Marker ${q.marker} could not be found.`);
    afterName = marker.name;
  }
  const limit = q.limit === undefined ? undefined : Math.min(q.limit, MAX_KEYPAIR_LIMIT);
  return keypairs.listKeypairs(deps.db, userId, { limit, afterName });
}

export async function showKeypair(deps: Deps, caller: Caller, name: string, q: { userId?: string } = {}) {
  const userId = subject(deps, caller, 'show', q.userId);
  const row = await keypairs.getKeypair(deps.db, userId, name);
  if (!row) throw keypairNotFound(name, userId);
  return row;
}

export async function deleteKeypair(deps: Deps, caller: Caller, name: string, q: { userId?: string } = {}) {
  const userId = subject(deps, caller, 'delete', q.userId);
  const gone = await deps.transact((tx) => keypairs.deleteKeypair(tx, userId, name));
  if (!gone) throw keypairNotFound(name, userId);
}

/** How many keypairs `userId` has (the key_pairs quota counts these; Nova counts per user). */
export async function countKeypairs(deps: Deps, userId: string): Promise<number> {
  return keypairs.countKeypairs(deps.db, userId);
}

/**
 * The keypair `key_name` names for a server the caller creates: always the caller's own, even
 * for an admin (Nova looks it up under context.user_id). Unknown: 400 "Invalid key_name provided.".
 */
export async function keypairForServer(deps: Deps, caller: Caller, keyName: string) {
  const row = await keypairs.getKeypair(deps.db, caller.userId, keyName);
  if (!row) throw invalid('Invalid key_name provided.');
  return row;
}
