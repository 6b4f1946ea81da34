/** Pure module: no I/O. */
/**
 * Task payload keys that carry a secret (changePassword's plaintext password). A payload holds
 * them only while the work is in flight: the handler that uses one, the agent that gives a task
 * up and the API request that stops waiting all write the payload back without them.
 */
const SECRET_KEYS = ['password'] as const;

/** The payload without its secrets (an unreadable payload becomes `{}`: it cannot be scrubbed key by key). */
export function withoutSecrets(payload: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return '{}';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return payload;
  const out = { ...(parsed as Record<string, unknown>) };
  for (const k of SECRET_KEYS) delete out[k];
  return JSON.stringify(out);
}

/** Whether a payload still carries a secret (so a scrub would change it). */
export function hasSecrets(payload: string): boolean {
  return withoutSecrets(payload) !== payload;
}
