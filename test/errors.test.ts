import { describe, expect, it } from 'vitest';
import { EXIT, ExportError, exitCodeFor } from '../src/errors.js';
import { runIdFromCut } from '../src/archive/bag-input.js';

describe('exit codes', () => {
  it('maps user mistakes to 2, interrupts to 130, everything else to 1', () => {
    expect(exitCodeFor(new ExportError('spec_invalid', 'x'))).toBe(EXIT.usage);
    expect(exitCodeFor(new ExportError('usage', 'x'))).toBe(2);
    expect(exitCodeFor(new ExportError('interrupted', 'x'))).toBe(130);
    expect(exitCodeFor(new ExportError('api_error', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('bug'))).toBe(1);
  });
});

describe('runIdFromCut', () => {
  it('formats the as-of cut as a compact UTC id', () => {
    expect(runIdFromCut('2026-11-22T10:13:00.000Z')).toBe('20261122T101300Z');
    expect(runIdFromCut('2026-11-22T11:13:00+01:00')).toBe('20261122T101300Z');
  });
});
