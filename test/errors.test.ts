import { describe, expect, expectTypeOf, it } from 'vitest';
import { ApiError, isApiError } from '../src/api/index.js';
import { ERROR_RULES, EXIT, ExportError, exitCodeFor, isExportError, type ErrorCode } from '../src/errors.js';
import { runIdFromCut } from '../src/archive/bag-input.js';

const CODES = Object.keys(ERROR_RULES) as ErrorCode[];
const target = { method: 'GET', path: '/v1/compliance/apps/chats', query: '' };
const apiError = (code: ErrorCode): ApiError =>
  new ApiError(code, {
    target,
    status: 404,
    errorType: 'not_found_error',
    detailCode: null,
    requestId: 'req_1',
    attempts: 1,
    failure: null,
    serverMessage: null,
  });

describe('ERROR_RULES', () => {
  it('has one row per code (checked by tsc), each with an exit code the README documents', () => {
    expectTypeOf<keyof typeof ERROR_RULES>().toEqualTypeOf<ErrorCode>();
    for (const code of CODES) {
      expect([EXIT.failure, EXIT.usage, EXIT.interrupted]).toContain(ERROR_RULES[code].exit);
    }
  });

  it('maps user mistakes to exit 2, interrupts to 130, everything else to 1', () => {
    const byExit = (exit: number): ErrorCode[] => CODES.filter((c) => ERROR_RULES[c].exit === exit).sort();
    expect(byExit(EXIT.usage)).toEqual(['spec_invalid', 'spec_state_mismatch', 'usage']);
    expect(byExit(EXIT.interrupted)).toEqual(['interrupted']);
    expect(byExit(EXIT.failure)).toHaveLength(CODES.length - 4);
  });

  it('stops a run on a missing or rejected key, a corrupt store, a full disk, an interrupt, a usage error or a bug', () => {
    expect(CODES.filter((c) => ERROR_RULES[c].stopsRun).sort()).toEqual([
      'api_key_missing',
      'api_key_rejected',
      'disk_full',
      'internal',
      'interrupted',
      'store_corrupt',
      'usage',
    ]);
  });

  it('names the gap of a per-item failure by its code, retryable when a rerun may help', () => {
    const gap = (code: ErrorCode): [string | undefined, boolean | undefined] => [
      ERROR_RULES[code].gapReason,
      ERROR_RULES[code].retryable,
    ];
    expect(gap('not_found')).toEqual(['not_found_after_listing', false]);
    expect(gap('scope_missing')).toEqual(['scope_missing', false]);
    expect(gap('checksum_mismatch')).toEqual(['checksum_mismatch', true]);
    expect(gap('body_truncated')).toEqual(['body_truncated', true]);
    expect(gap('response_too_large')).toEqual(['response_too_large', false]);
    expect(gap('pagination_loop')).toEqual(['pagination_loop', false]);
    for (const code of ['rate_limited', 'timeout', 'network_error', 'retries_exhausted'] as const) {
      expect(gap(code)).toEqual(['retries_exhausted', true]);
    }
    // Decided by the HTTP status in classify (422 file set, 5xx server error, else unavailable).
    expect(gap('api_error')).toEqual([undefined, undefined]);
    expect(gap('invalid_response')).toEqual([undefined, undefined]);
  });
});

describe('exitCodeFor', () => {
  it('reads the table for ExportErrors and gives 1 to anything else', () => {
    expect(exitCodeFor(new ExportError('spec_invalid', 'x'))).toBe(EXIT.usage);
    expect(exitCodeFor(new ExportError('usage', 'x'))).toBe(2);
    expect(exitCodeFor(new ExportError('interrupted', 'x'))).toBe(130);
    expect(exitCodeFor(new ExportError('api_error', 'x'))).toBe(1);
    expect(exitCodeFor(apiError('api_key_rejected'))).toBe(1);
    expect(exitCodeFor(new Error('bug'))).toBe(1);
    expect(exitCodeFor({ code: 'usage' })).toBe(1);
  });
});

describe('type guards', () => {
  it('isExportError and isApiError accept their class and subclasses only, not look-alikes', () => {
    const lookAlike = { name: 'ApiError', code: 'not_found', status: 404, message: 'x' };
    expect(
      [new ExportError('usage', 'x'), apiError('not_found'), new Error('x'), lookAlike, null].map(
        isExportError,
      ),
    ).toEqual([true, true, false, false, false]);
    expect([new ExportError('not_found', 'x'), apiError('not_found'), lookAlike].map(isApiError)).toEqual([
      false,
      true,
      false,
    ]);
  });
});

describe('runIdFromCut', () => {
  it('formats the as-of cut as a compact UTC id', () => {
    expect(runIdFromCut('2026-11-22T10:13:00.000Z')).toBe('20261122T101300Z');
    expect(runIdFromCut('2026-11-22T11:13:00+01:00')).toBe('20261122T101300Z');
  });
});
