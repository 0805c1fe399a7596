/**
 * Adversity scenarios: latency, transient and permanent failures, eventual consistency
 * and live mutations. Every knob is off by default. A scenario is plain data, so it can come from
 * a named preset, a JSON/YAML file (`compliance-sandbox --scenario file.yaml`) or a test.
 */

/**
 * `429` (the shared budget spent by someone else) and `409` (with `x-should-retry: true`, a status
 * a client would not retry on its own) are drawn only when named in `transientKinds`.
 */
export type TransientKind = '500' | '502' | '503' | '504' | '529' | 'reset' | 'truncate' | '429' | '409';
export const TRANSIENT_KINDS: readonly TransientKind[] = [
  '500',
  '502',
  '503',
  '504',
  '529',
  'reset',
  'truncate',
  '429',
  '409',
];

export interface LatencyOptions {
  /** Uniform base latency range in ms. */
  minMs: number;
  maxMs: number;
  /** Fraction of requests that get `tailMs` extra (a slow tail). */
  tailRate?: number;
  tailMs?: number;
}

export interface FaultOptions {
  latency?: LatencyOptions;
  /** Fraction of /v1 requests (0..1) that fail transiently; decided per (URL, attempt) from the seed. */
  transientRate?: number;
  /**
   * Which transient failures to draw from (default: all but 429 and 409). `truncate` cuts a
   * download short.
   */
  transientKinds?: TransientKind[];
  /** This many files always answer 500 with `x-should-retry: false` (ids in /_sandbox/faults). */
  permanentFailures?: number;
  /** This many files are served with a Content-MD5 that never matches their bytes. */
  badContentMd5?: number;
  /**
   * This many files are served as the processed copy claude.ai stored (§3.10 newest): the bytes
   * differ from the listed size_bytes/md5, and Content-MD5 vouches for the served bytes.
   */
  processedCopies?: number;
  /** This many multi-file code-artifact versions come as a ZIP with an entry that escapes its folder (`../`). */
  unsafeZipVersions?: number;
  /** Every local-session call, the list included, answers 404 `Local sessions are not available.` (§5.5). */
  localSessionsUnavailable?: boolean;
  /**
   * This many local sessions answer retrieve and transcript with 503 `overloaded_error` "cannot
   * currently evaluate retention overrides for this session" and `x-should-retry: false` (§5.9).
   */
  retentionOverrideSessions?: number;
  /** This many code-artifact versions answer 503 "in flight" `inFlightTimes` times, then succeed. */
  inFlightVersions?: number;
  inFlightTimes?: number;
  /** Size of the remote-session endpoints' second budget (requests/min); undocumented, off by default. */
  remoteSessionRpm?: number;
}

export interface ConsistencyOptions {
  /** Activities become queryable this long after they happen (documented: 1 minute). */
  activityLagMs?: number;
  /** The updated_at index of chats and code artifacts lags writes by this much. */
  updatedAtLagMs?: number;
}

export type MutationKind =
  | 'new_chat'
  | 'new_message'
  | 'new_file'
  | 'new_project'
  | 'move_chat_to_project'
  | 'soft_delete_chat'
  | 'hard_delete_chat'
  | 'new_code_artifact'
  | 'new_code_artifact_behind'
  | 'new_code_artifact_version'
  | 'new_session_message';

export interface MutationOptions {
  /** Random mutations per minute of (sandbox) clock time, starting when the sandbox starts. */
  perMinute: number;
  /** Restrict the random draw to these kinds (default: all). */
  kinds?: MutationKind[];
}

export interface ActivityOptions {
  /**
   * Emit `compliance_api_accessed` for every authenticated /v1 request (§3.7). Off by default:
   * it makes the feed grow while it is read; pair it with `activityLagMs` as the real feed does.
   */
  apiAccessEvents?: boolean;
  /**
   * This many `compliance_api_accessed` events of an earlier collector in the day before the
   * world ends (§7.3: a collector's own reads can dominate the feed, ~6,000 a day), so the feed
   * runs to several full pages.
   */
  backlog?: number;
}

/**
 * Behaviours of the real API reported by peer integrations (§7.3) that are not its documented
 * default. A client must survive each of them.
 */
export interface QuirkOptions {
  /**
   * `false_on_full`: full activity pages say `has_more: false` while more events exist; `absent`:
   * no activity page carries `has_more` at all.
   */
  activityHasMore?: 'false_on_full' | 'absent';
  /** 429 `retry-after` as an HTTP-date (RFC 9110 §10.2.3) instead of seconds. */
  retryAfterDate?: boolean;
  /**
   * 429s whose `anthropic-ratelimit-requests-reset` is already past, with `retry-after: 0`
   * (`zero`) or no `retry-after` at all (`absent`).
   */
  pastReset?: 'zero' | 'absent';
}

export interface Scenario {
  faults?: FaultOptions;
  consistency?: ConsistencyOptions;
  mutations?: MutationOptions;
  activities?: ActivityOptions;
  quirks?: QuirkOptions;
}

export const SCENARIOS: Record<string, Scenario> = {
  calm: {},
  /** Realistic network: latency with a tail, a few transient failures. */
  flaky: {
    faults: {
      latency: { minMs: 50, maxMs: 400, tailRate: 0.02, tailMs: 1500 },
      transientRate: 0.03,
    },
  },
  /** Everything at once: failures, lag, live changes while an export runs. */
  hostile: {
    faults: {
      latency: { minMs: 20, maxMs: 200, tailRate: 0.01, tailMs: 1000 },
      transientRate: 0.05,
      permanentFailures: 2,
      badContentMd5: 1,
      inFlightVersions: 2,
      inFlightTimes: 3,
      remoteSessionRpm: 60,
    },
    consistency: { activityLagMs: 60_000, updatedAtLagMs: 30_000 },
    mutations: { perMinute: 30 },
    activities: { apiAccessEvents: true },
  },
};

/** Validate a scenario read from a file; returns the problems, each with its path. */
export function checkScenario(value: unknown): string[] {
  const problems: string[] = [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return ['/: must be a mapping'];
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v))
    if (!['faults', 'consistency', 'mutations', 'activities', 'quirks'].includes(k))
      problems.push(`/${k}: unknown key`);
  const num = (path: string, x: unknown, min: number, max: number): void => {
    if (x !== undefined && (typeof x !== 'number' || !(x >= min && x <= max)))
      problems.push(`${path}: must be a number in [${min}, ${max}]`);
  };
  const known = (path: string, obj: unknown, keys: string[]): void => {
    if (obj === undefined) return;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
      problems.push(`${path}: must be a mapping`);
    else for (const k of Object.keys(obj)) if (!keys.includes(k)) problems.push(`${path}/${k}: unknown key`);
  };
  // a section that is not a mapping was reported above; its fields are not read
  const section = (x: unknown): Record<string, unknown> | undefined =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
  known('/faults', v.faults, [
    'latency',
    'transientRate',
    'transientKinds',
    'permanentFailures',
    'badContentMd5',
    'processedCopies',
    'unsafeZipVersions',
    'localSessionsUnavailable',
    'retentionOverrideSessions',
    'inFlightVersions',
    'inFlightTimes',
    'remoteSessionRpm',
  ]);
  known('/consistency', v.consistency, ['activityLagMs', 'updatedAtLagMs']);
  known('/mutations', v.mutations, ['perMinute', 'kinds']);
  known('/activities', v.activities, ['apiAccessEvents', 'backlog']);
  known('/quirks', v.quirks, ['activityHasMore', 'retryAfterDate', 'pastReset']);
  const f = section(v.faults);
  if (f !== undefined) {
    known('/faults/latency', f.latency, ['minMs', 'maxMs', 'tailRate', 'tailMs']);
    const kinds = f.transientKinds;
    if (
      kinds !== undefined &&
      (!Array.isArray(kinds) || kinds.some((k) => !(TRANSIENT_KINDS as unknown[]).includes(String(k))))
    ) {
      problems.push(`/faults/transientKinds: must be a list of ${TRANSIENT_KINDS.join(', ')}`);
    }
    num('/faults/transientRate', f.transientRate, 0, 1);
    for (const k of [
      'permanentFailures',
      'badContentMd5',
      'processedCopies',
      'unsafeZipVersions',
      'retentionOverrideSessions',
      'inFlightVersions',
      'inFlightTimes',
      'remoteSessionRpm',
    ])
      num(`/faults/${k}`, f[k], 0, 1000);
    if (f.localSessionsUnavailable !== undefined && typeof f.localSessionsUnavailable !== 'boolean')
      problems.push('/faults/localSessionsUnavailable: must be true or false');
    const l = section(f.latency);
    if (l !== undefined) {
      num('/faults/latency/minMs', l.minMs, 0, 60_000);
      num('/faults/latency/maxMs', l.maxMs, 0, 60_000);
      num('/faults/latency/tailRate', l.tailRate, 0, 1);
      num('/faults/latency/tailMs', l.tailMs, 0, 600_000);
    }
  }
  const c = section(v.consistency);
  if (c !== undefined) {
    num('/consistency/activityLagMs', c.activityLagMs, 0, 86_400_000);
    num('/consistency/updatedAtLagMs', c.updatedAtLagMs, 0, 86_400_000);
  }
  const m = section(v.mutations);
  if (m !== undefined) {
    num('/mutations/perMinute', m.perMinute, 0, 100_000);
    if (typeof m.perMinute !== 'number') problems.push('/mutations/perMinute: required');
  }
  const a = section(v.activities);
  if (a !== undefined) num('/activities/backlog', a.backlog, 0, 1_000_000);
  const q = section(v.quirks);
  if (q !== undefined) {
    const oneOf = (path: string, x: unknown, values: unknown[]): void => {
      if (x !== undefined && !values.includes(x))
        problems.push(`${path}: must be one of ${values.map(String).join(', ')}`);
    };
    oneOf('/quirks/activityHasMore', q.activityHasMore, ['false_on_full', 'absent']);
    oneOf('/quirks/retryAfterDate', q.retryAfterDate, [true, false]);
    oneOf('/quirks/pastReset', q.pastReset, ['zero', 'absent']);
  }
  return problems;
}
