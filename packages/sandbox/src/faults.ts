/**
 * Runtime side of `FaultOptions`. Decisions are pure functions of (seed, request key, attempt
 * number), where the key is method + path + query: the same sequence of requests sees the same
 * failures whatever the concurrency, and a retry (attempt n+1) draws afresh.
 */
import type { World } from './model.js';
import { Rng } from './random.js';
import type { FaultOptions, TransientKind } from './scenario.js';
import { RETAINED_VERSIONS } from './model.js';

/** Drawn when `transientKinds` is not given; 429 and 409 only when named. */
const DEFAULT_KINDS: TransientKind[] = ['500', '502', '503', '504', '529', 'reset', 'truncate'];

export interface FaultPlan {
  latencyMs: number;
  transient: TransientKind | null;
}

export interface FaultReport {
  permanent_failures: string[];
  bad_content_md5: string[];
  processed_copies: string[];
  unsafe_zip_versions: string[];
  /** Local sessions whose retrieve and transcript answer the retention-override 503. */
  retention_override_sessions: string[];
  in_flight_versions: { artifact_id: string; version_id: string; remaining: number }[];
}

export class FaultEngine {
  private readonly attempts = new Map<string, number>();
  readonly permanent = new Set<string>();
  readonly badMd5 = new Set<string>();
  readonly processed = new Set<string>();
  /** `${artifactId}/${versionId}` of multi-file versions served as a hostile ZIP. */
  readonly unsafeZip = new Set<string>();
  /** `${artifactId}/${versionId}` → 503s still to serve. */
  readonly inFlight = new Map<string, number>();
  /** Local session ids whose retention overrides cannot be evaluated (503, §5.9). */
  readonly retentionOverride = new Set<string>();
  /** Every local-session call answers 404 `Local sessions are not available.` (§5.5). */
  readonly localSessionsUnavailable: boolean;

  constructor(
    private readonly seed: number,
    world: World,
    private readonly options: FaultOptions,
  ) {
    const rng = new Rng(seed, 'fault-items');
    // Only files with live content qualify, so every chosen id is reachable by a normal export.
    const files = world.blobs.filter(
      (b) => b.removedAt === null && b.id.startsWith('claude_file_') && b.size > 0,
    );
    const take = (n: number, into: Set<string>): void => {
      for (let i = 0; i < n && files.length > 0; i++) {
        const [b] = files.splice(Math.floor(rng.float() * files.length), 1);
        if (b !== undefined) into.add(b.id);
      }
    };
    take(options.permanentFailures ?? 0, this.permanent);
    take(options.badContentMd5 ?? 0, this.badMd5);
    take(options.processedCopies ?? 0, this.processed);
    const arts = world.codeArtifacts.filter((a) => !a.hiddenRow && a.removedAt === null);
    const multi = arts.flatMap((a) =>
      a.versions
        .slice(-RETAINED_VERSIONS)
        .filter((v) => v.files > 1)
        .map((v) => `${a.id}/${v.id}`),
    );
    for (let i = 0; i < (options.unsafeZipVersions ?? 0) && multi.length > 0; i++) {
      const [k] = multi.splice(Math.floor(rng.float() * multi.length), 1);
      if (k !== undefined) this.unsafeZip.add(k);
    }
    for (let i = 0; i < (options.inFlightVersions ?? 0) && arts.length > 0; i++) {
      const [a] = arts.splice(Math.floor(rng.float() * arts.length), 1);
      const kept = a?.versions.slice(-RETAINED_VERSIONS) ?? [];
      const v = kept[kept.length - 1];
      if (a !== undefined && v !== undefined)
        this.inFlight.set(`${a.id}/${v.id}`, options.inFlightTimes ?? 3);
    }
    // Their own stream, so adding this knob does not move the items chosen above.
    const srng = new Rng(seed, 'fault-sessions');
    const sessions = world.localSessions.filter((x) => x.removedAt === null);
    for (let i = 0; i < (options.retentionOverrideSessions ?? 0) && sessions.length > 0; i++) {
      const [x] = sessions.splice(Math.floor(srng.float() * sessions.length), 1);
      if (x !== undefined) this.retentionOverride.add(x.id);
    }
    this.localSessionsUnavailable = options.localSessionsUnavailable === true;
  }

  /** Latency and transient failure for the next attempt at `key`. */
  plan(key: string): FaultPlan {
    const n = this.attempts.get(key) ?? 0;
    this.attempts.set(key, n + 1);
    const rng = new Rng(this.seed, 'fault', key, n);
    const lat = this.options.latency;
    let latencyMs = 0;
    if (lat !== undefined) {
      latencyMs = lat.minMs + rng.float() * Math.max(0, lat.maxMs - lat.minMs);
      if (rng.chance(lat.tailRate ?? 0)) latencyMs += lat.tailMs ?? 0;
    }
    const rate = this.options.transientRate ?? 0;
    const kinds = this.options.transientKinds ?? DEFAULT_KINDS;
    const transient = rate > 0 && kinds.length > 0 && rng.chance(rate) ? rng.pick(kinds) : null;
    return { latencyMs: Math.round(latencyMs), transient };
  }

  /** Consume one "in flight" 503 for this version, if any are left. */
  takeInFlight(artifactId: string, versionId: string): boolean {
    const k = `${artifactId}/${versionId}`;
    const left = this.inFlight.get(k) ?? 0;
    if (left <= 0) return false;
    this.inFlight.set(k, left - 1);
    return true;
  }

  report(): FaultReport {
    return {
      permanent_failures: [...this.permanent],
      bad_content_md5: [...this.badMd5],
      processed_copies: [...this.processed],
      unsafe_zip_versions: [...this.unsafeZip],
      retention_override_sessions: [...this.retentionOverride],
      in_flight_versions: [...this.inFlight].map(([k, remaining]) => {
        const [artifact_id = '', version_id = ''] = k.split('/');
        return { artifact_id, version_id, remaining };
      }),
    };
  }
}

/** Error replies for the transient statuses (§5.9). */
export const TRANSIENT_BODIES: Record<
  '500' | '502' | '503' | '504' | '529',
  { type: 'api_error' | 'overloaded_error'; message: string }
> = {
  '500': { type: 'api_error', message: 'Internal server error' },
  '502': { type: 'api_error', message: 'Bad gateway' },
  '503': { type: 'overloaded_error', message: 'Service temporarily unavailable. Try again shortly.' },
  '504': { type: 'api_error', message: 'Gateway timeout' },
  '529': { type: 'overloaded_error', message: 'Overloaded' },
};
