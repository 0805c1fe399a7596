/**
 * Query-string validation with the API's wire rules (§2): bracket array params, dot-notation
 * ranges, unknown params rejected with a suggestion, pydantic-style value messages (§5.2).
 */
import { badRequest } from './errors.js';

export type ParamSpec =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'datetime'; requireTz?: boolean }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'string' }
  | { kind: 'array'; maxItems?: number; check?: (value: string) => string | null };

export type ParamSpecs = Record<string, ParamSpec>;

export const RANGE_OPS = ['gt', 'gte', 'lt', 'lte'] as const;
export type RangeOp = (typeof RANGE_OPS)[number];
export type TimeRange = Partial<Record<RangeOp, number>>;

/** `created_at.gt` … `created_at.lte` as datetime params. */
export function rangeParams(
  field: string,
  ops: readonly RangeOp[] = RANGE_OPS,
  requireTz = false,
): ParamSpecs {
  const out: ParamSpecs = {};
  for (const op of ops) out[`${field}.${op}`] = { kind: 'datetime', requireTz };
  return out;
}

export function limitParam(max: number): ParamSpecs {
  return { limit: { kind: 'int', min: 1, max } };
}

export class Query {
  private readonly values = new Map<string, string | number | string[]>();

  constructor(entries: Iterable<[string, string]>, specs: ParamSpecs) {
    for (const [name, raw] of entries) {
      const spec = specs[name];
      if (spec === undefined) {
        const hint = suggest(name, Object.keys(specs));
        throw badRequest(
          `Unknown query parameter: '${name}'.${hint === null ? '' : ` Did you mean '${hint}'?`}`,
        );
      }
      if (spec.kind === 'array') {
        const list = (this.values.get(name) as string[] | undefined) ?? [];
        const problem = spec.check?.(raw) ?? null;
        if (problem !== null) throw badRequest(`${name}.${list.length}: ${problem}`);
        list.push(raw);
        this.values.set(name, list);
        if (spec.maxItems !== undefined && list.length > spec.maxItems) {
          throw badRequest(
            `${name}: List should have at most ${spec.maxItems} items after validation, not ${list.length}`,
          );
        }
      } else {
        this.values.set(name, parseScalar(name, raw, spec));
      }
    }
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  str(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  int(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  range(field: string): TimeRange {
    const out: TimeRange = {};
    for (const op of RANGE_OPS) {
      const v = this.values.get(`${field}.${op}`);
      if (typeof v === 'number') out[op] = v;
    }
    return out;
  }

  hasRange(field: string): boolean {
    return RANGE_OPS.some((op) => this.values.has(`${field}.${op}`));
  }
}

/** Multiple operators are AND-ed (§4.2). */
export function inRange(t: number, r: TimeRange): boolean {
  return (
    (r.gt === undefined || t > r.gt) &&
    (r.gte === undefined || t >= r.gte) &&
    (r.lt === undefined || t < r.lt) &&
    (r.lte === undefined || t <= r.lte)
  );
}

function parseScalar(
  name: string,
  raw: string,
  spec: Exclude<ParamSpec, { kind: 'array' }>,
): string | number {
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) {
        throw badRequest(`${name}: Input should be a valid integer, unable to parse string as an integer`);
      }
      const n = Number(raw.trim());
      if (n > spec.max) throw badRequest(`${name}: Input should be less than or equal to ${spec.max}`);
      if (n < spec.min) throw badRequest(`${name}: Input should be greater than or equal to ${spec.min}`);
      return n;
    }
    case 'datetime':
      return parseDatetime(name, raw, spec.requireTz === true);
    case 'enum':
      if (!spec.values.includes(raw)) {
        const quoted = spec.values.map((v) => `'${v}'`);
        const last = quoted.pop();
        throw badRequest(
          `${name}: Input should be ${quoted.length > 0 ? `${quoted.join(', ')} or ` : ''}${last ?? ''}`,
        );
      }
      return raw;
    case 'string':
      return raw;
  }
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/;

/** RFC 3339 (or a bare date) → ms. Naive values are read as UTC unless `requireTz`. */
export function parseDatetime(name: string, raw: string, requireTz: boolean): number {
  const fail = (why: string): never => {
    throw badRequest(`${name}: Input should be a valid datetime or date, ${why}`);
  };
  if (!/^\d{4}/.test(raw)) fail('invalid character in year');
  if (raw.length < 10) fail('input is too short');
  const m = DATETIME.exec(raw);
  if (m === null) {
    if (!/^\d{4}-\d{2}-\d{2}/.test(raw)) fail('invalid date separator, expected `-`');
    return fail('unexpected extra characters at the end of the input');
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', tz] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) fail('month value is outside expected range of 1-12');
  if (day < 1 || day > new Date(Date.UTC(Number(y), month, 0)).getUTCDate())
    fail('day value is outside expected range');
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) fail('invalid time');
  if (tz === undefined && requireTz) throw badRequest(`${name}: Input should have timezone info`);
  let offsetMin = 0;
  if (tz !== undefined && tz.toUpperCase() !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  return Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s), ms) - offsetMin * 60_000;
}

/** The near miss for an unknown parameter name, or null. */
export function suggest(name: string, known: readonly string[]): string | null {
  const bracketed = /^(.+)\[(\w+)\]$/.exec(name);
  if (bracketed !== null) {
    const dotted = `${bracketed[1]}.${bracketed[2]}`;
    if (known.includes(dotted)) return dotted;
  }
  if (known.includes(`${name}[]`)) return `${name}[]`;
  if (name.endsWith('[]') && known.includes(name.slice(0, -2))) return name.slice(0, -2);
  let best: string | null = null;
  let bestDist = 3;
  for (const k of known) {
    const dist = levenshtein(name, k);
    if (dist < bestDist) {
      best = k;
      bestDist = dist;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] ?? 0;
      prev[j] = Math.min((prev[j] ?? 0) + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] ?? 0;
}
