/**
 * The Compliance API sandbox: a local `node:http` server that behaves like
 * `/v1/compliance/*` as described in compliance-api.md, over deterministic data. This module is
 * the package's public entry (`@compliance-export/sandbox`); `cli.ts` is the `compliance-sandbox` bin.
 * Sandbox-only routes (unauthenticated, never rate limited, never counted):
 *   GET /_sandbox/truth[?as_of=T]  → SandboxTruth (see truth.ts)
 *   GET /_sandbox/stats            → SandboxStats (requests by route template and status)
 *   GET /_sandbox/faults           → FaultReport (ids chosen for permanent faults)
 *   GET /_sandbox/transparency     → the Access Transparency log key and each org's log size
 *   POST /_sandbox/mutate?kind=K   → Change[] (apply one live mutation now; kinds in scenario.ts)
 */
import type { AddressInfo } from 'node:net';
import type { Reply, Route, SandboxState } from './http/context.js';
import { badRequest } from './http/errors.js';
import { parseDatetime } from './http/query.js';
import { SlidingWindowLimiter } from './http/rate-limiter.js';
import { createSandboxServer } from './http/server.js';
import type { SandboxKeys } from './keys.js';
import type { Profile } from './model.js';
import { activityRoutes } from './routes/activities.js';
import { chatRoutes } from './routes/chats.js';
import { codeArtifactRoutes } from './routes/code-artifacts.js';
import { directoryRoutes } from './routes/directory.js';
import { fileRoutes } from './routes/files.js';
import { projectRoutes } from './routes/projects.js';
import { sessionRoutes } from './routes/sessions.js';
import { transparencyInfo, transparencyRoutes } from './routes/transparency.js';
import { FaultEngine } from './faults.js';
import { addBacklog } from './generate-backlog.js';
import { LiveMutator, MUTATION_KINDS } from './live.js';
import type { MutationKind, Scenario } from './scenario.js';
import { buildTruth } from './truth.js';
import { buildWorld } from './world.js';

export type { SandboxKeys } from './keys.js';
export type { SandboxTruth } from './truth.js';
export type { SandboxStats } from './http/context.js';
export type { Scenario } from './scenario.js';
export { SCENARIOS, checkScenario } from './scenario.js';
export { PROFILES, type ProfileSpec } from './profiles.js';
export { HOSTILE_NAMES } from './names.js';
export { ACTIVITY_TYPES } from './activity-types.js';
export type * from './wire.js';

export interface SandboxOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 1. */
  seed?: number;
  /** Default 'small'. */
  profile?: Profile;
  /**
   * Requests/min per parent org, default 600; 0 = unlimited (nothing refused; the rate-limit
   * headers still come, reporting a limit of 1,000,000).
   */
  rpm?: number;
  /** Injectable clock (ms since epoch), default Date.now. */
  now?: () => number;
  /** Adversity: faults, eventual consistency, live mutations. Default: none. */
  scenario?: Scenario;
}

export interface RunningSandbox {
  /** 'http://127.0.0.1:PORT' (no trailing slash). */
  baseUrl: string;
  keys: SandboxKeys;
  close(): Promise<void>;
}

export const ALL_ROUTES: readonly Route[] = [
  ...directoryRoutes,
  ...activityRoutes,
  ...chatRoutes,
  ...fileRoutes,
  ...projectRoutes,
  ...codeArtifactRoutes,
  ...sessionRoutes,
  ...transparencyRoutes,
];

function sandboxRoutes(url: URL, state: SandboxState, method: string): Reply | null {
  try {
    if (url.pathname === '/_sandbox/mutate' && method === 'POST') {
      const kind = url.searchParams.get('kind') ?? '';
      if (!(MUTATION_KINDS as string[]).includes(kind)) {
        throw badRequest(`kind: expected one of ${MUTATION_KINDS.join(', ')}, got '${kind}'`);
      }
      const changes = state.live.apply(kind as MutationKind, state.now());
      state.live.advance(state.now());
      return { kind: 'json', body: changes };
    }
    if (method !== 'GET') return null;
    if (url.pathname === '/_sandbox/faults') {
      return {
        kind: 'json',
        body: state.faults?.report() ?? {
          permanent_failures: [],
          bad_content_md5: [],
          processed_copies: [],
          unsafe_zip_versions: [],
          retention_override_sessions: [],
          in_flight_versions: [],
        },
      };
    }
    if (url.pathname === '/_sandbox/truth') {
      const raw = url.searchParams.get('as_of');
      const asOf = raw === null ? state.now() : parseDatetime('as_of', raw, false);
      return { kind: 'json', body: buildTruth(state.world, asOf) };
    }
    if (url.pathname === '/_sandbox/stats') return { kind: 'json', body: state.stats };
    if (url.pathname === '/_sandbox/transparency') {
      return { kind: 'json', body: transparencyInfo(state.world, state.now()) };
    }
  } catch (error) {
    const e =
      error instanceof Error && 'body' in error
        ? (error as ReturnType<typeof badRequest>)
        : badRequest(String(error));
    return { kind: 'json', status: e.status, body: e.body() };
  }
  return null;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const seed = options.seed ?? 1;
  const profile = options.profile ?? 'small';
  const now = options.now ?? Date.now;
  const rpm = options.rpm ?? 600;
  if (!Number.isInteger(rpm) || rpm < 0)
    throw new RangeError(`rpm must be a non-negative integer, got ${rpm}`);
  const scenario = options.scenario ?? {};
  const { world, keys } = buildWorld(seed, profile);
  addBacklog(world, keys, scenario.activities?.backlog ?? 0);
  const faults = scenario.faults;
  const consistency = scenario.consistency ?? {};
  const state: SandboxState = {
    world,
    keys,
    now,
    limiter: new SlidingWindowLimiter(rpm, now),
    remoteLimiter:
      (faults?.remoteSessionRpm ?? 0) > 0
        ? new SlidingWindowLimiter(faults?.remoteSessionRpm ?? 0, now)
        : null,
    stats: { total: 0, rateLimited: 0, byRoute: {} },
    requestSeq: 0,
    faults:
      faults !== undefined && Object.keys(faults).length > 0 ? new FaultEngine(seed, world, faults) : null,
    consistency,
    activities: scenario.activities ?? {},
    quirks: scenario.quirks ?? {},
    live: new LiveMutator(world, scenario.mutations, consistency, now()),
  };
  const server = createSandboxServer(state, ALL_ROUTES, sandboxRoutes);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    baseUrl: `http://${shownHost}:${port}`,
    keys,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
