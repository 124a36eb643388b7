import { ErrorCode, NatsError } from 'nats';
import { CommitTooLarge, EventStoreUnavailable, WrongExpectedSequence } from './errors';
import { appendFailureReason, isTimeout, isTransient } from './nats-errors';

/** A JetStream API error as nats.js builds it from a server reply (status code and JetStream err_code). */
const apiError = (code: number, errCode: number, description: string) =>
  Object.assign(new NatsError(description, String(code)), { api_error: { code, err_code: errCode, description } });

describe('appendFailureReason', () => {
  it('names the fault behind an EventStoreUnavailable by its last NATS error', () => {
    const gaveUp = (cause: unknown) => new EventStoreUnavailable('append x: no answer after 9 attempts', { cause });
    expect(appendFailureReason(gaveUp(apiError(503, 10023, 'insufficient resources')))).toBe('insufficient_storage');
    expect(appendFailureReason(gaveUp(apiError(503, 10008, 'JetStream system temporarily unavailable')))).toBe('no_leader');
    expect(appendFailureReason(gaveUp(new NatsError('503', ErrorCode.NoResponders)))).toBe('no_leader');
    expect(appendFailureReason(gaveUp(new NatsError('TIMEOUT', ErrorCode.Timeout)))).toBe('timeout');
    expect(appendFailureReason(gaveUp(new NatsError('DISCONNECT', ErrorCode.Disconnect)))).toBe('disconnected');
    expect(appendFailureReason(new EventStoreUnavailable('append x: connection closed', { cause: new Error('closed') }))).toBe('disconnected');
    expect(appendFailureReason(gaveUp(undefined))).toBe('unavailable');
  });

  it('names a raw storage error (status 500, not retried) as insufficient_storage, and our own refusals as what they are', () => {
    expect(appendFailureReason(apiError(500, 10047, 'insufficient storage resources available'))).toBe('insufficient_storage');
    expect(appendFailureReason(new WrongExpectedSequence('s', 3))).toBe('conflict');
    expect(appendFailureReason(new CommitTooLarge('s', 10, 5))).toBe('too_large');
    expect(appendFailureReason(new TypeError('bug'))).toBe('other');
    expect(appendFailureReason(apiError(400, 10052, 'bad request'))).toBe('other');
  });

  it('timeouts are transient, and only they count as timeouts', () => {
    expect(isTimeout(new NatsError('TIMEOUT', ErrorCode.Timeout))).toBe(true);
    expect(isTimeout(new NatsError('408', ErrorCode.JetStream408RequestTimeout))).toBe(true);
    expect(isTimeout(new NatsError('503', ErrorCode.NoResponders))).toBe(false);
    expect(isTransient(new NatsError('TIMEOUT', ErrorCode.Timeout))).toBe(true);
  });
});

describe('isTransient', () => {
  it('retries a store out of space (10047 comes as a 500): the leader may move; what never gets through is a 503, not a 500', () => {
    expect(isTransient(apiError(500, 10047, 'insufficient storage resources available'))).toBe(true);
    expect(isTransient(apiError(400, 10071, 'wrong last sequence: 5'))).toBe(false);
  });
});
