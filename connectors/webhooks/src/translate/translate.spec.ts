import { classify, nextDelay, parseRetryAfter } from './schedule';
import { eventFilterProblem, toPayload, wantsEvent } from './payload';
import { sign } from './signature';
import { isForbiddenAddress } from '../transport/ssrf';

describe('webhook translation (pure)', () => {
  it('classifies answers: 2xx delivered, 410 gone, 3xx and errors retried, Retry-After only on throttling', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(classify({ kind: 'response', status: 204, durationMs: 1 }, now)).toEqual({ kind: 'delivered' });
    expect(classify({ kind: 'response', status: 410, durationMs: 1 }, now)).toEqual({ kind: 'gone' });
    expect(classify({ kind: 'response', status: 301, location: 'https://x', durationMs: 1 }, now)).toMatchObject({ kind: 'retry' });
    expect(classify({ kind: 'response', status: 429, retryAfter: '30', durationMs: 1 }, now)).toEqual({ kind: 'retry', error: 'HTTP 429', minDelayMs: 30_000 });
    expect(classify({ kind: 'response', status: 503, retryAfter: 'Wed, 25 Nov 2026 10:02:00 GMT', durationMs: 1 }, now)).toMatchObject({ minDelayMs: 120_000 });
    expect(classify({ kind: 'response', status: 500, retryAfter: '30', durationMs: 1 }, now)).toEqual({ kind: 'retry', error: 'HTTP 500' });
    expect(classify({ kind: 'error', code: 'timeout', error: 'slow', durationMs: 15000 }, now)).toEqual({ kind: 'retry', error: 'slow' });
  });

  it('reads Retry-After as seconds or a date, capped at a day', () => {
    expect(parseRetryAfter('5', 0)).toBe(5000);
    expect(parseRetryAfter('999999', 0)).toBe(86_400_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });

  it('jitters up to +20 % and honours a longer Retry-After', () => {
    expect(nextDelay(1, [5000], () => 1)).toBe(6000);
    expect(nextDelay(1, [5000], () => 0, 60_000)).toBe(60_000);
    expect(nextDelay(2, [5000], () => 0)).toBeUndefined();
  });

  it('filters events by type and pattern, and validates filters', () => {
    expect(wantsEvent([], 'card.issued')).toBe(true);
    expect(wantsEvent(['checkout.*'], 'checkout.refunded')).toBe(true);
    expect(wantsEvent(['checkout.*'], 'card.issued')).toBe(false);
    expect(eventFilterProblem('checkout.committed')).toBeUndefined();
    expect(eventFilterProblem('card.#')).toBeUndefined();
    expect(eventFilterProblem('checkout.nope')).toMatch(/unknown/);
    expect(eventFilterProblem('Bad Type')).toBeDefined();
  });

  it('builds the thin payload and the v1 signature of the Standard Webhooks spec example', () => {
    expect(toPayload({ id: 'm', type: 'card.issued', businessId: 'b', occurredAt: '2026-11-25T10:00:00.000Z', data: { a: 1 } })).toEqual({
      type: 'card.issued',
      timestamp: '2026-11-25T10:00:00.000Z',
      data: { a: 1 },
    });
    // The example from the Standard Webhooks specification.
    const sig = sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('forbids private, loopback, link-local, multicast, metadata and mapped addresses', () => {
    for (const a of [
      '10.0.0.1',
      '127.0.0.1',
      '169.254.169.254',
      '172.16.5.4',
      '192.168.0.1',
      '100.100.100.200',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      'fe80::1',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::10.0.0.1',
    ]) {
      expect([a, isForbiddenAddress(a)]).toEqual([a, true]);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect([a, isForbiddenAddress(a)]).toEqual([a, false]);
  });
});
