import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiError } from './errors';

/** DomainError kinds (libs/domain) and the status each one means on the wire. */
const KIND_STATUS: Record<string, number> = { Invalid: 400, NotFound: 404, IllegalState: 409, Conflict: 409, Forbidden: 403 };

const TITLES: Record<number, string> = {
  400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Request Entity Too Large',
  415: 'Unsupported Media Type', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** The status and body an error becomes; `unexpected` errors are logged with their stack; `retryAfter` adds Retry-After. */
export type Fault = { status: number; body: Record<string, unknown>; unexpected: boolean; retryAfter?: boolean };

/** Seconds a client should wait before retrying a 503 (a JetStream leader election takes 4-9 s; writes retry inside it). */
export const RETRY_AFTER_S = 2;

/** A NATS error meaning "not now": a timeout, no responders, a dropped connection, a JetStream 503 (no leader, no quorum). */
const natsUnavailable = (err: unknown): boolean => {
  const e = err as { name?: string; code?: string; api_error?: { code?: number } };
  return e?.name === 'NatsError' && (['TIMEOUT', '503', '408', 'DISCONNECT', 'CONNECTION_REFUSED', 'CONNECTION_CLOSED'].includes(String(e.code)) || e.api_error?.code === 503);
};

const wsme = (status: number, message: string, unexpected = false): Fault => ({
  status, unexpected, body: { faultcode: status >= 500 ? 'Server' : 'Client', faultstring: message, debuginfo: null },
});
const pecan = (status: number, description: string, title = TITLES[status] ?? 'Error'): Fault => ({
  status, unexpected: false, body: { code: status, title, description },
});

/** Pure mapping of anything thrown while serving a request to Octavia's error bodies. */
export function faultOf(err: unknown, method: string): Fault {
  if (err instanceof ApiError) {
    const f = err.style === 'pecan' ? pecan(err.status, err.message, err.title) : wsme(err.status, err.message);
    return (err as ApiError & { retryAfter?: boolean }).retryAfter ? { ...f, retryAfter: true } : f;
  }
  const e = err as { name?: string; kind?: string; message?: string; code?: string; statusCode?: number };
  if (e?.name === 'DomainError' && typeof e.kind === 'string' && KIND_STATUS[e.kind]) return wsme(KIND_STATUS[e.kind], String(e.message));
  if (err instanceof HttpException) {
    const status = err.getStatus();
    // Nest's not-found handler: no route matched. Octavia (pecan) answers 405 to PATCH and 404 otherwise.
    if (status === 404) return method === 'PATCH' ? pecan(405, '') : pecan(404, '');
    if (status === 405) return pecan(405, '');
    return wsme(status, err.message);
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return wsme(400, 'Request is not in valid JSON format');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return wsme(413, 'Request is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return wsme(e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 415 : 400, e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'Unsupported Media Type' : 'Invalid Content-Length');
  }
  if (err instanceof SyntaxError && e.statusCode === 400) return wsme(400, 'Request is not in valid JSON format');
  // The decision is too large for one commit (the event store's message limit): the request was too large.
  if (e?.name === 'CommitTooLarge') return wsme(413, 'Request is too large: the change it asks for is more than one request may change at once.');
  if (e?.name === 'WrongExpectedSequence') return wsme(409, 'The load balancer was changed concurrently; retry the request.');
  // The event store did not answer within its retries (a stream leader election, a lost quorum), or a NATS error
  // that says the same reached us raw: 503 with Retry-After (the filter), never a 500.
  if (e?.name === 'EventStoreUnavailable' || e?.name === 'ProjectionTimeout' || e?.name === 'ProjectionStopped' || natsUnavailable(err)) {
    return { ...wsme(503, 'The event store is not available; retry the request.'), retryAfter: true };
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return wsme(e.statusCode, String(e.message ?? TITLES[e.statusCode] ?? 'Error'));
  return wsme(500, 'Internal Server Error', true);
}

/** The one global filter: every error leaves as Octavia's body; unexpected ones are logged (there should be none). */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    const fault = faultOf(err, req?.method ?? 'GET');
    if (fault.unexpected) this.logger.error({ op: 'http', requestId: req?.id, method: req?.method, path: req?.url, err }, 'unexpected error');
    else if (fault.retryAfter) this.logger.warn({ op: 'http', requestId: req?.id, method: req?.method, path: req?.url, err }, 'event store unavailable: 503');
    if (fault.retryAfter) void reply.header('retry-after', String(RETRY_AFTER_S));
    void reply.status(fault.status).header('content-type', 'application/json').send(fault.body);
  }
}
