/**
 * The sandbox, hosted in the bench process: the exporter runs in a child process, so the
 * sandbox's memory and CPU are never counted as the exporter's. Ground truth, stats and the
 * injected faults come from the sandbox-only routes (never rate limited, never counted).
 */
import {
  PROFILES,
  startSandbox,
  type ProfileSpec,
  type SandboxOptions,
  type SandboxStats,
  type SandboxTruth,
} from '@compliance-export/sandbox';
import { cleanup, info } from './run-bench.js';

export interface FaultReport {
  permanent_failures: string[];
  bad_content_md5: string[];
  in_flight_versions: { artifact_id: string; version_id: string; remaining: number }[];
}

export interface HostedSandbox {
  readonly baseUrl: string;
  readonly fullKey: string;
  truth(asOf?: string): Promise<SandboxTruth>;
  stats(): Promise<SandboxStats>;
  faults(): Promise<FaultReport>;
  /** Stop it now (otherwise it stops when the bench ends). */
  close(): Promise<void>;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Content counts a `scale` multiplies (orgs, roles, groups and the few long/big items stay). */
const SCALED: (keyof ProfileSpec)[] = [
  'usersPerOrg',
  'chats',
  'uploads',
  'generatedFiles',
  'chatArtifacts',
  'projects',
  'codeArtifacts',
  'localSessions',
  'remoteSessions',
];

/**
 * Start the sandbox. `scale` (bench only) multiplies the profile's content counts while the world
 * is generated, for a run longer than the named profile gives; the table is restored at once.
 */
export async function hostSandbox(options: SandboxOptions & { scale?: number }): Promise<HostedSandbox> {
  const started = Date.now();
  const { scale, ...sandboxOptions } = options;
  const profile = options.profile ?? 'small';
  const original = PROFILES[profile];
  if (scale !== undefined && scale !== 1) {
    const scaled: ProfileSpec = { ...original };
    for (const k of SCALED) (scaled[k] as number) = Math.round((original[k] as number) * scale);
    PROFILES[profile] = scaled;
  }
  let sb;
  try {
    sb = await startSandbox({ port: 0, ...sandboxOptions });
  } finally {
    PROFILES[profile] = original;
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await sb.close();
  };
  cleanup.add(close);
  info(
    `sandbox: profile=${profile}${scale !== undefined && scale !== 1 ? ` ×${scale}` : ''} seed=${options.seed ?? 1} rpm=${options.rpm ?? 600} ` +
      `at ${sb.baseUrl} (started in ${Date.now() - started} ms)`,
  );
  const base = sb.baseUrl;
  return {
    baseUrl: base,
    fullKey: sb.keys.full,
    truth: (asOf) =>
      getJson<SandboxTruth>(
        `${base}/_sandbox/truth${asOf === undefined ? '' : `?as_of=${encodeURIComponent(asOf)}`}`,
      ),
    stats: () => getJson<SandboxStats>(`${base}/_sandbox/stats`),
    faults: () => getJson<FaultReport>(`${base}/_sandbox/faults`),
    close,
  };
}
