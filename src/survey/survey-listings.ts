/**
 * Listing-only enumeration for `plan`: the same walks a run's first pass makes (organizations,
 * users, then every included content kind's own survey: roles, groups, chat lists, project
 * lists, code-artifact lists, the activity feed, session lists), counted per kind / organization
 * / custodian; no messages, no content, no detail records. The walks are the kinds' own
 * (src/collect/kinds), so the plan lists what the run lists, at the run's page sizes.
 */
import type { Activity, ComplianceClient } from '../api/index.js';
import type { ScopeTargets } from '../collect/context.js';
import { activityListing, activityParams } from '../collect/kinds/activities.js';
import { userListing } from '../collect/kinds/directory.js';
import { KINDS, type Listing, type ListingScope, type Surveyor } from '../collect/kinds/index.js';
import { resolveOrganizations } from '../collect/scope.js';
import { ExportError } from '../errors.js';
import type {
  ActivityHints,
  CountKind,
  CustodianResolution,
  SnapshotBaseInfo,
  SurveyTally,
  SurveyWalk,
} from '../plan/types.js';
import type { BaseSignals } from '../snapshot/base-signals.js';
import type { ContentKind, ResolvedJobSpec } from '../spec/types.js';

export interface SurveyInput {
  readonly client: ComplianceClient;
  /** The spec with `scope.include` narrowed to what the preflight found reachable. */
  readonly spec: ResolvedJobSpec;
  readonly cut: string;
  readonly signal?: AbortSignal | undefined;
  /** An incremental snapshot's base: what it holds unchanged is not counted. */
  readonly base?: BaseSignals | null;
}

export interface SurveyResult {
  readonly organizations: { uuid: string; name: string }[];
  readonly custodians: CustodianResolution[] | null;
  readonly tallies: SurveyTally[];
  readonly walks: SurveyWalk[];
  /**
   * Entries each relisted kind's pass-1 walks returned, every one before any filter, by kind name:
   * what a run's progress line counts as that kind's listed total (plan-estimate.json).
   */
  readonly listed: Record<string, number>;
  readonly hints: ActivityHints | null;
  readonly snapshotBase?: SnapshotBaseInfo | null;
}

const HINT_TYPES = [
  'claude_file_uploaded',
  'claude_project_file_uploaded',
  'claude_project_document_uploaded',
  'claude_artifact_created',
];

class Tallies {
  readonly #map = new Map<string, SurveyTally>();
  add(kind: CountKind, organization: string | null, custodian: string | null, by = 1): void {
    const key = `${kind}\t${organization ?? ''}\t${custodian ?? ''}`;
    const t = this.#map.get(key);
    this.#map.set(key, { kind, organization, custodian, count: (t?.count ?? 0) + by });
  }
  list(): SurveyTally[] {
    return [...this.#map.values()];
  }
}

/** One survey's fixed inputs and what it collects: the walks made and the counts. */
interface SurveyRun {
  readonly client: ComplianceClient;
  readonly spec: ResolvedJobSpec;
  readonly signal: AbortSignal | undefined;
  readonly include: ReadonlySet<ContentKind>;
  readonly tallies: Tallies;
  readonly walks: SurveyWalk[];
}

type SurveyOrg = { uuid: string; name: string };

/** Walk every page of a listing from its start, handing items to `each`; records the walk's page and item counts. */
async function walk<T>(run: SurveyRun, listing: Listing<T>, each: (item: T) => void): Promise<void> {
  let n = 0;
  let items = 0;
  let endpoint = '';
  for await (const page of listing.pages(run.client, { signal: run.signal })) {
    n += 1;
    endpoint = page.endpoint;
    items += page.items.length;
    for (const item of page.items) each(item);
  }
  run.walks.push({
    kind: listing.survey,
    endpoint,
    limit: listing.limit,
    runLimit: listing.limit,
    pages: n,
    items,
  });
}

export async function surveyListings(input: SurveyInput): Promise<SurveyResult> {
  const { client, spec, cut, signal } = input;
  const base = input.base ?? null;
  const run: SurveyRun = {
    client,
    spec,
    signal,
    include: new Set(spec.scope.include),
    tallies: new Tallies(),
    walks: [],
  };
  const orgs = await surveyOrganizations(run);
  const { custodians, custodianIds } = await surveyUsers(run, orgs);
  const scope: ScopeTargets = {
    orgUuids: spec.scope.organizations === 'all' ? null : orgs.map((o) => o.uuid),
    custodianIds,
    emails: new Map(),
  };
  const listingScope: ListingScope = { spec, cut, scope };
  const hintSets = new HintSets();
  // A feed narrowed by activity types cannot vouch for the uploads it leaves out.
  const typeFiltered =
    spec.scope.activity_types !== undefined || spec.scope.exclude_activity_types !== undefined;
  const surveyor: Surveyor = {
    client,
    scope: listingScope,
    orgs,
    walk: (listing, each) => walk(run, listing, each),
    tally: (kind, organization, custodian, by) => run.tallies.add(kind, organization, custodian, by),
    isCustodian: (id) => custodianIds === null || (id != null && custodianIds.includes(id)),
    noteActivity: (a) => {
      // On a base, only uploads since its cut are new to fetch.
      if (base !== null && Date.parse(a.created_at) <= Date.parse(base.asOfCut)) return;
      if (!typeFiltered) hintSets.note(a);
    },
    unchanged: (kind, id, updatedAt, signals) => base?.holds(kind, id, updatedAt, signals) ?? false,
  };
  // Every included content kind, as its pass 1 lists it.
  const listed: Record<string, number> = {};
  for (const kind of KINDS) {
    if (!run.include.has(kind.include)) continue;
    const from = run.walks.length;
    await kind.survey?.(surveyor);
    if (kind.relisted) listed[kind.name] = run.walks.slice(from).reduce((s, w) => s + w.items, 0);
  }
  const hints = await surveyHints(run, listingScope, hintSets, typeFiltered);
  return {
    organizations: orgs,
    custodians,
    tallies: run.tallies.list(),
    walks: run.walks,
    listed,
    hints,
    ...(input.base === undefined
      ? {}
      : {
          snapshotBase:
            base === null
              ? null
              : { runId: base.runId, asOfCut: base.asOfCut, records: base.records, unchanged: base.held },
        }),
  };
}

/** The organizations, as the run resolves them, each counted once. */
async function surveyOrganizations(run: SurveyRun): Promise<SurveyOrg[]> {
  const { client, spec, signal } = run;
  let orgs: SurveyOrg[] = [];
  try {
    const resolved = await resolveOrganizations({ client, spec, signal });
    orgs = resolved.orgs.map((o) => ({ uuid: o.uuid, name: o.name }));
    run.walks.push({
      kind: 'organizations',
      endpoint: '/v1/compliance/organizations',
      limit: 1000,
      runLimit: 1000,
      pages: Math.max(1, Math.ceil(resolved.raw.size / 1000)),
      items: resolved.raw.size,
    });
  } catch (error) {
    // Same fallback as the run: without the org-data scope, `all` means "whatever the key reaches".
    if (!(
      error instanceof ExportError &&
      error.code === 'scope_missing' &&
      spec.scope.organizations === 'all'
    ))
      throw error;
  }
  for (const o of orgs) run.tallies.add('organizations', o.uuid, null);
  return orgs;
}

/** Users: directory counts, and the user ids each custodian entry of the spec resolves to. */
async function surveyUsers(
  run: SurveyRun,
  orgs: readonly SurveyOrg[],
): Promise<{ custodians: CustodianResolution[] | null; custodianIds: string[] | null }> {
  const wanted = run.spec.scope.custodians;
  const resolvedIds = await walkUsers(run, orgs, wanted);
  if (wanted === 'all') return { custodians: null, custodianIds: null };
  // `user_…` ids are taken as given, like the run does (a departed user's chats keep the id).
  const custodians = wanted.map((c) => ({
    input: c,
    userIds: c.startsWith('user_') ? [c] : [...(resolvedIds.get(c) ?? [])].sort(),
  }));
  return { custodians, custodianIds: [...new Set(custodians.flatMap((c) => c.userIds))].sort() };
}

/** Walk each org's users when the directory or custodians need them: spec entry → user ids. */
async function walkUsers(
  run: SurveyRun,
  orgs: readonly SurveyOrg[],
  wanted: ResolvedJobSpec['scope']['custodians'],
): Promise<Map<string, Set<string>>> {
  const emailsWanted = new Map<string, string>();
  const idsWanted = new Set<string>();
  if (wanted !== 'all') {
    for (const c of wanted) {
      if (c.startsWith('user_')) idsWanted.add(c);
      else emailsWanted.set(c.toLowerCase(), c);
    }
  }
  const resolvedIds = new Map<string, Set<string>>();
  const directory = run.include.has('directory');
  if (!directory && wanted === 'all') return resolvedIds;
  for (const org of orgs) {
    await walk(run, userListing(org.uuid), (u) => {
      if (directory) run.tallies.add('users', org.uuid, null);
      const entry = emailsWanted.get(u.email.toLowerCase()) ?? (idsWanted.has(u.id) ? u.id : undefined);
      if (entry !== undefined) resolvedIds.set(entry, (resolvedIds.get(entry) ?? new Set()).add(u.id));
    });
  }
  return resolvedIds;
}

/**
 * Hints from the feed: what the activities survey noted, else (chats or projects included) a
 * separate, narrow walk over the upload/creation events only; a key without the activities scope
 * simply gets no hints.
 */
async function surveyHints(
  run: SurveyRun,
  listingScope: ListingScope,
  hintSets: HintSets,
  typeFiltered: boolean,
): Promise<ActivityHints | null> {
  if (run.include.has('activities') && !typeFiltered) return hintSets.sizes();
  if (!run.include.has('chats') && !run.include.has('projects')) return null;
  const { exclude_activity_types: _x, ...rest } = activityParams(listingScope);
  try {
    const listing = activityListing('activity_hints', 'activity_hints', {
      ...rest,
      activity_types: HINT_TYPES,
    });
    await walk(run, listing, (a) => hintSets.note(a));
    return hintSets.sizes();
  } catch (error) {
    if (!(error instanceof ExportError && error.code === 'scope_missing')) throw error;
    return null;
  }
}

/** Distinct files, project documents and artifacts the feed's upload/creation events name. */
class HintSets {
  readonly #sets: Record<keyof ActivityHints, Set<string>> = {
    chatFiles: new Set(),
    projectFiles: new Set(),
    projectDocuments: new Set(),
    chatArtifacts: new Set(),
  };
  note(a: Activity): void {
    const s = (k: string): string | null => (typeof a[k] === 'string' ? a[k] : null);
    if (a.type === 'claude_file_uploaded' && s('claude_chat_id') !== null)
      addId(this.#sets.chatFiles, s('claude_file_id'));
    else if (a.type === 'claude_project_file_uploaded') addId(this.#sets.projectFiles, s('claude_file_id'));
    else if (a.type === 'claude_project_document_uploaded')
      addId(this.#sets.projectDocuments, s('claude_project_document_id'));
    else if (a.type === 'claude_artifact_created') addId(this.#sets.chatArtifacts, s('claude_artifact_id'));
  }
  sizes(): ActivityHints {
    const s = this.#sets;
    return {
      chatFiles: s.chatFiles.size,
      projectFiles: s.projectFiles.size,
      projectDocuments: s.projectDocuments.size,
      chatArtifacts: s.chatArtifacts.size,
    };
  }
}

function addId(set: Set<string>, id: string | null): void {
  if (id !== null) set.add(id);
}
