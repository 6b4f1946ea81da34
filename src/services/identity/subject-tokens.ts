import type { Caller, Deps } from '../context.js';
import { credentialsOf } from '../context.js';
import { actionForbidden, DomainError, noSubjectToken, subjectTokenInvalid } from '../../domain/errors.js';
import type { TokenInfo, TokenService } from './tokens.js';

/**
 * What one caller may do with another token (X-Subject-Token): Keystone's identity:validate_token
 * (GET), identity:check_token (HEAD) and identity:revoke_token (DELETE), rules as data in
 * policy/rules.ts. As in Keystone's RBAC enforcer, the subject token is validated while building
 * the policy target (`target.token.user_id`, which `rule:token_subject` compares with the caller),
 * before the rule is checked.
 */

type Inspect = 'validate_token' | 'check_token';

const allows = (deps: Deps, caller: Caller, rule: string, subject: TokenInfo | undefined) =>
  deps.policy.allows(rule, subject ? { 'target.token.user_id': subject.userId } : {}, credentialsOf(caller));

async function validateSubject(tokens: TokenService, subject: string | undefined): Promise<TokenInfo> {
  if (!subject) throw noSubjectToken();
  try {
    return await tokens.validate(subject);
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'unauthorized') throw subjectTokenInvalid();
    throw e;
  }
}

/**
 * The subject token's owner and scope, for GET and HEAD. An invalid subject token is 404 for any
 * caller; without one, only callers the rule lets pass without a target (admins, services) get as
 * far as Keystone's 404 "No token in the request".
 */
export async function inspectToken(
  deps: Deps,
  tokens: TokenService,
  caller: Caller,
  subject: string | undefined,
  action: Inspect,
): Promise<TokenInfo> {
  const target = subject ? await validateSubject(tokens, subject) : undefined;
  if (!allows(deps, caller, `identity:${action}`, target)) throw actionForbidden(`identity:${action}`);
  return target ?? validateSubject(tokens, subject);
}

/**
 * Revokes the subject token. A token that no longer validates (expired, say) has no target: a
 * caller the rule lets pass without one (an admin) still revokes it (404 only when there is no such
 * token), anyone else learns only that it does not validate (404), as before the policy check.
 */
export async function revokeSubjectToken(
  deps: Deps,
  tokens: TokenService,
  caller: Caller,
  subject: string | undefined,
): Promise<void> {
  if (!subject) throw noSubjectToken();
  let target: TokenInfo | undefined;
  try {
    target = await validateSubject(tokens, subject);
  } catch (e) {
    if (!(e instanceof DomainError && e.code === 'TokenNotFound')) throw e;
  }
  if (!allows(deps, caller, 'identity:revoke_token', target)) {
    throw target ? actionForbidden('identity:revoke_token') : subjectTokenInvalid();
  }
  await tokens.revoke(subject);
}
