import type { KeypairRow } from './keypairs.js';
import { novaUsecTime } from '../../domain/clock.js';

/**
 * Keypair views after nova/api/openstack/compute/views/keypairs.py: `type` from 2.2; create adds
 * user_id (and private_key when the key was generated); show adds the soft-delete fields Nova
 * exposes but never fills, and the integer id.
 */
export interface KeypairViewOpts {
  /** 2.2+: the `type` field. */
  withType: boolean;
}

export function renderKeypairBrief(kp: KeypairRow, o: KeypairViewOpts): Record<string, unknown> {
  const out: Record<string, unknown> = { name: kp.name, public_key: kp.public_key, fingerprint: kp.fingerprint };
  if (o.withType) out.type = kp.type;
  return out;
}

export function renderKeypairCreated(kp: KeypairRow, privateKey: string | undefined, o: KeypairViewOpts) {
  const out: Record<string, unknown> = {};
  if (privateKey !== undefined) out.private_key = privateKey;
  return { ...out, ...renderKeypairBrief(kp, o), user_id: kp.user_id };
}

export function renderKeypairDetail(kp: KeypairRow, o: KeypairViewOpts) {
  return {
    ...renderKeypairBrief(kp, o),
    user_id: kp.user_id,
    created_at: novaUsecTime(kp.created_at),
    deleted: false,
    deleted_at: null,
    id: kp.id,
    updated_at: null,
  };
}
