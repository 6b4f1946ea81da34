import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { baseUrl } from './request.js';

/** An error that only exists at the HTTP layer (bad method, bad microversion, bad media type). */
export class HttpFault extends Error {
  constructor(
    public status: number,
    public faultKey: string,
    message: string,
    public headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Nova's fault names by status (nova/api/openstack/wsgi.py Fault._fault_names). */
const NOVA_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};
const novaFaultName = (status: number) => NOVA_FAULT_NAMES[status] ?? 'computeFault';

const KIND_STATUS: Record<DomainError['kind'], number> = {
  'not-found': 404,
  conflict: 409,
  forbidden: 403,
  invalid: 400,
  unavailable: 503,
  unauthorized: 401,
  'over-limit': 413,
  failed: 500,
};

/** Neutron's fault type for a status without a more specific one (webob's exception class names). */
const NEUTRON_TYPES: Record<number, string> = {
  400: 'HTTPBadRequest',
  403: 'HTTPForbidden',
  404: 'HTTPNotFound',
  405: 'HTTPMethodNotAllowed',
  408: 'HTTPRequestTimeout',
  409: 'Conflict',
  413: 'HTTPRequestEntityTooLarge',
  415: 'HTTPUnsupportedMediaType',
  431: 'HTTPRequestHeaderFieldsTooLarge',
  500: 'HTTPInternalServerError',
  503: 'HTTPServiceUnavailable',
};
const KEYSTONE_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Which wire family a path belongs to; each speaks its own error format. */
type ApiFamily = 'compute' | 'identity' | 'network' | 'image' | 'stratus' | 'volume';
function familyOf(url: string): ApiFamily {
  const first = firstSegment(url);
  if (first === 'identity') return 'identity';
  if (first === 'networking') return 'network';
  if (first === 'image') return 'image';
  if (first === 'stratus') return 'stratus';
  if (first === 'volume') return 'volume';
  return 'compute';
}

/**
 * The first non-empty segment of a request target's path: `//networking/…` and the absolute
 * form `http://host/identity/…` (which HTTP/1.1 servers must accept) name their service too.
 */
export function firstSegment(url: string): string {
  // The common case, an origin-form target with one leading slash, without a regular expression.
  if (url.charCodeAt(0) === 0x2f && url.charCodeAt(1) !== 0x2f) {
    const end = url.slice(1).search(/[/?#]/);
    return end === -1 ? url.slice(1) : url.slice(1, 1 + end);
  }
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/, 1)[0];
  return path.split('/').find((s) => s !== '') ?? '';
}

export interface Fault {
  status: number;
  key: string;
  message: string;
  headers: Record<string, string>;
}

/** Classifies any thrown value. Unknown errors are 500 with a generic message (logged with the request id). */
function classify(err: unknown): Fault & { unexpected: boolean } {
  if (err instanceof DomainError) {
    const status = KIND_STATUS[err.kind];
    const headers: Record<string, string> = {};
    if (status === 503) headers['retry-after'] = '5';
    // Cinder's QuotaError carries `Retry-After: 0` (cinder/exception.py).
    if (typeof err.details?.retryAfter === 'string') headers['retry-after'] = err.details.retryAfter;
    return { status, key: err.code, message: err.message, headers, unexpected: false };
  }
  if (err instanceof HttpFault)
    return { status: err.status, key: err.faultKey, message: err.message, headers: err.headers, unexpected: false };
  const fe = err as { statusCode?: number; code?: string; validation?: unknown; message?: string };
  if (fe && fe.validation)
    return { status: 400, key: 'badRequest', message: fe.message ?? 'Invalid input', headers: {}, unexpected: false };
  if (
    (fe && fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') ||
    fe?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    err instanceof SyntaxError
  ) {
    return { status: 400, key: 'badRequest', message: 'Malformed request body', headers: {}, unexpected: false };
  }
  if (fe && fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, key: 'overLimit', message: 'Request is too large.', headers: {}, unexpected: false };
  if (fe && fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return { status: 415, key: 'badMediaType', message: 'Unsupported Content-Type', headers: {}, unexpected: false };
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      key: novaFaultName(fe.statusCode),
      message: fe.message ?? 'Bad request',
      headers: {},
      unexpected: false,
    };
  }
  return {
    status: 500,
    key: 'computeFault',
    message: 'Unexpected API Error. Please contact the administrator',
    headers: {},
    unexpected: true,
  };
}

/** The one place that turns errors into wire bodies. */
export function sendFault(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const f = classify(err);
  if (f.unexpected) request.log.error({ err }, 'unexpected error');
  else if (f.status >= 500) request.log.warn({ err: (err as Error)?.message }, 'service unavailable');
  for (const [k, v] of Object.entries(f.headers)) reply.header(k, v);
  const family = familyOf(request.url);
  if (f.status === 401) {
    const base = `${baseUrl(request)}/identity`;
    reply.header('www-authenticate', `Keystone uri="${base}"`);
    return reply
      .code(401)
      .type('application/json')
      .send({ error: { code: 401, title: 'Unauthorized', message: f.message } });
  }
  const type = charsetFamily(family) ? 'application/json; charset=UTF-8' : 'application/json';
  return reply.code(f.status).type(type).send(faultBody(family, f));
}

/** Nova's and Cinder's faults (the same wsgi.Fault) name their charset. */
function charsetFamily(family: ApiFamily): boolean {
  return family === 'compute' || family === 'stratus' || family === 'volume';
}

/** The fault body of `family` for an error that is not a 401 (sendFault renders those). */
function faultBody(
  family: ApiFamily,
  f: Pick<Fault, 'status' | 'key' | 'message'> & { headers?: Fault['headers'] },
): unknown {
  if (family === 'identity')
    return { error: { code: f.status, title: KEYSTONE_TITLES[f.status] ?? 'Error', message: f.message } };
  if (family === 'network') {
    const type = /^[A-Z]/.test(f.key) ? f.key : (NEUTRON_TYPES[f.status] ?? 'HTTPBadRequest');
    return { NeutronError: { type, message: f.message, detail: '' } };
  }
  if (family === 'image') return { code: f.status, title: KEYSTONE_TITLES[f.status] ?? 'Error', message: f.message };
  // Cinder's Fault (cinder/api/openstack/wsgi.py): Nova's keys, no 429 name, and a 413 repeats its
  // Retry-After in the body.
  if (family === 'volume') {
    const name = f.status === 429 ? 'computeFault' : novaFaultName(f.status);
    const inner: Record<string, unknown> = { code: f.status, message: f.message };
    if (f.status === 413 && f.headers?.['retry-after'] !== undefined) inner.retryAfter = f.headers['retry-after'];
    return { [name]: inner };
  }
  // Nova: the fault key depends on the status only (a domain code such as ServerLocked is ours, not the wire's).
  return { [novaFaultName(f.status)]: { code: f.status, message: f.message } };
}

/**
 * Answers a request that Node's HTTP parser refused, before Fastify saw it (a raw non-ASCII byte
 * in the path, headers over the size limit, a broken request line), in the fault format of the
 * service its path names, read from the raw bytes when they are there. The connection closes:
 * after a parse error the rest of the stream cannot be trusted.
 */
/** What a refused request is answered, by the parser's error code (Node's own choices of status). */
function rawStatus(code: string | undefined): { status: number; reason: string; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, reason: 'Request Header Fields Too Large', message: 'Request header fields too large' };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, reason: 'Request Timeout', message: 'Request timeout' };
  return { status: 400, reason: 'Bad Request', message: 'Malformed request' };
}

export function rawFault(err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket): void {
  // Nothing to answer on a connection the client dropped, or under a response already started
  // (Node's own rule): the rest of the stream cannot be trusted, so it only closes.
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || err.code === 'ECONNRESET' || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, reason, message } = rawStatus(err.code);
  const path = err.rawPacket?.toString('latin1').match(/^\S+ (\S+)/)?.[1] ?? '/';
  const family = familyOf(path);
  const body = JSON.stringify(faultBody(family, { status, key: novaFaultName(status), message }));
  const requestId = `req-${randomUUID()}`;
  socket.end(
    [
      `HTTP/1.1 ${status} ${reason}`,
      `Content-Type: ${charsetFamily(family) ? 'application/json; charset=UTF-8' : 'application/json'}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      `x-openstack-request-id: ${requestId}`,
      `x-compute-request-id: ${requestId}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
