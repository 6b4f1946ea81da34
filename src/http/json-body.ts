/**
 * Request bodies nest at most this deep. No OpenStack request body needs more than a handful of
 * levels; without a bound, a body of a few thousand nested arrays reaches recursive code (schema
 * validation, JSON.stringify) and overflows the stack.
 */
export const MAX_BODY_DEPTH = 64;

/** Why a NUL is refused: PostgreSQL text cannot hold one, and no OpenStack field needs it. */
export const NUL_MESSAGE = 'Invalid input: NUL characters are not allowed';

/** True when `value` (parsed JSON, at most MAX_BODY_DEPTH deep) has a NUL in a key or string. */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (value === null || typeof value !== 'object') return false;
  for (const [k, v] of Object.entries(value)) if (k.includes('\0') || containsNul(v)) return true;
  return false;
}

/**
 * True when `text`, read as JSON, opens more than `max` arrays or objects inside each other.
 * One pass over the characters, before JSON.parse, so depth is never reached recursively.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
