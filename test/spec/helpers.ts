import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../src/errors.js';
import { loadSpecText, SpecError } from '../../src/spec/index.js';
import type { Diagnostic, DiagnosticCode, LoadedSpec } from '../../src/spec/index.js';

/** A fixed clock, so "in the future" rules do not depend on when the tests run. */
export const NOW = new Date('2026-11-22T12:00:00Z');
/** The key variable is set, so valid specs load without the api_key_env_unset warning. */
export const ENV = { ANTHROPIC_COMPLIANCE_ACCESS_KEY: 'test-key-not-a-real-one' };

/** The smallest valid spec; tests splice lines into it. */
export const MINIMAL = ['version: 1', 'name: t', 'scope: {}', 'destination:', '  uri: out/archives'];

export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

export function load(text: string, now: Date = NOW): LoadedSpec {
  return loadSpecText(text, 'job.yaml', { now, env: ENV });
}

/** Load text expected to fail; returns the SpecError. */
export function fail(text: string): SpecError {
  try {
    load(text);
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error(`expected a SpecError for:\n${text}`);
}

export function errorsOf(e: SpecError): Diagnostic[] {
  return e.diagnostics.filter((d) => d.severity === 'error');
}

/** One invalid spec and the diagnostic it must produce. */
export interface InvalidCase {
  name: string;
  text: string;
  code: DiagnosticCode;
  path: string;
  line: number;
  suggestion?: string;
}

export const HEAD = ['version: 1', 'name: t'];
export const LOCAL_DEST = ['destination:', '  uri: out/archives'];
export const S3_DEST = ['destination:', '  uri: s3://bucket-a/exports'];

/** One spec with exactly the listed scope lines (lines 3.. of the file). */
export const withScope = (...scope: string[]): string => yaml(...HEAD, 'scope:', ...scope, ...LOCAL_DEST);

/**
 * Each case must fail with exit code 2 and a diagnostic with its code, JSON path and line, rendered
 * as `job.yaml:<line>:<col>: <path>: …` (then the source line and a caret).
 */
export function describeInvalidCases(title: string, cases: InvalidCase[], minimum: number): void {
  describe(title, () => {
    it(`has at least ${minimum} cases`, () => {
      expect(cases.length).toBeGreaterThanOrEqual(minimum);
    });

    it.each(cases)('$name → $code at $path line $line', (c) => {
      const e = fail(c.text);
      expect(e.code).toBe('spec_invalid');
      expect(exitCodeFor(e)).toBe(EXIT.usage);
      const hit = errorsOf(e).find((d) => d.code === c.code && d.path === c.path);
      expect(hit, JSON.stringify(e.diagnostics, null, 1)).toBeDefined();
      expect(hit!.line).toBe(c.line);
      expect(hit!.col).toBeGreaterThanOrEqual(1);
      expect(hit!.file).toBe('job.yaml');
      if (c.suggestion !== undefined) expect(hit!.suggestion).toBe(c.suggestion);
      expect(e.format()).toContain(`job.yaml:${hit!.line}:${hit!.col}: ${c.path}: `);
    });
  });
}
