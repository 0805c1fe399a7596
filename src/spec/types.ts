/**
 * The job spec as the rest of the tool sees it. `schemas/job.schema.json` is the single source of
 * truth; these types mirror it and test/spec/types-schema.test.ts fails when the two disagree.
 *
 * How to use it (other stages):
 *
 *   import { loadSpecFile } from '../spec/index.js';
 *   const { spec, sha256, canonicalJson, sourceText } = await loadSpecFile('jobs/hold.yaml');
 *
 * Design points the pipeline relies on:
 * - Field names are the YAML names (snake_case), so `canonicalJson` reads like the file.
 * - Every default is filled: nothing below is optional unless the schema has no default for it
 *   (windows, activity filters, destination options that only make sense when given).
 * - Durations keep the text the user wrote AND carry a parallel `<name>_ms` number
 *   (`consistency.indexing_lag` = "1m", `consistency.indexing_lag_ms` = 60000); sizes likewise
 *   carry `<name>_bytes`. Use the numbers; the text is for humans and the hash.
 * - `scope.organizations` / `scope.custodians` are the literal `'all'` or a non-empty list.
 * - Time-window bounds stay RFC 3339 strings as written (they were checked to parse, to be
 *   ordered and not to lie in the future); `Date.parse` them where needed.
 * - Relative `state_dir` and local destination paths are kept as written and are relative to the
 *   process working directory at run time, so the spec hash does not depend on the machine.
 * - `canonicalJson` is the resolved spec with object keys sorted, no whitespace; `sha256` is the
 *   hex SHA-256 of its UTF-8 bytes (recorded in bag-info.txt and the custody log). It changes when
 *   any effective setting changes, including a default filled in or an override applied.
 * - The API key never appears here: only the NAME of the env variable (`source.api_key_env`).
 * - Loading is pure: no network, no I/O besides reading the file. `now` (for "not in the future"
 *   rules) and `env` (only for warnings, e.g. the key variable is unset) are injectable.
 */

/** Every content kind a job can include, in the schema's order (pinned to the schema by a test). */
export const CONTENT_KINDS = [
  'directory',
  'activities',
  'chats',
  'files',
  'generated_files',
  'chat_artifacts',
  'projects',
  'code_artifacts',
  'sessions',
] as const;

export type ContentKind = (typeof CONTENT_KINDS)[number];

/** At most one lower (`gte` | `gt`) and one upper (`lt` | `lte`) bound, RFC 3339 with an offset. */
export interface TimeWindow {
  gte?: string;
  gt?: string;
  lt?: string;
  lte?: string;
}

export interface ResolvedTimeouts {
  connect: string;
  connect_ms: number;
  headers: string;
  headers_ms: number;
  body_idle: string;
  body_idle_ms: number;
}

export interface ResolvedSource {
  /** Origin without a trailing slash, e.g. `https://api.anthropic.com`. */
  base_url: string;
  /** Name of the env variable that holds the key (never the key). */
  api_key_env: string;
  requests_per_minute: number;
  allow_above_documented_limit: boolean;
  max_concurrency: number;
  timeouts: ResolvedTimeouts;
}

export interface ResolvedScope {
  organizations: 'all' | string[];
  /** Emails and/or `user_…` ids, as written. */
  custodians: 'all' | string[];
  include: ContentKind[];
  created_at?: TimeWindow;
  updated_at?: TimeWindow;
  activity_types?: string[];
  exclude_activity_types?: string[];
}

export interface ResolvedQuiescence {
  interval: string;
  interval_ms: number;
  max_passes: number;
}

export interface ResolvedConsistency {
  indexing_lag: string;
  indexing_lag_ms: number;
  overlap: string;
  overlap_ms: number;
  quiescence: ResolvedQuiescence;
}

export type CompressionPolicy = 'auto' | 'deflate' | 'store';

export interface ResolvedArchive {
  compression: CompressionPolicy;
  max_part_size: string;
  max_part_size_bytes: number;
  /** Volumes of at most this many payload bytes (src/seal/volume-plan.ts); off when left out (not defaulted: specs without it keep their hash). */
  max_volume_size?: string;
  /** Left out when not given (no default), so specs without it keep their hash. */
  bag_info?: BagInfoSpec;
}

/** `archive.bag_info`: reserved bag-info.txt fields, each one line of text (the schema checks it). */
export interface BagInfoSpec {
  source_organization?: string;
  contact_name?: string;
  contact_email?: string;
  bag_group_identifier?: string;
}

/** `review`: how the review copy under `data/review/` is labelled. Use `docidPrefixOf`. */
export interface ResolvedReview {
  docid_prefix?: string;
}

export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

export type StorageClass =
  | 'STANDARD'
  | 'STANDARD_IA'
  | 'ONEZONE_IA'
  | 'INTELLIGENT_TIERING'
  | 'GLACIER_IR'
  | 'GLACIER'
  | 'DEEP_ARCHIVE';

export interface ResolvedObjectLock {
  /** Present whenever retain_until or retain_days is (the loader enforces the pairing). */
  mode?: ObjectLockMode;
  retain_until?: string;
  retain_days?: number;
  legal_hold: boolean;
}

export interface ResolvedDestination {
  /** `s3://bucket/prefix`, `file:///path` or a local path. Use `parseDestinationUri()`. */
  uri: string;
  region?: string;
  endpoint?: string;
  force_path_style: boolean;
  sse?: { kms_key_id: string };
  object_lock?: ResolvedObjectLock;
  storage_class?: StorageClass;
  /** Local destinations: the archive files' mode as an octal string (`0600` when absent). */
  file_mode?: string;
}

export type OnMissingScope = 'error' | 'record_gap';

export interface ResolvedJobSpec {
  version: 1;
  name: string;
  matter?: string;
  description?: string;
  source: ResolvedSource;
  scope: ResolvedScope;
  consistency: ResolvedConsistency;
  archive: ResolvedArchive;
  /** Left out when not given (no default), so specs without it keep their hash. */
  review?: ResolvedReview;
  destination: ResolvedDestination;
  state_dir: string;
  /** Left out: `retain` is `index` (see `retainOf`); not defaulted, so older specs keep their hash. */
  state?: { retain?: StateRetain };
  /** Left out when not given: the job is not a snapshot series (see `snapshotModeOf`). */
  snapshot?: { mode: SnapshotMode; max_chain?: number };
  on_missing_scope: OnMissingScope;
}

/** How each snapshot of a series is taken (`snapshot.mode`). */
export type SnapshotMode = 'full' | 'incremental';

/** The job's snapshot mode, or null when it is not a snapshot series (a rerun ships nothing new). */
export function snapshotModeOf(spec: Pick<ResolvedJobSpec, 'snapshot'>): SnapshotMode | null {
  return spec.snapshot?.mode ?? null;
}

/** What of the state folder stays after a verified ship (src/store/retain.ts). */
export type StateRetain = 'all' | 'index' | 'none';

/** The spec's `state.retain`, `index` when not given. */
export function retainOf(spec: Pick<ResolvedJobSpec, 'state'>): StateRetain {
  return spec.state?.retain ?? 'index';
}

/** The shape of a DOCID prefix (`review.docid_prefix` in the schema). */
const DOCID_PREFIX = /^[A-Z0-9][A-Z0-9_-]{0,19}$/;

/**
 * The DOCID prefix this job uses: `review.docid_prefix` when given, else the job name upper-cased
 * (`demo` → `DEMO`), characters outside the prefix alphabet replaced by `_`, cut to 20 characters
 * and without a trailing `-` or `_`. Not filled into the resolved spec: it follows from the name,
 * which the spec hash already covers, and older specs keep their hash.
 */
export function docidPrefixOf(spec: Pick<ResolvedJobSpec, 'name' | 'review'>): string {
  const given = spec.review?.docid_prefix;
  if (given !== undefined) return given;
  const derived = spec.name
    .toUpperCase()
    .replace(/[^A-Z0-9_-]/gu, '_')
    .slice(0, 20)
    .replace(/[-_]+$/u, '');
  // A schema-valid name starts with a letter or digit, so `derived` is never empty; a name that
  // does not (only possible for a spec built by hand) falls back to a fixed prefix.
  return DOCID_PREFIX.test(derived) ? derived : 'DOC';
}

/** Where the archive goes, parsed from `destination.uri`. */
export type DestinationTarget =
  | { kind: 's3'; bucket: string; /** no leading or trailing slash; '' for the bucket root */ prefix: string }
  | { kind: 'local'; /** as written (file:// stripped); relative to the working directory */ path: string };

/**
 * Stable machine codes for diagnostics. Tests and callers branch on these, never on messages.
 */
export type DiagnosticCode =
  | 'file_unreadable'
  | 'file_too_large'
  | 'yaml_syntax'
  | 'yaml_duplicate_key'
  | 'yaml_multiple_documents'
  | 'not_a_mapping'
  | 'unknown_key'
  | 'required'
  | 'type'
  | 'enum'
  | 'const'
  | 'pattern'
  | 'slug'
  | 'range'
  | 'length'
  | 'duplicate_item'
  | 'empty'
  | 'url'
  | 'duration'
  | 'size'
  | 'timestamp'
  | 'organization_id'
  | 'custodian'
  | 'env_name'
  | 'region'
  | 'window_bounds'
  | 'window_order'
  | 'window_future'
  | 'rpm_over_limit'
  | 'insecure_base_url'
  | 'base_url_path'
  | 'insecure_endpoint'
  | 'destination_uri'
  | 's3_uri'
  | 's3_option_on_local'
  | 'local_option_on_s3'
  | 'object_lock_incomplete'
  | 'retain_until_past'
  | 'part_size'
  | 'volume_size'
  | 'activity_filter_conflict'
  | 'activity_filter_unused'
  | 'activity_type'
  | 'unknown_activity_type'
  | 'consistency_margin'
  | 'docid_prefix'
  | 'email'
  | 'one_line'
  | 'api_key_env_unset'
  | 'api_key_in_file'
  | 'schema';

export type Severity = 'error' | 'warning';

/**
 * One problem, positioned in the source. `line`/`col` are 1-based; 0 when there is no position
 * (unreadable file). `path` is a JSON Pointer into the document (`/scope/created_at/gte`), `/` for
 * the document root.
 */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
  code: DiagnosticCode;
  severity: Severity;
  /** "Did you mean" candidate for unknown keys, enum values and activity types. */
  suggestion?: string;
}

export interface LoadedSpec {
  spec: ResolvedJobSpec;
  /** The file exactly as read (archived as `reports/job.yaml`). */
  sourceText: string;
  canonicalJson: string;
  sha256: string;
  fileName: string;
  /** Non-fatal findings (unknown activity type, key variable unset, ...). */
  warnings: Diagnostic[];
}

export interface LoadOptions {
  /** Clock for "not in the future" rules. Default: new Date(). */
  now?: Date;
  /** Environment for warnings only (is `api_key_env` set?). Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Run-time overrides the demo and tests apply to a loaded spec (see `applyOverrides`). */
export interface SpecOverrides {
  base_url?: string;
  destination_uri?: string;
  destination_endpoint?: string;
  state_dir?: string;
  requests_per_minute?: number;
}
