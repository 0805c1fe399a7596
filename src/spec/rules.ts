/**
 * Semantic rules: what the schema cannot say. Each rule is a small pure function over the raw
 * document (which may still have shape errors, so every read is guarded) and returns findings;
 * all of them run, so the user sees every problem at once (changesets `rules.ts` style).
 */
import { KNOWN_ACTIVITY_TYPES } from './activity-types.js';
import { checkDestinationUri, isLoopbackHost } from './destination.js';
import { error, warning, withSuggestion, type Finding } from './finding.js';
import { closest } from './suggest.js';
import { formatDuration, parseDuration, parseSize } from './units.js';

export interface RuleContext {
  now: Date;
  env: NodeJS.ProcessEnv;
}

type Rule = (doc: Record<string, unknown>, ctx: RuleContext) => Finding[];

/** The documented Compliance API limit: 600 requests per minute per parent org (api §5.8). */
export const DOCUMENTED_RPM_LIMIT = 600;
const MIN_PART_BYTES = 5 * 1024 ** 2;
const MIN_VOLUME_BYTES = 1024 ** 2;
const MAX_PART_BYTES = 5 * 1024 ** 3;
/** Activities become queryable within one minute (api §4.2). */
const DOCUMENTED_INDEXING_LAG_MS = 60_000;

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
const TIMESTAMP_SHAPE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;
function isTimestamp(v: unknown): v is string {
  return typeof v === 'string' && TIMESTAMP_SHAPE.test(v) && !Number.isNaN(Date.parse(v));
}

/**
 * The schema's date-time format accepts a few values JavaScript cannot parse (a leap second,
 * 23:59:60); the pipeline compares times with Date.parse, so such a value must be refused here.
 */
const parseableRule: Rule = (doc) => {
  const scope = obj(doc.scope);
  const spots: [string, unknown][] = [
    ['/destination/object_lock/retain_until', obj(obj(doc.destination)?.object_lock)?.retain_until],
  ];
  for (const field of ['created_at', 'updated_at'] as const)
    for (const [k, v] of Object.entries(obj(scope?.[field]) ?? {})) spots.push([`/scope/${field}/${k}`, v]);
  return spots
    .filter(([, v]) => typeof v === 'string' && TIMESTAMP_SHAPE.test(v) && Number.isNaN(Date.parse(v)))
    .map(([path]) =>
      error(path, 'timestamp', 'is not a time that can be compared (leap seconds are not supported)'),
    );
};

const windowRule =
  (field: 'created_at' | 'updated_at'): Rule =>
  (doc, { now }) => {
    const w = obj(obj(doc.scope)?.[field]);
    if (w === undefined) return [];
    const base = `/scope/${field}`;
    const out: Finding[] = [];
    if (w.gte !== undefined && w.gt !== undefined)
      out.push(error(`${base}/gt`, 'window_bounds', 'give one lower bound: gte or gt, not both'));
    if (w.lt !== undefined && w.lte !== undefined)
      out.push(error(`${base}/lte`, 'window_bounds', 'give one upper bound: lt or lte, not both'));
    for (const bound of ['gte', 'gt', 'lt', 'lte'] as const) {
      const v = w[bound];
      if (isTimestamp(v) && Date.parse(v) > now.getTime())
        out.push(
          error(`${base}/${bound}`, 'window_future', `${v} is in the future (now is ${now.toISOString()})`),
        );
    }
    const lowerKey = isTimestamp(w.gt) ? 'gt' : isTimestamp(w.gte) ? 'gte' : undefined;
    const upperKey = isTimestamp(w.lt) ? 'lt' : isTimestamp(w.lte) ? 'lte' : undefined;
    if (lowerKey !== undefined && upperKey !== undefined) {
      const lower = Date.parse(w[lowerKey] as string);
      const upper = Date.parse(w[upperKey] as string);
      const inclusive = lowerKey === 'gte' && upperKey === 'lte';
      if (lower > upper || (lower === upper && !inclusive))
        out.push(
          error(
            `${base}/${upperKey}`,
            'window_order',
            `the window is empty: ${upperKey} ${String(w[upperKey])} is not after ${lowerKey} ${String(w[lowerKey])}`,
          ),
        );
    }
    return out;
  };

const budgetRule: Rule = (doc) => {
  const source = obj(doc.source);
  const rpm = source?.requests_per_minute;
  if (typeof rpm !== 'number' || rpm <= DOCUMENTED_RPM_LIMIT || source?.allow_above_documented_limit === true)
    return [];
  return [
    error(
      '/source/requests_per_minute',
      'rpm_over_limit',
      `${rpm} is above the documented limit of ${DOCUMENTED_RPM_LIMIT} requests per minute per parent organization; ` +
        'set source.allow_above_documented_limit: true only if Anthropic raised your limit',
    ),
  ];
};

function urlRule(path: string, value: unknown, kind: 'base_url' | 'endpoint'): Finding[] {
  if (typeof value !== 'string') return [];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return []; // the schema's `format: uri` already reported it
  }
  if (url.username !== '' || url.password !== '')
    return [error(path, 'url', 'must not contain a user name or password')];
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return [error(path, 'url', `must be an http(s) URL (found ${url.protocol}//)`)];
  const out: Finding[] = [];
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    out.push(
      kind === 'base_url'
        ? error(
            path,
            'insecure_base_url',
            `must use https (plain http is allowed only for loopback hosts such as the local sandbox)`,
          )
        : warning(
            path,
            'insecure_endpoint',
            'plain http to a non-loopback S3 endpoint sends data unencrypted',
          ),
    );
  }
  if (
    kind === 'base_url' &&
    ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '')
  )
    out.push(
      error(
        path,
        'base_url_path',
        `must be the origin only, e.g. ${url.origin} (the tool adds /v1/compliance/...)`,
      ),
    );
  return out;
}

const urlRules: Rule = (doc) => [
  ...urlRule('/source/base_url', obj(doc.source)?.base_url, 'base_url'),
  ...urlRule('/destination/endpoint', obj(doc.destination)?.endpoint, 'endpoint'),
];

const S3_ONLY = ['region', 'endpoint', 'force_path_style', 'sse', 'object_lock', 'storage_class'] as const;

const destinationRule: Rule = (doc, { now }) => {
  const dest = obj(doc.destination);
  const uri = str(dest?.uri);
  if (dest === undefined || uri === undefined || uri === '') return [];
  const out: Finding[] = [];
  const target = checkDestinationUri(uri);
  if ('code' in target) out.push(error('/destination/uri', target.code, target.message));
  else if (target.kind === 'local') {
    for (const key of S3_ONLY) {
      if (dest[key] === undefined || dest[key] === false) continue;
      out.push(
        error(
          `/destination/${key}`,
          's3_option_on_local',
          `${key} only applies to an s3:// destination, but the uri is a local path; it would be silently ignored`,
        ),
      );
    }
  } else if (dest.file_mode !== undefined) {
    out.push(
      error(
        '/destination/file_mode',
        'local_option_on_s3',
        'file_mode only applies to a local destination, but the uri is s3://; it would be silently ignored',
      ),
    );
  }
  const lock = obj(dest.object_lock);
  if (lock !== undefined) {
    const base = '/destination/object_lock';
    const hasRetention = lock.retain_until !== undefined || lock.retain_days !== undefined;
    if (lock.retain_until !== undefined && lock.retain_days !== undefined)
      out.push(
        error(`${base}/retain_days`, 'object_lock_incomplete', 'give retain_until or retain_days, not both'),
      );
    if (lock.mode !== undefined && !hasRetention)
      out.push(
        error(`${base}/mode`, 'object_lock_incomplete', 'a retention mode needs retain_until or retain_days'),
      );
    if (lock.mode === undefined && hasRetention)
      out.push(error(base, 'object_lock_incomplete', 'retention needs a mode: GOVERNANCE or COMPLIANCE'));
    if (lock.mode === undefined && !hasRetention && lock.legal_hold !== true)
      out.push(
        error(
          base,
          'object_lock_incomplete',
          'object_lock asks for nothing: give a mode with a retention, and/or legal_hold: true',
        ),
      );
    if (isTimestamp(lock.retain_until) && Date.parse(lock.retain_until) <= now.getTime())
      out.push(
        error(
          `${base}/retain_until`,
          'retain_until_past',
          `${lock.retain_until} is not in the future (now is ${now.toISOString()})`,
        ),
      );
  }
  return out;
};

const partSizeRule: Rule = (doc) => {
  const text = str(obj(doc.archive)?.max_part_size);
  const bytes = text === undefined ? undefined : parseSize(text);
  if (bytes === undefined || (bytes >= MIN_PART_BYTES && bytes <= MAX_PART_BYTES)) return [];
  return [
    error('/archive/max_part_size', 'part_size', 'must be between 5MiB and 5GiB (the S3 multipart limits)'),
  ];
};

/** Volumes name their set themselves, and a snapshot series finds its base by the one-zip name. */
const volumeSizeRule: Rule = (doc) => {
  const archive = obj(doc.archive);
  const text = str(archive?.max_volume_size);
  const bytes = text === undefined ? undefined : parseSize(text);
  if (bytes === undefined) return [];
  const out: Finding[] = [];
  if (bytes < MIN_VOLUME_BYTES)
    out.push(error('/archive/max_volume_size', 'volume_size', 'must be at least 1MiB'));
  if (doc.snapshot !== undefined)
    out.push(
      error(
        '/archive/max_volume_size',
        'volume_size',
        'cannot be combined with snapshot (a series reads one zip per run)',
      ),
    );
  if (str(obj(archive?.bag_info)?.bag_group_identifier) !== undefined)
    out.push(
      error(
        '/archive/bag_info/bag_group_identifier',
        'volume_size',
        'cannot be combined with archive.max_volume_size (each volume says Bag-Group-Identifier: <name>-<run-id>)',
      ),
    );
  return out;
};

const timeoutRule: Rule = (doc) => {
  const t = obj(obj(doc.source)?.timeouts) ?? {};
  return (['connect', 'headers', 'body_idle'] as const).flatMap((k) => {
    const v = str(t[k]);
    return v !== undefined && parseDuration(v) === 0
      ? [error(`/source/timeouts/${k}`, 'range', 'must be greater than zero')]
      : [];
  });
};

const consistencyRule: Rule = (doc) => {
  const lag = str(obj(doc.consistency)?.indexing_lag);
  const lagMs = lag === undefined ? undefined : parseDuration(lag);
  const base = str(obj(doc.source)?.base_url);
  let loopback = false;
  try {
    loopback = base !== undefined && isLoopbackHost(new URL(base).hostname);
  } catch {
    // reported by the schema
  }
  if (lagMs === undefined || lagMs >= DOCUMENTED_INDEXING_LAG_MS || loopback) return [];
  return [
    warning(
      '/consistency/indexing_lag',
      'consistency_margin',
      `${formatDuration(lagMs)} is below the documented 1-minute indexing lag of the Activity Feed; late events may be missed`,
    ),
  ];
};

const activityRule: Rule = (doc) => {
  const scope = obj(doc.scope);
  if (scope === undefined) return [];
  const out: Finding[] = [];
  const only = scope.activity_types;
  const except = scope.exclude_activity_types;
  if (only !== undefined && except !== undefined)
    out.push(
      error(
        '/scope/exclude_activity_types',
        'activity_filter_conflict',
        'activity_types and exclude_activity_types cannot be combined (the API rejects it): keep one',
      ),
    );
  const include = scope.include;
  if (Array.isArray(include) && !include.includes('activities'))
    for (const key of ['activity_types', 'exclude_activity_types'] as const)
      if (scope[key] !== undefined)
        out.push(
          error(
            `/scope/${key}`,
            'activity_filter_unused',
            `${key} has no effect: "activities" is not in scope.include`,
          ),
        );
  for (const key of ['activity_types', 'exclude_activity_types'] as const) {
    const list = scope[key];
    if (!Array.isArray(list)) continue;
    list.forEach((t, i) => {
      if (typeof t !== 'string' || !/^[a-z][a-z0-9_]*$/.test(t) || KNOWN_ACTIVITY_TYPES.has(t)) return;
      const guess = closest(t, KNOWN_ACTIVITY_TYPES);
      out.push(
        guess !== undefined
          ? withSuggestion(
              error(
                `/scope/${key}/${i}`,
                'activity_type',
                `unknown activity type "${t}"; did you mean "${guess}"?`,
              ),
              guess,
            )
          : warning(
              `/scope/${key}/${i}`,
              'unknown_activity_type',
              `"${t}" is not among the ${KNOWN_ACTIVITY_TYPES.size} activity types this tool knows; the API rejects types it does not know`,
            ),
      );
    });
  }
  return out;
};

const custodianRule: Rule = (doc) => {
  const list = obj(doc.scope)?.custodians;
  if (!Array.isArray(list)) return [];
  const seen = new Map<string, number>();
  const out: Finding[] = [];
  list.forEach((c, i) => {
    if (typeof c !== 'string' || !c.includes('@')) return;
    const key = c.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined && list[first] !== c)
      out.push(
        error(
          `/scope/custodians/${i}`,
          'duplicate_item',
          `the same email as item ${first} (emails ignore case)`,
        ),
      );
    else seen.set(key, i);
  });
  return out;
};

const envRule: Rule = (doc, { env }) => {
  const source = obj(doc.source);
  const name = str(source?.api_key_env) ?? 'ANTHROPIC_COMPLIANCE_ACCESS_KEY';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || (env[name] ?? '') !== '') return [];
  const path =
    source?.api_key_env === undefined ? (source === undefined ? '/' : '/source') : '/source/api_key_env';
  return [
    warning(
      path,
      'api_key_env_unset',
      `environment variable ${name} is not set; run and plan need the key there`,
    ),
  ];
};

const RULES: Rule[] = [
  parseableRule,
  windowRule('created_at'),
  windowRule('updated_at'),
  budgetRule,
  urlRules,
  destinationRule,
  partSizeRule,
  volumeSizeRule,
  timeoutRule,
  consistencyRule,
  activityRule,
  custodianRule,
  envRule,
];

/** Every semantic finding for a parsed document (a mapping; shape errors may remain). */
export function checkRules(doc: Record<string, unknown>, ctx: RuleContext): Finding[] {
  return RULES.flatMap((rule) => rule(doc, ctx));
}
