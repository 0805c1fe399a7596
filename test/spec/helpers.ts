import { loadSpecText, SpecError } from '../../src/spec/index.js';
import type { Diagnostic, LoadedSpec } from '../../src/spec/index.js';

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
