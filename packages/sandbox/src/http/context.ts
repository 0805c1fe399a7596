/** Types shared by the HTTP core and the route families. */
import type { FaultEngine } from '../faults.js';
import type { SandboxKeys } from '../keys.js';
import type { LiveMutator } from '../live.js';
import type { ActivityOptions, ConsistencyOptions, QuirkOptions } from '../scenario.js';
import type { ApiKeyRecord, World } from '../model.js';
import type { ParamSpecs, Query } from './query.js';
import type { SlidingWindowLimiter } from './rate-limiter.js';

export interface Principal {
  key: ApiKeyRecord;
  /** null: parent-wide key; otherwise the one org it reaches. */
  orgUuid: string | null;
}

export interface SandboxStats {
  total: number;
  rateLimited: number;
  /** route template → status → count. Only /v1/compliance requests are counted. */
  byRoute: Record<string, Record<string, number>>;
}

export interface SandboxState {
  world: World;
  keys: SandboxKeys;
  now: () => number;
  limiter: SlidingWindowLimiter;
  /** Second budget of the remote-session endpoints; null when off. */
  remoteLimiter: SlidingWindowLimiter | null;
  stats: SandboxStats;
  requestSeq: number;
  /** null when no fault knob is set. */
  faults: FaultEngine | null;
  consistency: ConsistencyOptions;
  activities: ActivityOptions;
  /** Off-by-default behaviours peers saw from the real API (§7.3). */
  quirks: QuirkOptions;
  live: LiveMutator;
}

export interface RequestContext {
  state: SandboxState;
  method: string;
  url: URL;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
  query: Query;
  principal: Principal;
  requestId: string;
  /** Clock reading taken once per request. */
  now: number;
}

export type Reply =
  | { kind: 'json'; status?: number; body: unknown }
  | { kind: 'stream'; headers: Record<string, string>; chunks: Iterable<Uint8Array> };

export interface Route {
  method: 'GET' | 'DELETE';
  /** e.g. `/v1/compliance/apps/chats/{claude_chat_id}/messages`; also the stats key. */
  template: string;
  /** Read endpoints accept this scope or read:org_audit; delete endpoints need exactly this one. */
  scope: string;
  /** Admin API keys may call it (the Activity Feed only). */
  adminAllowed?: boolean;
  /** Unauthenticated callers get 401 instead of 404 (only /settings, §5.3). */
  unauthenticated401?: boolean;
  params?: ParamSpecs;
  handle(ctx: RequestContext): Reply;
}

export function json(body: unknown, status = 200): Reply {
  return { kind: 'json', status, body };
}

/** May this principal see data of `orgUuid`? */
export function canSeeOrg(ctx: RequestContext, orgUuid: string): boolean {
  return ctx.principal.orgUuid === null || ctx.principal.orgUuid === orgUuid;
}
