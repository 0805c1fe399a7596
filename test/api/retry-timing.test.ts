import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  parseRetryAfter,
  retryDelay,
} from '../../src/api/index.js';

const mid = (): number => 0.5; // jitter factor exactly 1.0
const low = (): number => 0;
const high = (): number => 0.999999;

describe('retryDelay (compliance-api.md §5.10)', () => {
  it('waits retry-after on a 429', () => {
    expect(retryDelay(1, { status: 429, headers: { 'retry-after': '25' } }, mid)).toBe(25_000);
    expect(retryDelay(1, { status: 429, headers: { 'retry-after': '0.5' } }, mid)).toBe(500);
  });

  it('on repeated 429s treats retry-after as a floor under exponential backoff', () => {
    // remote-session budget: always retry-after: 1 (§5.8)
    expect(retryDelay(2, { status: 429, headers: { 'retry-after': '1' } }, mid)).toBe(1_000);
    expect(retryDelay(4, { status: 429, headers: { 'retry-after': '1' } }, mid)).toBe(4_000);
    expect(retryDelay(4, { status: 429, headers: { 'retry-after': '30' } }, mid)).toBe(30_000);
  });

  it('backs off exponentially on a 429 without retry-after', () => {
    expect(retryDelay(1, { status: 429 }, mid)).toBe(1_000);
    expect(retryDelay(3, { status: 429 }, mid)).toBe(4_000);
  });

  it('parses an HTTP-date retry-after against the given now', () => {
    const now = Date.parse('2026-04-21T14:38:00Z');
    expect(
      retryDelay(
        1,
        { status: 429, headers: { 'retry-after': 'Tue, 21 Apr 2026 14:38:25 GMT' }, nowMs: now },
        mid,
      ),
    ).toBe(25_000);
    expect(parseRetryAfter('garbage', now)).toBeUndefined();
    expect(parseRetryAfter('Tue, 21 Apr 2026 14:38:25 GMT')).toBeUndefined();
  });

  it("reads an HTTP-date retry-after against the response's own date header, not the local clock", () => {
    const headers = { date: 'Tue, 21 Apr 2026 14:38:00 GMT', 'retry-after': 'Tue, 21 Apr 2026 14:38:02 GMT' };
    const skewed = Date.parse('2026-04-26T09:00:00Z'); // the local clock, days away
    expect(retryDelay(1, { status: 429, headers, nowMs: skewed }, mid)).toBe(2_000);
  });

  it('backs off exponentially on a 429 whose retry-after is 0 or a date already past (no spinning)', () => {
    const past = {
      date: 'Tue, 21 Apr 2026 14:38:00 GMT',
      'retry-after': 'Tue, 21 Apr 2026 14:37:50 GMT',
      'anthropic-ratelimit-requests-reset': '2026-04-21T14:37:59Z',
    };
    const zero = { 'retry-after': '0', 'anthropic-ratelimit-requests-reset': '2026-04-21T14:37:59Z' };
    for (const headers of [past, zero]) {
      expect([1, 2, 3, 4].map((a) => retryDelay(a, { status: 429, headers }, mid))).toEqual([
        1_000, 2_000, 4_000, 8_000,
      ]);
    }
  });

  it.each([
    'ENOTFOUND',
    'EAI_NONAME',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ])('does not retry a network failure caused by %s', (cause) => {
    expect(retryDelay(1, { failure: 'network', cause }, mid)).toBeNull();
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EAI_AGAIN', 'UND_ERR_SOCKET'])(
    'retries a network failure caused by %s',
    (cause) => {
      expect(retryDelay(1, { failure: 'network', cause }, mid)).toBe(1_000);
    },
  );

  it('does not retry a body past its cap', () => {
    expect(retryDelay(1, { failure: 'too_large' }, mid)).toBeNull();
  });

  it.each([500, 502, 503, 504, 529])('retries %i with exponential backoff 1 s → 60 s', (status) => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((a) =>
      retryDelay(a, { status }, mid, { ...DEFAULT_RETRY_POLICY, maxAttempts: 99 }),
    );
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000]);
  });

  it('does not retry a 500 with x-should-retry: false', () => {
    expect(retryDelay(1, { status: 500, headers: { 'x-should-retry': 'false' } }, mid)).toBeNull();
    expect(retryDelay(1, { status: 500, headers: { 'x-should-retry': 'true' } }, mid)).toBe(1_000);
    expect(isRetryable({ status: 500, headers: { 'x-should-retry': 'False ' } })).toBe(false);
  });

  it.each([502, 503, 504, 529])('does not retry %i that says x-should-retry: false (§5.9)', (status) => {
    expect(retryDelay(1, { status, headers: {} }, mid)).toBe(1_000);
    expect(retryDelay(1, { status, headers: { 'x-should-retry': 'false' } }, mid)).toBeNull();
  });

  it.each([400, 401, 403, 404, 409, 422, 418])('does not retry %i', (status) => {
    expect(retryDelay(1, { status, headers: { 'retry-after': '1' } }, mid)).toBeNull();
    expect(retryDelay(1, { status, headers: { 'x-should-retry': 'false' } }, mid)).toBeNull();
  });

  it.each([400, 408, 409, 418, 413, 501, 599])(
    'retries %i with backoff when the server says x-should-retry: true',
    (status) => {
      const headers = { 'x-should-retry': ' True' };
      expect([1, 2, 3].map((a) => retryDelay(a, { status, headers }, mid))).toEqual([1_000, 2_000, 4_000]);
      expect(retryDelay(1, { status, headers: { ...headers, 'retry-after': '5' } }, mid)).toBe(5_000);
    },
  );

  it.each([401, 403, 404, 422])('never retries %i, even with x-should-retry: true', (status) => {
    expect(retryDelay(1, { status, headers: { 'x-should-retry': 'true' } }, mid)).toBeNull();
  });

  it.each(['timeout', 'network', 'truncated', 'checksum'] as const)('retries a %s failure', (failure) => {
    expect(retryDelay(2, { failure }, mid)).toBe(2_000);
  });

  it('does not retry an invalid response', () => {
    expect(retryDelay(1, { failure: 'invalid_response' }, mid)).toBeNull();
  });

  it('honours a 5xx retry-after as a minimum', () => {
    expect(retryDelay(1, { status: 503, headers: { 'retry-after': '7' } }, mid)).toBe(7_000);
    expect(retryDelay(5, { status: 503, headers: { 'retry-after': '7' } }, mid)).toBe(16_000);
  });

  it('stops at maxAttempts', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 };
    expect(retryDelay(2, { status: 503 }, mid, policy)).not.toBeNull();
    expect(retryDelay(3, { status: 503 }, mid, policy)).toBeNull();
    // 429s have their own, larger allowance
    expect(retryDelay(3, { status: 429, headers: { 'retry-after': '1' } }, mid, policy)).not.toBeNull();
    expect(retryDelay(50, { status: 429, headers: { 'retry-after': '1' } }, mid, policy)).toBeNull();
  });

  it('jitters within ±25 % but never below 1 s or above 60 s', () => {
    const p = DEFAULT_RETRY_POLICY;
    expect(backoffDelay(1, low, p)).toBe(1_000);
    expect(backoffDelay(1, high, p)).toBe(1_250);
    expect(backoffDelay(3, low, p)).toBe(3_000);
    expect(backoffDelay(3, high, p)).toBe(5_000);
    expect(backoffDelay(10, low, p)).toBe(45_000);
    expect(backoffDelay(10, high, p)).toBe(60_000);
    expect(backoffDelay(40, high, p)).toBe(60_000);
  });
});
