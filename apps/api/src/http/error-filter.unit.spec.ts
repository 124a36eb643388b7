import { DomainError } from '@lbaas/domain';
import { EventStoreUnavailable, ProjectionTimeout, WrongExpectedSequence } from '@lbaas/event-store';
import { ErrorCode, NatsError } from 'nats';
import { NotFoundException } from '@nestjs/common';
import { ApiError } from './errors';
import { faultOf } from './error-filter';

const client = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });

describe('faultOf: every error becomes an Octavia body', () => {
  it.each([
    ['Invalid', 400], ['NotFound', 404], ['IllegalState', 409], ['Conflict', 409], ['Forbidden', 403],
  ] as const)('maps DomainError %s to %i', (kind, status) => {
    expect(faultOf(new DomainError(kind, 'why'), 'POST')).toEqual({ status, body: client('why'), unexpected: false });
  });

  it('renders ApiErrors in WSME or pecan style', () => {
    expect(faultOf(new ApiError(400, 'bad'), 'POST').body).toEqual(client('bad'));
    expect(faultOf(new ApiError(404, 'Pool x not found.', 'pecan', 'Bad Request'), 'GET').body)
      .toEqual({ code: 404, title: 'Bad Request', description: 'Pool x not found.' });
  });

  it('answers unmatched routes with pecan 404, and PATCH with 405', () => {
    expect(faultOf(new NotFoundException('Cannot GET /x'), 'GET')).toEqual({ status: 404, body: { code: 404, title: 'Not Found', description: '' }, unexpected: false });
    expect(faultOf(new NotFoundException('Cannot PATCH /x'), 'PATCH')).toEqual({ status: 405, body: { code: 405, title: 'Method Not Allowed', description: '' }, unexpected: false });
  });

  it.each([
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'Request is not in valid JSON format'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'Request is not in valid JSON format'],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request is too large.'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'],
  ])('maps Fastify %s to %i', (code, status, message) => {
    expect(faultOf(Object.assign(new Error('x'), { code, statusCode: status }), 'POST')).toEqual({ status, body: client(message), unexpected: false });
  });

  it('maps store errors to 409 and 503', () => {
    expect(faultOf(new WrongExpectedSequence('lbaas.evt.lb.x', 3), 'POST').status).toBe(409);
    expect(faultOf(new EventStoreUnavailable('down'), 'POST')).toMatchObject({ status: 503, unexpected: false, retryAfter: true });
  });

  it('answers 503 with Retry-After, never 500, for what a JetStream election looks like when it reaches the api raw', () => {
    const jsApi503 = Object.assign(new NatsError('JetStream system temporarily unavailable', ErrorCode.ApiError), {
      api_error: { code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' },
    });
    for (const err of [
      new NatsError('timeout', ErrorCode.Timeout), new NatsError('no responders', ErrorCode.NoResponders),
      new NatsError('disconnect', ErrorCode.Disconnect), jsApi503, new ProjectionTimeout(9, 8, 10_000),
    ]) {
      expect(faultOf(err, 'POST')).toMatchObject({ status: 503, retryAfter: true, body: { faultcode: 'Server' } });
    }
    // a JetStream error that is no outage stays what it is
    const jsApi400 = Object.assign(new NatsError('bad request', ErrorCode.ApiError), { api_error: { code: 400, err_code: 10003, description: 'bad request' } });
    expect(faultOf(jsApi400, 'POST').status).toBe(500);
  });

  it('answers anything else with a 500 in the same format and flags it for the log', () => {
    expect(faultOf(new TypeError('boom'), 'GET')).toEqual({
      status: 500, body: { faultcode: 'Server', faultstring: 'Internal Server Error', debuginfo: null }, unexpected: true,
    });
  });
});
