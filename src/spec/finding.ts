import type { DiagnosticCode, Severity } from './types.js';

/**
 * A problem before it is positioned in the source: rule functions and the schema check produce
 * these from plain data; the loader maps `path` (or `offset`) to a line and column.
 */
export interface Finding {
  path: string;
  code: DiagnosticCode;
  message: string;
  severity: Severity;
  /** Point at the mapping key rather than its value (unknown keys). */
  at?: 'key' | 'value';
  /** Exact source offset when known (YAML errors, a pasted key); wins over `path`. */
  offset?: number;
  /** The "did you mean" candidate, for machines (the message says it for humans). */
  suggestion?: string;
}

export function withSuggestion(f: Finding, suggestion: string | undefined): Finding {
  return suggestion === undefined ? f : { ...f, suggestion };
}

export function error(path: string, code: DiagnosticCode, message: string, at?: 'key'): Finding {
  return at === undefined
    ? { path, code, message, severity: 'error' }
    : { path, code, message, severity: 'error', at };
}

export function warning(path: string, code: DiagnosticCode, message: string): Finding {
  return { path, code, message, severity: 'warning' };
}

/** Anything that looks like an Anthropic key: `sk-ant-` followed by a key body. */
export const API_KEY_PATTERN = /sk-ant-[A-Za-z0-9_-]{6,}/g;

/** Never echo a key, even in an error about the key. */
export function redactKeys(text: string): string {
  return text.replace(API_KEY_PATTERN, 'sk-ant-****');
}
