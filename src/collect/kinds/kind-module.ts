/**
 * What a content kind's module exports (one `KindModule` each, listed in ./index.ts): the spec
 * `scope.include` value that turns it on, its listing walks with their page sizes, its collection
 * for pass 1 and for re-enumeration, its retry of a rerun's gaps, what `plan` counts of it and the
 * requests it estimates. The run (../quiesce.ts, ../retry-gaps.ts), the survey
 * (src/survey/survey-listings.ts) and the estimate (src/plan/estimate.ts) iterate these; none of
 * them restates a walk or a page size.
 */
import type { Activity, ComplianceClient, Organization, Page } from '../../api/index.js';
import type { ResolvedJobSpec, ContentKind as IncludeValue } from '../../spec/types.js';
import type { ExceptionEntry } from '../../store/index.js';
import type { CollectContext, PassContext } from '../context.js';

/** What a listing walk is built from: fixed for the run (spec, cut, resolved scope). */
export type ListingScope = Pick<CollectContext, 'spec' | 'cut' | 'scope'>;

/** One listing walk: its checkpoint key in a run, its page size, and how to open its pages. */
export interface Listing<T> {
  /** The walk's checkpoint key in a run (`chats:p1:org`). */
  readonly key: string;
  /** The walk's name in the plan's survey (`SurveyWalk.kind`). */
  readonly survey: string;
  /** Page size the run asks for. */
  readonly limit: number;
  pages(
    client: ComplianceClient,
    options: { resumeFrom?: string; signal?: AbortSignal | undefined },
  ): AsyncIterable<Page<T>>;
}

/** Kinds the plan counts from listings (never from content fetches). */
export type CountKind =
  | 'organizations'
  | 'users'
  | 'roles'
  | 'groups'
  | 'chats'
  | 'projects'
  | 'code_artifacts'
  | 'code_artifact_versions'
  | 'activities'
  | 'local_sessions'
  | 'remote_sessions';

/**
 * Distinct ids seen in the activity feed, as hints for what only message bodies or detail
 * records reveal (no listing endpoint returns files or artifacts, compliance-api.md §2.1).
 * Null when the key cannot read the feed.
 */
export interface ActivityHints {
  /** `claude_file_uploaded` with a chat. */
  readonly chatFiles: number;
  /** `claude_project_file_uploaded`. */
  readonly projectFiles: number;
  /** `claude_project_document_uploaded`. */
  readonly projectDocuments: number;
  /** `claude_artifact_created` (artifacts, not versions). */
  readonly chatArtifacts: number;
}

/** Who an item belongs to in the reports: the user's email when listed, else the user id. */
export function custodianOf(
  user: { id: string; email_address: string | null } | null | undefined,
): string | null {
  return user?.email_address ?? user?.id ?? null;
}

/** What a kind's survey (the `plan` command's listing-only walk) may use and report. */
export interface Surveyor {
  readonly client: ComplianceClient;
  readonly scope: ListingScope;
  /** The organizations the run would cover. */
  readonly orgs: readonly { readonly uuid: string }[];
  /** Walk every page of a listing (from its start), handing each item to `each`. */
  walk<T>(listing: Listing<T>, each: (item: T) => void): Promise<void>;
  /** Count listed items of a kind for one organization and custodian. */
  tally(kind: CountKind, organization: string | null, custodian: string | null, by?: number): void;
  /** Whether a user id is among the custodians (always, when the job covers all users). */
  isCustodian(userId: string | null | undefined): boolean;
  /** Hand an activity to the hint counter (files, documents, artifacts the feed names). */
  noteActivity(activity: Activity): void;
  /**
   * An incremental snapshot's plan: whether the base holds this listed state of an item (same
   * `updated_at` and listing signals; a version id it has), so the run would not fetch it and the
   * survey does not count it. Always false without a base.
   */
  unchanged(
    kind: 'chat' | 'project' | 'code_artifact_version',
    id: string,
    updatedAt: string | null,
    signals: string | null,
  ): boolean;
}

/** What a kind's request estimate may read and add to (src/plan/estimate.ts). */
export interface Estimator {
  readonly spec: ResolvedJobSpec;
  readonly include: ReadonlySet<IncludeValue>;
  readonly hints: ActivityHints | null;
  /** Items the survey counted of a kind. */
  count(kind: CountKind): number;
  /** Pages the run needs for the survey walks of one name, with how many walks and items. */
  pages(surveyWalk: string): { pages: number; walks: number; items: number };
  add(part: string, requests: number, basis: string, assumed?: boolean): void;
  assume(text: string): void;
  /** The total is a floor: something the kind fetches cannot be counted from listings. */
  lowerBound(): void;
}

/** A rerun's retry of gaps an earlier run named retryable (../retry-gaps.ts). */
export interface GapRetry {
  /** Record kinds of the gaps it takes. */
  readonly kinds: readonly string[];
  /**
   * 'each': one gap at a time, in the order the gaps were recorded (interleaved with the other
   * kinds' 'each' gaps); 'all': every gap of its kinds at once, after the 'each' gaps.
   */
  readonly mode: 'each' | 'all';
  run(ctx: PassContext, gaps: readonly ExceptionEntry[]): Promise<void>;
}

/** What pass 1 alone knows: the resolved organizations and their records as listed. */
export interface FirstPassInput {
  readonly orgs: readonly Organization[];
  readonly rawOrgs: ReadonlyMap<string, string>;
}

interface KindModuleBase {
  readonly name: string;
  /** The spec `scope.include` value that turns the kind on. */
  readonly include: IncludeValue;
  /** Further include values it serves: content reached only through this kind's items. */
  readonly serves?: readonly IncludeValue[];
  /** JSONL aggregates the bag always has when the kind is included (even when empty). */
  readonly aggregates?: readonly string[];
  readonly retry?: GapRetry;
  /** Pass-1 listing walks, counted for `plan`. */
  survey?(s: Surveyor): Promise<void>;
  /** Request lines for `plan`, mirroring what `collect` sends. */
  estimate(e: Estimator): void;
}

/** A kind every quiescence pass lists again in full (compliance-api.md §4.2). */
export interface RelistedKind extends KindModuleBase {
  readonly relisted: true;
  collect(ctx: PassContext): Promise<void>;
  /** Listing pages a re-enumeration pass that finds nothing new requests. */
  relistEstimate?(e: Estimator): number;
}

/** A kind collected in pass 1 only. */
export interface FirstPassKind extends KindModuleBase {
  readonly relisted: false;
  collect(ctx: PassContext, first: FirstPassInput): Promise<void>;
}

export type KindModule = RelistedKind | FirstPassKind;
