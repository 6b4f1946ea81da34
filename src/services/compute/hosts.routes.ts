import type { FastifyInstance } from 'fastify';
import type { Deps } from './context.js';

/** os-hosts, os-migrations and /extensions. */
export function registerHostRoutes(_app: FastifyInstance, _deps: Deps): void {}
