import type { FastifyRequest } from 'fastify';
import type { Caller } from '../services/context.js';
import { unauthorized } from '../domain/errors.js';

/** The caller of an authenticated route (the auth hook guarantees it). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw unauthorized();
  return request.caller;
}

/**
 * The base URL for the catalog, links and WWW-Authenticate: the configured public URL, never
 * the client's Host header (a client could otherwise point everyone's catalog elsewhere).
 * Behind a proxy the operator declared (--trust-proxy) and without --public-url, the
 * X-Forwarded-Host/-Proto that proxy sets; a configured --public-url always wins.
 */
export function baseUrl(request: FastifyRequest): string {
  if (request.server.followsForwardedHost && request.headers['x-forwarded-host']) {
    return `${request.protocol}://${request.host}`;
  }
  return request.server.publicUrl;
}
