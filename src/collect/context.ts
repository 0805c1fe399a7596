/**
 * What every content kind's collection shares. `CollectContext`: what a run fixes before pass 1
 * and never changes (the store, the ONE client with one rate budget for the job, the spec, the
 * cut, the resolved scope). `PassContext`: one pass over the kinds (its number and what it
 * changed), created per pass and never overwritten. And the helpers that turn a failed fetch into
 * a named gap (compliance-api.md §5.10) and make sure each id is fetched once per run.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type {
  ApiError,
  ComplianceClient,
  DownloadExpectations,
  DownloadResult,
  DownloadSink,
} from '../api/index.js';
import { isApiError } from '../api/index.js';
import { ERROR_RULES, ExportError, isExportError } from '../errors.js';
import type { ResolvedJobSpec } from '../spec/types.js';
import { endOnFailure } from './walk-checkpoint.js';
import type {
  ExceptionInput,
  ExceptionReason,
  PutOutcome,
  RecordInput,
  RecordKind,
  StagedFile,
  StagingStore,
} from '../store/index.js';

/**
 * One stage's counters in one pass, which the progress reporter reads; stages only add to them.
 * `listed` and `handled` count listing entries of the pass (a kind's listing loop bumps both), so
 * `handled` never passes `listed`; `fetched`, `skipped` and `gaps` count records staged, left as
 * they were and named as gaps (`stageRecord`, `recordFailure`), and may include items no listing
 * names (files, directory records, a rerun's retried gaps).
 */
export interface StageCounters {
  listed: number;
  handled: number;
  fetched: number;
  skipped: number;
  gaps: number;
  /** The kind's listing walks of this pass are all through: `listed` is the pass's total. */
  listingDone(): void;
}

export interface ProgressSink {
  /** The counters of `name` in the current pass. */
  stage(name: string): StageCounters;
  /** A pass starts; `listings` are the stages that list their items in it (relisted kinds). */
  beginPass?(pass: number, listings: readonly string[]): void;
}

export interface ScopeTargets {
  /** Selected organization UUIDs; null = every org the key reaches. */
  readonly orgUuids: readonly string[] | null;
  /** Custodian user ids; null = all users. */
  readonly custodianIds: readonly string[] | null;
  /** user id → email, for the reports (custodian jobs only). */
  readonly emails: ReadonlyMap<string, string>;
}

/** A run's fixed dependencies: set once, before pass 1, from the resolved scope. */
export interface CollectContext {
  readonly store: StagingStore;
  readonly client: ComplianceClient;
  readonly spec: ResolvedJobSpec;
  readonly cut: string;
  readonly concurrency: number;
  readonly readAhead: number;
  readonly signal: AbortSignal | undefined;
  readonly progress: ProgressSink;
  readonly scope: ScopeTargets;
  /** Fetches in flight, so an id shared by many messages is fetched once. */
  readonly inflight: Map<string, Promise<void>>;
  /** Items that failed in this run: not retried again until the next run. */
  readonly failed: Set<string>;
}

/** What a run decides before collecting: everything but the run's fetch memos. */
export type CollectContextInput = Omit<CollectContext, 'inflight' | 'failed'>;

export function createCollectContext(input: CollectContextInput): CollectContext {
  return { ...input, inflight: new Map(), failed: new Set() };
}

const MAX_CHANGED_KEYS = 10_000;

/** What one pass stored as new or changed: quiescence stops after a pass that changed nothing. */
class PassChanges {
  #count = 0;
  readonly #keys: [RecordKind, string][] = [];

  /** Changes in the pass (some, like a deletion seen after the cut, name no stored item). */
  get count(): number {
    return this.#count;
  }

  /** kind+id of the items changed, capped (named as unresolved drift at max_passes). */
  get keys(): readonly (readonly [RecordKind, string])[] {
    return this.#keys;
  }

  note(item?: { kind: RecordKind; id: string }): void {
    this.#count += 1;
    if (item !== undefined && this.#keys.length < MAX_CHANGED_KEYS) this.#keys.push([item.kind, item.id]);
  }
}

/**
 * One pass over the content kinds: the run's context, the pass number and what it changed. A
 * concurrent pass hands its stages a copy with their own `signal` and `concurrency`
 * (`runConcurrently`); the copies share `changes`.
 */
export interface PassContext extends CollectContext {
  readonly pass: number;
  readonly changes: PassChanges;
}

export function startPass(ctx: CollectContext, pass: number): PassContext {
  return { ...ctx, pass, changes: new PassChanges() };
}

export function includes(ctx: CollectContext, kind: ResolvedJobSpec['scope']['include'][number]): boolean {
  return ctx.spec.scope.include.includes(kind);
}

/** Stage one record in the store, counting it for progress and for the pass's changes. */
export function stageRecord(ctx: PassContext, input: RecordInput, stage: string): PutOutcome {
  const outcome = ctx.store.putRecord(input, ctx.pass);
  const counters = ctx.progress.stage(stage);
  // A first sighting of an item created after the cut also means publishing has not gone quiet.
  if (outcome === 'new' || outcome === 'version' || outcome === 'excluded') {
    counters.fetched += 1;
    ctx.changes.note(input);
  } else counters.skipped += 1;
  return outcome;
}

/** Whether an item is already stored (or deliberately left out): a resumed run skips it. */
function isStored(ctx: CollectContext, kind: RecordKind, id: string): boolean {
  return ctx.store.status(kind, id).state !== 'absent';
}

/** Errors that must stop the run instead of becoming a gap (ERROR_RULES `stopsRun`; bugs always). */
function isFatal(error: unknown, ctx: CollectContext): boolean {
  if (ctx.signal?.aborted === true) return true;
  return !isExportError(error) || ERROR_RULES[error.code].stopsRun;
}

/**
 * Answers that mean "not now" rather than "never" (compliance-api.md §5.5, §5.9): local sessions
 * not available to the parent (404, possibly temporary), and a local-sessions index that cannot
 * evaluate retention overrides for a page or session (503 that can persist and says not to retry:
 * skip the item, come back on a later run). They share status and type with other answers and are
 * told apart by the documented message alone (§5.1).
 */
export function isTemporarilyUnavailable(error: unknown): error is ApiError {
  if (!isApiError(error)) return false;
  if (error.status === 404) return /Local sessions are not available\./.test(error.message);
  if (error.status === 503) return /cannot currently evaluate retention overrides/.test(error.message);
  return false;
}

/**
 * Map a failed fetch to an exceptions-report reason (compliance-api.md §5): the code's row in
 * ERROR_RULES, else the HTTP status decides.
 */
export function classify(error: ExportError): { reason: ExceptionReason; retryable: boolean } {
  if (isTemporarilyUnavailable(error)) return { reason: 'content_unavailable', retryable: true };
  const rule = ERROR_RULES[error.code];
  if (rule.gapReason !== undefined) {
    return { reason: rule.gapReason, retryable: rule.retryable ?? error.retryable };
  }
  const api = isApiError(error) ? error : null;
  if (api?.status === 422 && api.detailCode === 'file_set_unavailable') {
    return { reason: 'file_set_unavailable', retryable: false };
  }
  if (api?.status != null && api.status >= 500) {
    return { reason: 'permanent_server_error', retryable: rule.retryable ?? error.retryable };
  }
  return { reason: 'content_unavailable', retryable: rule.retryable ?? error.retryable };
}

/** Record a failed fetch as a named gap, or rethrow when the whole run must stop. */
export function recordFailure(
  ctx: PassContext,
  stage: string,
  target: Pick<ExceptionInput, 'kind' | 'id'> & { parent?: string | null },
  error: unknown,
): void {
  if (isFatal(error, ctx) || !isExportError(error)) throw error;
  const e = error;
  const { reason, retryable } = classify(e);
  const api = isApiError(e) ? e : null;
  ctx.store.recordException(
    {
      kind: target.kind,
      id: target.id,
      reason,
      retryable,
      detail: e.message,
      parent: target.parent ?? null,
      endpoint: api?.target.path ?? null,
      requestId: api?.requestId ?? null,
      ...(api?.status != null ? { httpStatus: api.status } : {}),
    },
    ctx.pass,
  );
  ctx.failed.add(`${target.kind}\t${target.id}`);
  ctx.progress.stage(stage).gaps += 1;
}

/**
 * A short digest of a listed record's change signals: the fields that can change while
 * `updated_at` stays put (a rename is not guaranteed to bump it, §3.8/§4.2), so a full re-listing
 * sees every change the listing can show. Absent fields count as null.
 */
export function listingSignals(listed: object, fields: readonly string[]): string {
  const record = listed as Record<string, unknown>;
  const values = fields.map((f) => record[f] ?? null);
  return createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 16);
}

/**
 * Whether the store holds this listed state already: the same `updated_at`, and the same
 * listing signals when the stored version recorded them.
 */
export function holdsListedState(
  ctx: CollectContext,
  kind: RecordKind,
  id: string,
  updatedAt: string | null,
  signals: string,
): boolean {
  const held = ctx.store.status(kind, id);
  if (held.state === 'absent' || held.updatedAt !== updatedAt) return false;
  if (held.signals !== null && held.signals !== signals) return false;
  // A record taken over from a snapshot base is still there, unchanged.
  ctx.store.confirm(kind, id);
  return true;
}

/** Listing failures a rerun would meet again the same way: the walk becomes a gap, the run goes on. */
const HOPELESS_WALK_CODES: ReadonlySet<string> = new Set([
  'pagination_loop',
  'response_too_large',
  'invalid_response',
]);

/**
 * A guard for `trackedItems`: a listing walk that loops, never ends or answers garbage is named
 * in the exceptions report (kind of what it lists, id `listing:<walk>`) instead of spinning on the
 * org's shared budget or stopping every other stage. Other failures are left to stop the run.
 */
export function walkFailureGuard(
  ctx: PassContext,
  stage: string,
  kind: RecordKind,
  walk: string,
): (error: unknown) => boolean {
  return (error) => {
    if (ctx.signal?.aborted === true) return false;
    if (!(error instanceof ExportError) || !HOPELESS_WALK_CODES.has(error.code)) return false;
    const api = isApiError(error) ? error : null;
    ctx.store.recordException(
      {
        kind,
        id: `listing:${walk}`,
        reason: error.code === 'invalid_response' ? 'content_unavailable' : classify(error).reason,
        retryable: false,
        detail: `${error.message}; items this listing had not reached are not captured`,
        endpoint: api?.target.path ?? null,
        requestId: api?.requestId ?? null,
      },
      ctx.pass,
    );
    ctx.progress.stage(stage).gaps += 1;
    return true;
  };
}

/**
 * The pages of a listing walk without checkpoints (directory lists, a role's permissions), ended
 * by `walkFailureGuard` rules: a walk that loops or never ends becomes a gap row, not a failed run.
 */
export async function* guardedPages<P>(
  ctx: PassContext,
  stage: string,
  kind: RecordKind,
  walk: string,
  pages: AsyncIterable<P>,
): AsyncGenerator<P, void, undefined> {
  yield* endOnFailure(pages, walkFailureGuard(ctx, stage, kind, walk));
}

/**
 * Name an item the archive holds but whose bytes a reviewer must not take at face value (a served
 * copy that differs from the listed original, a ZIP with unsafe entry names). Recorded after the
 * item is stored, so storing it does not clear the row.
 */
export function recordNotice(
  ctx: PassContext,
  stage: string,
  target: Pick<ExceptionInput, 'kind' | 'id'> & { parent?: string | null },
  reason: Extract<ExceptionReason, 'served_copy_differs' | 'unsafe_zip_entries'>,
  detail: string,
  source: { endpoint?: string | null; requestId?: string | null } = {},
): void {
  ctx.store.recordException(
    {
      kind: target.kind,
      id: target.id,
      reason,
      retryable: false,
      // Built from server data (entry names, listed hashes): through the key redactor too.
      detail: ctx.client.redact(detail),
      parent: target.parent ?? null,
      endpoint: source.endpoint ?? null,
      requestId: source.requestId ?? null,
    },
    ctx.pass,
  );
  ctx.progress.stage(stage).gaps += 1;
}

/**
 * Run `work` for an item at most once per run: skipped when already stored, when it failed
 * earlier in this run, or joined when another caller is fetching it right now.
 */
export async function fetchOnce(
  ctx: CollectContext,
  kind: RecordKind,
  id: string,
  work: () => Promise<void>,
): Promise<void> {
  const k = `${kind}\t${id}`;
  if (isStored(ctx, kind, id)) {
    // Still referenced: a record taken over from a snapshot base stays in the state.
    ctx.store.confirm(kind, id);
    return;
  }
  if (ctx.failed.has(k)) return;
  const running = ctx.inflight.get(k);
  if (running !== undefined) return running;
  const p = work().finally(() => ctx.inflight.delete(k));
  ctx.inflight.set(k, p);
  return p;
}

/** Stage a small JSON/text document as a blob and describe it as a payload file. */
export async function stageText(
  ctx: Pick<CollectContext, 'store'>,
  path: string,
  text: string,
): Promise<StagedFile> {
  const ref = await ctx.store.blobs.putBytes(text);
  return { path, ...ref };
}

/**
 * Stream a download into the blob store (temp file per attempt, fsync, rename): the bytes are
 * never held in memory. Returns the client's result and the payload file.
 */
export async function stageDownload(
  ctx: Pick<CollectContext, 'store' | 'signal'>,
  path: string,
  download: (sink: DownloadSink, expect: DownloadExpectations) => Promise<DownloadResult>,
  expect: DownloadExpectations = {},
): Promise<{ result: DownloadResult; file: StagedFile }> {
  const tmp = ctx.store.blobs.tempPath();
  try {
    // `flush`: fsynced before it closes (the sink's commit waits for the close), so the blob
    // store renames it into place as it is.
    const result = await download(() => createWriteStream(tmp, { flags: 'w', mode: 0o600, flush: true }), {
      ...expect,
      signal: ctx.signal,
    });
    const ref = { sha256: result.sha256, md5: result.md5, size: result.size };
    await ctx.store.blobs.adoptTemp(tmp, ref);
    return { result, file: { path, ...ref } };
  } catch (error) {
    await ctx.store.blobs.discardTemp(tmp);
    throw error;
  }
}

/** `{"a":<raw>,"b":<raw>}` from exact JSON texts, so API records stay verbatim inside wrappers. */
export function composeJson(parts: readonly (readonly [string, string])[]): string {
  return `{${parts.map(([k, raw]) => `${JSON.stringify(k)}:${raw}`).join(',')}}`;
}
