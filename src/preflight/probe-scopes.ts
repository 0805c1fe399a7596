/**
 * Preflight, before any work: the key is set (from the env var the spec names) and
 * accepted; one cheap probe per content kind shows which kinds the key's scopes reach
 * (compliance-api.md §1.3, §5.4: a missing scope answers 403).
 * A missing scope stops the run with a clear error, or, when the spec says `on_missing_scope:
 * record_gap`, drops the kind and names the gap in the exceptions report.
 */
import type { ComplianceClient, ComplianceClientOptions, Page } from '../api/index.js';
import { ExportError, isExportError } from '../errors.js';
import { redactKeys } from '../spec/finding.js';
import type { ContentKind, ResolvedJobSpec } from '../spec/types.js';

/** The client settings a spec decides (base URL, budget, concurrency, timeouts); the key is separate. */
export function clientOptionsFromSpec(
  spec: ResolvedJobSpec,
): Pick<ComplianceClientOptions, 'baseUrl' | 'requestsPerMinute' | 'maxInFlight' | 'timeouts'> {
  return {
    baseUrl: spec.source.base_url,
    requestsPerMinute: spec.source.requests_per_minute,
    maxInFlight: spec.source.max_concurrency,
    timeouts: {
      connectMs: spec.source.timeouts.connect_ms,
      headersMs: spec.source.timeouts.headers_ms,
      bodyIdleMs: spec.source.timeouts.body_idle_ms,
    },
  };
}

/** Read the key from the environment; never echo it. */
export function readApiKey(spec: ResolvedJobSpec, env: NodeJS.ProcessEnv): string {
  const name = spec.source.api_key_env;
  const key = env[name];
  if (key === undefined || key.trim() === '') {
    throw new ExportError('api_key_missing', `environment variable ${name} (source.api_key_env) is not set`);
  }
  return key.trim();
}

interface Probe {
  readonly kinds: readonly ContentKind[];
  readonly scope: string;
  readonly run: (client: ComplianceClient, signal: AbortSignal | undefined) => AsyncIterable<Page<unknown>>;
}

const PROBES: readonly Probe[] = [
  {
    kinds: ['directory'],
    scope: 'read:compliance_org_data',
    run: (c, signal) => c.listOrganizations({ limit: 1 }, { signal }),
  },
  {
    kinds: ['chats', 'files', 'generated_files', 'chat_artifacts'],
    scope: 'read:compliance_user_data',
    run: (c, signal) => c.listChats({ limit: 1 }, { signal }),
  },
  {
    kinds: ['projects'],
    scope: 'read:compliance_user_data',
    run: (c, signal) => c.listProjects({ limit: 1 }, { signal }),
  },
  {
    kinds: ['activities'],
    scope: 'read:compliance_activities',
    run: (c, signal) => c.listActivities({ limit: 1 }, { signal }),
  },
  {
    kinds: ['code_artifacts'],
    scope: 'read:compliance_user_data',
    run: (c, signal) => c.listCodeArtifacts({ limit: 1 }, { signal }),
  },
  {
    kinds: ['sessions'],
    scope: 'read:compliance_user_data',
    run: (c, signal) => c.listRemoteSessions({ limit: 1 }, { signal }),
  },
];

export interface ScopeGap {
  readonly kind: ContentKind;
  readonly scope: string;
  readonly detail: string;
}

export interface PreflightResult {
  /** The kinds this run will export (the spec's, minus recorded scope gaps). */
  readonly include: ContentKind[];
  readonly gaps: ScopeGap[];
}

/**
 * Probe the key against every included kind: one request each, the first page only. The probes go
 * out together (each is one request through the shared budget); their outcomes are then judged in
 * the fixed order of PROBES, so the gaps and the error reported do not depend on response timing.
 * `apiKey`, when given, is only used to name its type (its prefix) in an error; it is never printed.
 */
export async function probeScopes(
  client: ComplianceClient,
  spec: ResolvedJobSpec,
  signal?: AbortSignal,
  apiKey?: string,
): Promise<PreflightResult> {
  const wanted = new Set(spec.scope.include);
  const planned = PROBES.map((probe) => ({ probe, kinds: probe.kinds.filter((k) => wanted.has(k)) })).filter(
    (p) => p.kinds.length > 0,
  );
  const outcomes = await Promise.allSettled(
    planned.map(async ({ probe }) => {
      for await (const _page of probe.run(client, signal)) break;
    }),
  );
  const codeOf = (o: PromiseSettledResult<void>): string | undefined =>
    o.status === 'rejected' && isExportError(o.reason) ? o.reason.code : undefined;
  // §5.5: no key, or a key of another type, answers 404 "Not found" on every endpoint, lists
  // included; so does a base URL that is not the Compliance API. A list endpoint that exists
  // answers nothing else, so 404 on every probe means the key or the URL, not a missing item.
  if (outcomes.length > 0 && outcomes.every((o) => codeOf(o) === 'not_found')) {
    throw new ExportError('api_key_rejected', unrecognisedKeyMessage(spec, apiKey), {
      cause: (outcomes[0] as PromiseRejectedResult).reason,
    });
  }
  const gaps: ScopeGap[] = [];
  for (let i = 0; i < planned.length; i += 1) {
    const outcome = outcomes[i]!;
    if (outcome.status === 'fulfilled') continue;
    const { probe, kinds } = planned[i]!;
    const error: unknown = outcome.reason;
    const code = isExportError(error) ? error.code : undefined;
    if (code === 'scope_missing') {
      for (const kind of kinds) gaps.push({ kind, scope: probe.scope, detail: (error as Error).message });
      continue;
    }
    if (code === 'api_key_rejected') {
      const message = redactKeys((error as Error).message);
      throw new ExportError(
        'api_key_rejected',
        `the API key in ${spec.source.api_key_env}${keyTypeNote(apiKey)} was rejected: ${message}; ` +
          rejectedKeyHint(message),
        { cause: error },
      );
    }
    throw error;
  }
  if (gaps.length > 0 && spec.on_missing_scope === 'error') {
    const lines = gaps.map((g) => `${g.kind} (needs ${g.scope} or read:org_audit)`);
    throw new ExportError(
      'scope_missing',
      `the API key in ${spec.source.api_key_env} cannot read: ${lines.join(', ')}; ` +
        'use a key with those scopes, drop the kinds from scope.include, or set on_missing_scope: record_gap',
    );
  }
  const missing = new Set(gaps.map((g) => g.kind));
  return { include: spec.scope.include.filter((k) => !missing.has(k)), gaps };
}

/** Known key prefixes (compliance-api.md §1.2). Only these are ever printed, never more of a key. */
const KEY_TYPES: readonly { prefix: string; name: string }[] = [
  { prefix: 'sk-ant-api01-', name: 'a Compliance Access Key' },
  { prefix: 'sk-ant-admin01-', name: 'an Admin API key' },
  { prefix: 'sk-ant-api03-', name: 'a Claude API key' },
];

/** What kind of key this is, by prefix alone: safe to print. */
export function describeKeyType(apiKey: string | undefined): string | null {
  if (apiKey === undefined) return null;
  const known = KEY_TYPES.find((t) => apiKey.startsWith(t.prefix));
  if (known !== undefined) return `${known.name} (${known.prefix}…)`;
  if (apiKey.startsWith('sk-ant-')) return 'an sk-ant- key of a type the Compliance API does not use';
  return 'not an Anthropic key (no sk-ant- prefix)';
}

function keyTypeNote(apiKey: string | undefined): string {
  const type = describeKeyType(apiKey);
  return type === null ? '' : `, ${type},`;
}

/**
 * What to do about a 401. The three causes share status and type and differ only in the
 * documented message (compliance-api.md §5.3): invalid, deactivated, expired (Admin keys only).
 */
function rejectedKeyHint(message: string): string {
  if (/API key has expired\./.test(message)) {
    return (
      'the key has expired (only Admin API keys expire): create a new key and put it in the ' +
      'variable; for content kinds, use a Compliance Access Key (sk-ant-api01-…), which does not expire'
    );
  }
  return (
    'check the key was copied whole (an altered key is invalid), re-enable a disabled key, or ' +
    'create a new Compliance Access Key for a deleted one'
  );
}

function unrecognisedKeyMessage(spec: ResolvedJobSpec, apiKey: string | undefined): string {
  const where = `the API key in ${spec.source.api_key_env}${keyTypeNote(apiKey)}`;
  const head =
    `${where} was not recognised: every probe answered 404 "Not found", the Compliance API's answer ` +
    "to a missing key or a key of another type (compliance-api.md §5.5), and any server's answer when " +
    `source.base_url (${spec.source.base_url}) is not the Compliance API`;
  const rightForm =
    apiKey !== undefined && (apiKey.startsWith('sk-ant-api01-') || apiKey.startsWith('sk-ant-admin01-'));
  const hint = rightForm
    ? 'the key has the right form, so check source.base_url: it must be the API origin, e.g. https://api.anthropic.com'
    : 'use a Compliance Access Key (sk-ant-api01-…, created in claude.ai > Organization settings > API): ' +
      'Claude API keys (sk-ant-api03-…) from the Console are not accepted';
  return `${head}; ${hint}`;
}
