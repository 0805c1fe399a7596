/**
 * Schema-valid document → ResolvedJobSpec: defaults from the schema, then the derived `_ms` /
 * `_bytes` numbers, then the canonical JSON and its SHA-256.
 */
import { createHash } from 'node:crypto';
import { applySchemaDefaults } from './check-schema.js';
import { parseDuration, parseSize } from './units.js';
import type { ResolvedJobSpec } from './types.js';

/** The document as the schema describes it (no derived fields); what overrides are applied to. */
export type SpecDocument = Record<string, unknown>;

const DERIVED = /_(?:ms|bytes)$/;

function ms(text: string): number {
  const v = parseDuration(text);
  if (v === undefined) throw new Error(`not a duration: ${text}`);
  return v;
}

export function resolveSpec(doc: SpecDocument): ResolvedJobSpec {
  // Same shape as ResolvedJobSpec minus the derived numbers, which are filled in below.
  const s = applySchemaDefaults<ResolvedJobSpec>(doc);
  const t = s.source.timeouts;
  t.connect_ms = ms(t.connect);
  t.headers_ms = ms(t.headers);
  t.body_idle_ms = ms(t.body_idle);
  s.source.base_url = s.source.base_url.replace(/\/+$/, '');
  const c = s.consistency;
  c.indexing_lag_ms = ms(c.indexing_lag);
  c.overlap_ms = ms(c.overlap);
  c.quiescence.interval_ms = ms(c.quiescence.interval);
  const bytes = parseSize(s.archive.max_part_size);
  if (bytes === undefined) throw new Error(`not a size: ${s.archive.max_part_size}`);
  s.archive.max_part_size_bytes = bytes;
  return s;
}

/** The resolved spec without derived fields: valid against the schema again. */
export function toSpecDocument(spec: ResolvedJobSpec): SpecDocument {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([k]) => !DERIVED.test(k))
          .map(([k, x]) => [k, strip(x)]),
      );
    return v;
  };
  return strip(spec) as SpecDocument;
}

/** JSON with object keys sorted at every level and no whitespace (RFC 8785-like for our data). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
