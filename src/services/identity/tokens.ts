import { createHash, randomBytes } from 'node:crypto';
import type { Deps } from '../context.js';
import { attributeExpected, tokenNotFound, unauthorized } from '../../domain/errors.js';
import { iso } from '../../domain/clock.js';
import * as repo from '../../db/repositories/identity.repository.js';
import { checkCredentials, hashPassword } from './passwords.js';
import { LoginThrottle } from './lockout.js';

/** Keystone's role implications in the demo cloud: admin ⊃ member ⊃ reader. */
const IMPLIES: Record<string, string[]> = { admin: ['member', 'reader'], member: ['reader'] };

function expandRoles(names: string[]): string[] {
  const out = new Set<string>();
  for (const n of names) {
    out.add(n);
    for (const i of IMPLIES[n] ?? []) out.add(i);
  }
  return [...out];
}

export interface TokenInfo {
  userId: string;
  userName: string;
  domainId: string;
  domainName: string;
  projectId: string;
  projectName: string;
  roles: string[];
  issuedAt: string;
  expiresAt: string;
  auditId: string;
}

export interface PasswordAuth {
  user: { id?: string; name?: string; domain?: { id?: string; name?: string }; password: string };
  project?: { id?: string; name?: string; domain?: { id?: string; name?: string } };
}

/** Only a hash of a token is stored: a database dump yields no usable tokens. */
function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Validated tokens, cached briefly so a request costs no database round trip for auth. */
class TokenCache {
  private map = new Map<string, { info: TokenInfo; until: number }>();
  /**
   * Moves on at every revocation or password change. A validation that read the database before
   * one and finishes after it does not cache what it read (it may be the state before).
   */
  epoch = 0;
  constructor(
    private ttlMs: number,
    private max = 10000,
  ) {}
  get(h: string, nowMs: number): TokenInfo | undefined {
    const e = this.map.get(h);
    if (!e) return undefined;
    if (e.until < nowMs || Date.parse(e.info.expiresAt) <= nowMs) {
      this.map.delete(h);
      return undefined;
    }
    return e.info;
  }
  set(h: string, info: TokenInfo, nowMs: number): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(h, { info, until: nowMs + this.ttlMs });
  }
  delete(h: string): void {
    this.epoch++;
    this.map.delete(h);
  }
  /** Forgets every cached token `which` picks (its user's password changed, its project went away…). */
  forget(which: (info: TokenInfo) => boolean): void {
    this.epoch++;
    for (const [h, e] of this.map) if (which(e.info)) this.map.delete(h);
  }
}

export class TokenService {
  /**
   * Revocations and password changes made by another API process reach this one within this
   * many ms: a cached token is not looked up again before then. Past it, every validation reads
   * the token row and the user's password generation from the database. Within this process
   * both take effect at once (the cache entries are dropped).
   */
  static readonly CACHE_TTL_MS = 5000;
  private cache = new TokenCache(TokenService.CACHE_TTL_MS);
  private throttle: LoginThrottle;
  constructor(private deps: Deps) {
    this.throttle = new LoginThrottle(deps.config.lockoutFailureAttempts, deps.config.lockoutDuration * 1000);
  }

  /**
   * The original-password check of a self-service password change, under the login throttle
   * with the same key a login of that user from `source` has: guesses through either path
   * count together (review: this path had no lockout at all).
   */
  async verifyPassword(userId: string, password: string, source: string): Promise<boolean> {
    const user = await repo.findUser(this.deps.db, { id: userId });
    const key = user ? `user:${user.id}\n${source}` : `ref:${userId}\n\n\n\n${source}`;
    const outcome = await this.throttle.attempt(
      key,
      () => this.deps.clock.now().getTime(),
      () => checkCredentials(user, password),
    );
    if (outcome === 'locked') await checkCredentials(undefined, password);
    return outcome === 'ok';
  }

  /** `source`: the client's address (Fastify's request.ip), for the failed-login throttle. */
  async issue(auth: PasswordAuth, source: string): Promise<{ token: string; info: TokenInfo }> {
    const { db, clock, config } = this.deps;
    const userDomain = await this.domain(auth.user.domain, !auth.user.id, false);
    const user =
      auth.user.domain && !userDomain
        ? undefined
        : await repo.findUser(db, { id: auth.user.id, name: auth.user.name, domainId: userDomain?.id });
    // A known user is counted under its id, however it was named; an unknown one under the name
    // as given, so that unknown users lock out like known ones (no enumeration through it).
    const who = user
      ? `user:${user.id}`
      : `ref:${auth.user.id ?? ''}\n${auth.user.domain?.id ?? ''}\n${auth.user.domain?.name ?? ''}\n${auth.user.name ?? ''}`;
    const key = `${who}\n${source}`;
    const outcome = await this.throttle.attempt(
      key,
      () => clock.now().getTime(),
      () => checkCredentials(user, auth.user.password),
    );
    // A locked pair still costs one scrypt (against the dummy hash): its answer time tells
    // nothing about whether the user exists, and guesses made meanwhile learn nothing.
    if (outcome === 'locked') await checkCredentials(undefined, auth.user.password);
    if (outcome !== 'ok') throw unauthorized();
    const u = user!;
    let projectId = '',
      projectName = '';
    let roles: string[] = [];
    if (auth.project) {
      const pd = await this.domain(auth.project.domain, !auth.project.id, true);
      const project = await repo.findProject(db, { id: auth.project.id, name: auth.project.name, domainId: pd?.id });
      if (!project || !project.enabled) throw unauthorized(); // Keystone does not say which part was wrong
      roles = expandRoles(await repo.roleNamesFor(db, u.id, project.id));
      if (roles.length === 0) throw unauthorized(`User ${u.id} has no access to project ${project.id}.`);
      projectId = project.id;
      projectName = project.name;
    }
    const dom = await repo.findDomain(db, { id: u.domain_id });
    if (dom && !dom.enabled) throw unauthorized(); // Keystone: a user of a disabled domain cannot log in
    const now = clock.now();
    const token = 'stx' + randomBytes(32).toString('base64url');
    const info: TokenInfo = {
      userId: u.id,
      userName: u.name,
      domainId: u.domain_id,
      domainName: dom?.name ?? u.domain_id,
      projectId,
      projectName,
      roles,
      issuedAt: iso(now),
      expiresAt: iso(new Date(now.getTime() + config.tokenExpiration * 1000)),
      auditId: randomBytes(16).toString('base64url').slice(0, 22),
    };
    await repo.insertToken(db, {
      token_hash: hashToken(token),
      user_id: u.id,
      project_id: projectId,
      roles: JSON.stringify({
        roles,
        userName: info.userName,
        domainId: info.domainId,
        domainName: info.domainName,
        projectName,
        auditId: info.auditId,
      }),
      issued_at: info.issuedAt,
      expires_at: info.expiresAt,
      revoked: 0,
      password_generation: u.password_generation,
    });
    return { token, info };
  }

  /**
   * Sets a user's password. Tokens issued before stop validating: in this process at once, in
   * other API processes sharing the database within CACHE_TTL_MS.
   */
  async changePassword(userId: string, password: string): Promise<void> {
    const hash = await hashPassword(password);
    await this.invalidating(
      (i) => i.userId === userId,
      () => repo.setUserPassword(this.deps.db, userId, hash),
    );
  }

  /**
   * Runs a write that makes the tokens `which` picks stop validating (a user deleted or
   * disabled, a project deleted or disabled, a role taken away), dropping them from this
   * process's cache before and after it: a validation may cache the old state meanwhile.
   * Other API processes sharing the database notice within CACHE_TTL_MS.
   */
  async invalidating<T>(which: (info: TokenInfo) => boolean, write: () => Promise<T>): Promise<T> {
    this.cache.forget(which);
    try {
      return await write();
    } finally {
      this.cache.forget(which);
    }
  }

  /** The token's owner and scope, or a 401 DomainError for an unknown, revoked or expired token. */
  async validate(token: string): Promise<TokenInfo> {
    const h = hashToken(token);
    const nowMs = this.deps.clock.now().getTime();
    const cached = this.cache.get(h, nowMs);
    if (cached) return cached;
    const epoch = this.cache.epoch;
    const row = await repo.findToken(this.deps.db, h);
    if (!row || row.revoked || Date.parse(row.expires_at) <= nowMs) throw unauthorized();
    // Issued under an older password: the password changed since (here, elsewhere or at a restart).
    if (row.password_generation !== row.user_password_generation) throw unauthorized();
    // Keystone parity: a disabled user's tokens do not validate. (Keystone revokes them when the user
    // is disabled; Stratus has no user API, so the flag is read here, and a cached token lasts CACHE_TTL_MS.)
    if (!row.user_enabled) throw unauthorized();
    // A user of a disabled domain, or a token whose project was disabled or deleted since, is refused
    // too (Keystone revokes those tokens when the domain or project changes).
    if (row.domain_enabled === 0) throw unauthorized();
    if (row.project_id !== '' && !row.project_enabled) throw unauthorized();
    const extra = JSON.parse(row.roles) as {
      roles: string[];
      userName: string;
      domainId: string;
      domainName: string;
      projectName: string;
      auditId: string;
    };
    const info: TokenInfo = {
      userId: row.user_id,
      userName: extra.userName,
      domainId: extra.domainId,
      domainName: extra.domainName,
      projectId: row.project_id,
      projectName: extra.projectName,
      roles: extra.roles,
      issuedAt: row.issued_at,
      expiresAt: row.expires_at,
      auditId: extra.auditId,
    };
    if (this.cache.epoch === epoch) this.cache.set(h, info, nowMs);
    return info;
  }

  /** Keystone's role references (id and name) for the role names a token carries; an unknown name is its own id. */
  async roleRefs(names: string[]): Promise<Array<{ id: string; name: string }>> {
    const byName = new Map((await repo.allRoles(this.deps.db)).map((r) => [r.name, r.id]));
    return names.map((name) => ({ id: byName.get(name) ?? name, name }));
  }

  async revoke(token: string): Promise<void> {
    const h = hashToken(token);
    this.cache.delete(h);
    const n = await repo.revokeToken(this.deps.db, h);
    this.cache.delete(h); // and again: a validation may have cached the row while the write ran
    if (n === 0) throw tokenNotFound(token);
  }

  /**
   * `mustExist` false: an unknown domain gives undefined, so that the caller still runs the
   * dummy password check (an unknown domain must not answer faster than a wrong password).
   */
  private async domain(ref: { id?: string; name?: string } | undefined, required: boolean, mustExist: boolean) {
    if (!ref) {
      if (required) throw attributeExpected('domain', 'user');
      return undefined;
    }
    const d = await repo.findDomain(this.deps.db, ref);
    if (!d && mustExist) throw unauthorized(); // Keystone does not say which part was wrong
    return d;
  }
}
