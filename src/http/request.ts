import type { FastifyRequest } from 'fastify';
import type { Caller } from '../services/compute/context.js';
import { unauthorized } from '../domain/errors.js';

/** The caller of an authenticated route (the auth hook guarantees it). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw unauthorized();
  return request.caller;
}

/** `http://host:port` as the client addressed us (links and catalog follow the client's view). */
export function baseUrl(request: FastifyRequest): string {
  return `http://${request.headers.host ?? '127.0.0.1'}`;
}
