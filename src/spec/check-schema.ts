/**
 * Shape check against schemas/job.schema.json with ajv (allErrors), turning ajv's errors into
 * findings with a stable code and a message a lawyer can act on. The schema is the single source
 * of truth for shape AND defaults: `applySchemaDefaults` fills defaults from its `default`s.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { error, withSuggestion, type Finding } from './finding.js';
import { joinPointer } from './parse-yaml.js';
import { closest } from './suggest.js';
import type { DiagnosticCode } from './types.js';

/** The schema file, read once. Works from src/spec (tsx, vitest) and dist/spec (built). */
const JOB_SCHEMA_URL = new URL('../../schemas/job.schema.json', import.meta.url);
export const JOB_SCHEMA = JSON.parse(readFileSync(JOB_SCHEMA_URL, 'utf8')) as SchemaNode;

export interface SchemaNode {
  description?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  $ref?: string;
  $defs?: Record<string, SchemaNode>;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  items?: SchemaNode;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  else?: SchemaNode;
  [k: string]: unknown;
}

function makeAjv(useDefaults: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    verbose: true,
    useDefaults,
  });
  addFormats.default(ajv);
  return ajv;
}

let checker: ValidateFunction | undefined;
let defaulter: ValidateFunction | undefined;

/** Every schema problem in `data`, at once. */
export function checkSchema(data: unknown): Finding[] {
  checker ??= makeAjv(false).compile(JOB_SCHEMA);
  if (checker(data)) return [];
  const findings = (checker.errors ?? []).flatMap((e) => toFinding(e));
  // One finding per (path, code): a bad timestamp fails both `format` and `pattern`.
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.path}\u0000${f.code}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A deep copy of schema-valid `data` with every schema default filled in. */
export function applySchemaDefaults<T>(data: unknown): T {
  defaulter ??= makeAjv(true).compile(JOB_SCHEMA);
  const copy = structuredClone(data);
  if (!defaulter(copy)) throw new Error('applySchemaDefaults called on data that fails the schema');
  return copy as T;
}

/** Friendly code + message for a schema location (a `$defs` entry or an inline property). */
const BY_LOCATION: [prefix: string, code: DiagnosticCode, message: string][] = [
  ['#/properties/version/', 'const', 'must be 1 (the only job-spec format version)'],
  [
    '#/properties/name/pattern',
    'slug',
    'must be a slug: lower-case letters, digits and hyphens, 1-63 characters, starting and ending with a letter or digit',
  ],
  [
    '#/properties/source/properties/base_url/format',
    'url',
    'must be an absolute URL such as https://api.anthropic.com',
  ],
  [
    '#/properties/source/properties/api_key_env/pattern',
    'env_name',
    'must be the NAME of an environment variable (letters, digits and underscores), never the key itself',
  ],
  [
    '#/properties/scope/properties/organizations/type',
    'organization_id',
    'must be "all" or a list of organization ids (org_...) or UUIDs',
  ],
  [
    '#/properties/scope/properties/organizations/then/',
    'organization_id',
    'must be "all" or a list of organization ids (org_...) or UUIDs',
  ],
  [
    '#/properties/scope/properties/custodians/type',
    'custodian',
    'must be "all" or a list of email addresses and/or user ids (user_...)',
  ],
  [
    '#/properties/scope/properties/custodians/then/',
    'custodian',
    'must be "all" or a list of email addresses and/or user ids (user_...)',
  ],
  [
    '#/properties/destination/properties/region/pattern',
    'region',
    'must be an AWS region name such as eu-west-1',
  ],
  [
    '#/properties/destination/properties/endpoint/format',
    'url',
    'must be an absolute URL such as http://127.0.0.1:4569',
  ],
  [
    '#/properties/review/properties/docid_prefix/pattern',
    'docid_prefix',
    'must be 1-20 upper-case letters, digits, _ or -, starting with a letter or digit, e.g. ACME',
  ],
  [
    '#/properties/archive/properties/bag_info/properties/contact_email/format',
    'email',
    'must be an email address such as legal-ops@acme.example',
  ],
  [
    '#/$defs/bag_info_text/pattern',
    'one_line',
    'must be one line of text: no line breaks, tabs or other control characters',
  ],
  ['#/$defs/duration/', 'duration', 'must be a duration such as 90s, 2m, 1h or 1h30m (units ms, s, m, h, d)'],
  ['#/$defs/size/', 'size', 'must be a size such as 64MiB or 1GiB (units B, KiB, MiB, GiB, KB, MB, GB)'],
  [
    '#/$defs/timestamp/',
    'timestamp',
    'must be an RFC 3339 timestamp with an offset, e.g. 2026-01-01T00:00:00Z',
  ],
  [
    '#/$defs/organization_id/',
    'organization_id',
    'must be an organization id (org_...) or an organization UUID',
  ],
  ['#/$defs/custodian/', 'custodian', 'must be an email address or a user id (user_...)'],
  [
    '#/$defs/activity_type_list/items/',
    'activity_type',
    'must be an Activity Feed type name such as claude_chat_created',
  ],
];

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  array: 'a list',
  null: 'empty',
};

function describe(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

/** Where every property name is allowed, for "this key belongs under /source". */
const HOMES: Map<string, string[]> = (() => {
  const homes = new Map<string, string[]>();
  const walk = (node: SchemaNode, path: string, depth: number): void => {
    if (depth > 6) return;
    const resolved = node.$ref?.startsWith('#/$defs/')
      ? { ...JOB_SCHEMA.$defs?.[node.$ref.slice(8)], ...node }
      : node;
    for (const [key, child] of Object.entries(resolved.properties ?? {})) {
      homes.set(key, [...(homes.get(key) ?? []), path === '' ? '/' : path]);
      walk(child, joinPointer(path, key), depth + 1);
    }
  };
  walk(JOB_SCHEMA, '', 0);
  return homes;
})();

/**
 * One ajv error as findings. Key errors (unknown, missing) come first, then a friendly message
 * for the schema location, then a generic one per keyword.
 */
function toFinding(e: ErrorObject): Finding[] {
  if (e.keyword === 'if') return []; // a summary of the then/else errors reported on their own
  const path = e.instancePath === '' ? '/' : e.instancePath;
  return [keyFinding(e, path) ?? locatedFinding(e, path) ?? keywordFinding(e, path)];
}

/** An unknown key (with a "did you mean" or where it belongs) or a missing required key. */
function keyFinding(e: ErrorObject, path: string): Finding | undefined {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as SchemaNode | undefined)?.properties ?? {});
      const guess = closest(key, allowed);
      const homes = (HOMES.get(key) ?? []).filter((h) => h !== path);
      let hint: string;
      if (guess !== undefined) hint = `; did you mean "${guess}"?`;
      else if (homes.length > 0) hint = `; "${key}" belongs under ${homes.join(' or ')}`;
      else hint = allowed.length > 0 ? ` (allowed here: ${allowed.join(', ')})` : '';
      return withSuggestion(
        error(joinPointer(path, key), 'unknown_key', `unknown key "${key}"${hint}`, 'key'),
        guess,
      );
    }
    case 'required': {
      const key = String(params.missingProperty);
      return error(joinPointer(path, key), 'required', `missing required key "${key}"`);
    }
    default:
      return undefined;
  }
}

/** The code and message BY_LOCATION gives the failing schema location, if it names one. */
function locatedFinding(e: ErrorObject, path: string): Finding | undefined {
  const located = BY_LOCATION.find(([prefix]) => e.schemaPath.startsWith(prefix));
  if (located === undefined) return undefined;
  const [, code, message] = located;
  if (e.data === 'all' && /\/\d+$/.test(path))
    return error(path, code, '"all" cannot be an item of a list: write `all` on its own, without brackets');
  const found = e.keyword === 'type' || e.keyword === 'const' ? ` (found ${describe(e.data)})` : '';
  return error(path, code, `${message}${found}`);
}

/** A generic message per ajv keyword, for schema locations BY_LOCATION does not name. */
function keywordFinding(e: ErrorObject, path: string): Finding {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': {
      const expected = ([] as string[]).concat(params.type as string | string[]);
      const words = expected.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
      return error(path, 'type', `must be ${words} (found ${describe(e.data)})`);
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      const hint = guess !== undefined ? `; did you mean "${guess}"?` : '';
      return withSuggestion(
        error(path, 'enum', `must be one of: ${allowed.join(', ')} (found ${describe(e.data)})${hint}`),
        guess,
      );
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return error(path, 'range', `must be ${e.message ?? 'in range'} (found ${describe(e.data)})`);
    case 'minItems':
      return error(path, 'empty', 'must not be an empty list (leave the key out, or write `all`, instead)');
    case 'minProperties':
      return error(
        path,
        'empty',
        'must not be empty: give a lower bound (gte or gt) and/or an upper bound (lt or lte)',
      );
    case 'minLength':
      return error(path, 'empty', 'must not be empty');
    case 'maxLength':
      return error(path, 'length', `must be at most ${String(params.limit)} characters`);
    case 'uniqueItems':
      return error(
        joinPointer(path, String(params.i)),
        'duplicate_item',
        `duplicate list item (the same as item ${String(params.j)})`,
      );
    case 'pattern':
      return error(path, 'pattern', `must match ${String(params.pattern)}`);
    case 'format':
      return error(path, 'pattern', `must be a valid ${String(params.format)}`);
    default:
      return error(path, 'schema', e.message ?? `fails the schema (${e.keyword})`);
  }
}
