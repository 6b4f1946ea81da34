import { createHash, randomBytes } from 'node:crypto';
import type { Deps } from '../compute/context.js';
import { DomainError } from '../../domain/errors.js';
import { iso } from '../../domain/clock.js';
import * as repo from '../../db/repositories/identity.repository.js';
import { verifyPassword } from './passwords.js';

/** Keystone's role implications in the demo cloud: admin ⊃ member ⊃ reader. */
const IMPLIES: Record<string, string[]> = { admin: ['member', 'reader'], member: ['reader'] };

export function expandRoles(names: string[]): string[] {
  const out = new Set<string>();
  for (const n of names) { out.add(n); for (const i of IMPLIES[n] ?? []) out.add(i); }
  return [...out];
}

export interface TokenInfo {
  userId: string; userName: string; domainId: string; domainName: string;
  projectId: string; projectName: string; roles: string[]; issuedAt: string; expiresAt: string; auditId: string;
}

export interface PasswordAuth {
  user: { id?: string; name?: string; domain?: { id?: string; name?: string }; password: string };
  project?: { id?: string; name?: string; domain?: { id?: string; name?: string } };
}

const unauthorized = (msg = 'The request you have made requires authentication.') => new DomainError('unauthorized', 'Unauthorized', msg);

/** Only a hash of a token is stored: a database dump yields no usable tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Validated tokens, cached briefly so a request costs no database round trip for auth. */
class TokenCache {
  private map = new Map<string, { info: TokenInfo; until: number }>();
  constructor(private ttlMs: number, private max = 10000) {}
  get(h: string, nowMs: number): TokenInfo | undefined {
    const e = this.map.get(h);
    if (!e) return undefined;
    if (e.until < nowMs || Date.parse(e.info.expiresAt) <= nowMs) { this.map.delete(h); return undefined; }
    return e.info;
  }
  set(h: string, info: TokenInfo, nowMs: number): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(h, { info, until: nowMs + this.ttlMs });
  }
  delete(h: string): void { this.map.delete(h); }
}

export class TokenService {
  /** Revocations made by another API process reach this one within this many ms. */
  private cache = new TokenCache(5000);
  constructor(private deps: Deps) {}

  async issue(auth: PasswordAuth): Promise<{ token: string; info: TokenInfo }> {
    const { db, clock, config } = this.deps;
    const userDomain = await this.domain(auth.user.domain, !auth.user.id);
    const user = await repo.findUser(db, { id: auth.user.id, name: auth.user.name, domainId: userDomain?.id });
    if (!user || !user.enabled || !(await verifyPassword(auth.user.password, user.password_hash))) {
      throw unauthorized('The request you have made requires authentication.');
    }
    let projectId = '', projectName = '';
    let roles: string[] = [];
    if (auth.project) {
      const pd = await this.domain(auth.project.domain, !auth.project.id);
      const project = await repo.findProject(db, { id: auth.project.id, name: auth.project.name, domainId: pd?.id });
      if (!project || !project.enabled) throw unauthorized(); // Keystone does not say which part was wrong
      roles = expandRoles(await repo.roleNamesFor(db, user.id, project.id));
      if (roles.length === 0) throw unauthorized(`User ${user.id} has no access to project ${project.id}.`);
      projectId = project.id; projectName = project.name;
    }
    const dom = await repo.findDomain(db, { id: user.domain_id });
    const now = clock.now();
    const token = 'stx' + randomBytes(32).toString('base64url');
    const info: TokenInfo = {
      userId: user.id, userName: user.name, domainId: user.domain_id, domainName: dom?.name ?? user.domain_id,
      projectId, projectName, roles, issuedAt: iso(now), expiresAt: iso(new Date(now.getTime() + config.tokenExpiration * 1000)),
      auditId: randomBytes(16).toString('base64url').slice(0, 22),
    };
    await repo.insertToken(db, {
      token_hash: hashToken(token), user_id: user.id, project_id: projectId,
      roles: JSON.stringify({ roles, userName: info.userName, domainId: info.domainId, domainName: info.domainName, projectName, auditId: info.auditId }),
      issued_at: info.issuedAt, expires_at: info.expiresAt, revoked: 0,
    });
    return { token, info };
  }

  /** The token's owner and scope, or a 401 DomainError for an unknown, revoked or expired token. */
  async validate(token: string): Promise<TokenInfo> {
    const h = hashToken(token);
    const nowMs = this.deps.clock.now().getTime();
    const cached = this.cache.get(h, nowMs);
    if (cached) return cached;
    const row = await repo.findToken(this.deps.db, h);
    if (!row || row.revoked || Date.parse(row.expires_at) <= nowMs) throw unauthorized();
    const extra = JSON.parse(row.roles) as { roles: string[]; userName: string; domainId: string; domainName: string; projectName: string; auditId: string };
    const info: TokenInfo = {
      userId: row.user_id, userName: extra.userName, domainId: extra.domainId, domainName: extra.domainName,
      projectId: row.project_id, projectName: extra.projectName, roles: extra.roles, issuedAt: row.issued_at, expiresAt: row.expires_at, auditId: extra.auditId,
    };
    this.cache.set(h, info, nowMs);
    return info;
  }

  async revoke(token: string): Promise<void> {
    const h = hashToken(token);
    this.cache.delete(h);
    const n = await repo.revokeToken(this.deps.db, h);
    if (n === 0) throw new DomainError('not-found', 'TokenNotFound', `Could not find token: ${token}.`);
  }

  private async domain(ref: { id?: string; name?: string } | undefined, required: boolean) {
    if (!ref) {
      if (required) throw new DomainError('invalid', 'ValidationError', 'Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
      return undefined;
    }
    const d = await repo.findDomain(this.deps.db, ref);
    if (!d) throw unauthorized(); // Keystone does not say which part was wrong
    return d;
  }
}
