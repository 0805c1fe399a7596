/**
 * Listing-only enumeration for `plan`: the same walks a run's first pass makes (organizations,
 * users, roles, groups, chat lists, project lists, code-artifact lists, the activity feed,
 * session lists), counted per kind / organization / custodian; no messages, no content, no
 * detail records. Where the pipeline exposes how it builds a walk (`chatWalks`,
 * `activityParams`, `resolveOrganizations`) we call it, so the plan lists what the run lists.
 */
import type { Activity, ComplianceClient, Page } from '../api/index.js';
import { activityParams } from '../collect/activities.js';
import { chatWalks } from '../collect/chats.js';
import type { CollectContext, ScopeTargets } from '../collect/context.js';
import { resolveOrganizations } from '../collect/directory.js';
import { ExportError } from '../errors.js';
import type {
  ActivityHints,
  CountKind,
  CustodianResolution,
  SurveyTally,
  SurveyWalk,
} from '../plan/types.js';
import type { ResolvedJobSpec } from '../spec/types.js';
import { inWindow } from '../spec/time-window.js';

export interface SurveyInput {
  readonly client: ComplianceClient;
  /** The spec with `scope.include` narrowed to what the preflight found reachable. */
  readonly spec: ResolvedJobSpec;
  readonly cut: string;
  readonly signal?: AbortSignal | undefined;
}

export interface SurveyResult {
  readonly organizations: { uuid: string; name: string }[];
  readonly custodians: CustodianResolution[] | null;
  readonly tallies: SurveyTally[];
  readonly walks: SurveyWalk[];
  readonly hints: ActivityHints | null;
}

/** Activities are counted in pages of 5,000 (the feed's maximum); the run reads pages of 1,000. */
const SURVEY_ACTIVITY_LIMIT = 5000;
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

/** Walk every page, handing items to `each`; returns the walk's page and item counts. */
async function walk<T>(
  walks: SurveyWalk[],
  meta: { kind: string; limit: number; runLimit: number },
  pages: AsyncIterable<Page<T>>,
  each: (item: T) => void,
): Promise<void> {
  let n = 0;
  let items = 0;
  let endpoint = '';
  for await (const page of pages) {
    n += 1;
    endpoint = page.endpoint;
    items += page.items.length;
    for (const item of page.items) each(item);
  }
  walks.push({ kind: meta.kind, endpoint, limit: meta.limit, runLimit: meta.runLimit, pages: n, items });
}

const custodianOf = (user: { id: string; email_address: string | null } | null | undefined): string | null =>
  user?.email_address ?? user?.id ?? null;

export async function surveyListings(input: SurveyInput): Promise<SurveyResult> {
  const { client, spec, cut, signal } = input;
  const include = new Set(spec.scope.include);
  const tallies = new Tallies();
  const walks: SurveyWalk[] = [];
  const opts = { signal };
  // The pipeline's walk builders read only spec, scope, cut and pass from their context.
  const ctxLike = (scope: ScopeTargets): CollectContext =>
    ({ client, spec, cut, signal, scope, pass: 1 }) as unknown as CollectContext;

  // ---- organizations (as the run resolves them) ----
  let orgs: { uuid: string; name: string }[] = [];
  try {
    const resolved = await resolveOrganizations(
      ctxLike({ orgUuids: null, custodianIds: null, emails: new Map() }),
    );
    orgs = resolved.orgs.map((o) => ({ uuid: o.uuid, name: o.name }));
    walks.push({
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
  for (const o of orgs) tallies.add('organizations', o.uuid, null);

  // ---- users (directory counts and custodian resolution) ----
  const wanted = spec.scope.custodians;
  const emailsWanted = new Map<string, string>();
  const idsWanted = new Set<string>();
  if (wanted !== 'all') {
    for (const c of wanted) {
      if (c.startsWith('user_')) idsWanted.add(c);
      else emailsWanted.set(c.toLowerCase(), c);
    }
  }
  const resolvedIds = new Map<string, Set<string>>(); // spec entry → user ids
  if (include.has('directory') || wanted !== 'all') {
    for (const org of orgs) {
      await walk(
        walks,
        { kind: 'users', limit: 1000, runLimit: 1000 },
        client.listUsers(org.uuid, { limit: 1000 }, opts),
        (u) => {
          if (include.has('directory')) tallies.add('users', org.uuid, null);
          const entry = emailsWanted.get(u.email.toLowerCase()) ?? (idsWanted.has(u.id) ? u.id : undefined);
          if (entry !== undefined) resolvedIds.set(entry, (resolvedIds.get(entry) ?? new Set()).add(u.id));
        },
      );
    }
  }
  let custodians: CustodianResolution[] | null = null;
  let custodianIds: string[] | null = null;
  if (wanted !== 'all') {
    // `user_…` ids are taken as given, like the run does (a departed user's chats keep the id).
    custodians = wanted.map((c) => ({
      input: c,
      userIds: c.startsWith('user_') ? [c] : [...(resolvedIds.get(c) ?? [])].sort(),
    }));
    custodianIds = [...new Set(custodians.flatMap((c) => c.userIds))].sort();
  }
  const scope: ScopeTargets = {
    orgUuids: spec.scope.organizations === 'all' ? null : orgs.map((o) => o.uuid),
    custodianIds,
    emails: new Map(),
  };
  const ctx = ctxLike(scope);
  const orgFilter = scope.orgUuids === null ? {} : { organization_ids: [...scope.orgUuids] };
  const isCustodian = (id: string | null | undefined): boolean =>
    custodianIds === null || (id != null && custodianIds.includes(id));

  // ---- roles and groups ----
  if (include.has('directory')) {
    for (const org of orgs) {
      await walk(
        walks,
        { kind: 'roles', limit: 1000, runLimit: 1000 },
        client.listRoles(org.uuid, { limit: 1000 }, opts),
        () => tallies.add('roles', org.uuid, null),
      );
    }
    await walk(
      walks,
      { kind: 'groups', limit: 1000, runLimit: 1000 },
      client.listGroups({ limit: 1000 }, opts),
      () => tallies.add('groups', null, null),
    );
  }

  // ---- chats: the run's own pass-1 walks ----
  if (include.has('chats')) {
    for (const w of chatWalks(ctx, 1)) {
      await walk(
        walks,
        { kind: 'chats', limit: 1000, runLimit: 1000 },
        client.listChats(w.params, opts),
        (chat) => {
          if (
            !inWindow(chat.created_at, spec.scope.created_at) ||
            !inWindow(chat.updated_at, spec.scope.updated_at)
          )
            return;
          if (!isCustodian(chat.user?.id)) return;
          if (Date.parse(chat.created_at) > Date.parse(cut)) return;
          tallies.add('chats', chat.organization_uuid, custodianOf(chat.user));
        },
      );
    }
  }

  // ---- projects (collect/projects.ts walks) ----
  if (include.has('projects')) {
    const ids = custodianIds;
    const all =
      ids === null
        ? [{ ...orgFilter, limit: 100 }]
        : chunks(ids, 10).map((c) => ({ ...orgFilter, user_ids: c, limit: 100 }));
    for (const params of all) {
      await walk(
        walks,
        { kind: 'projects', limit: 100, runLimit: 100 },
        client.listProjects(params, opts),
        (p) => {
          if (Date.parse(p.created_at) > Date.parse(cut)) return;
          tallies.add('projects', p.organization_uuid, custodianOf(p.user));
        },
      );
    }
  }

  // ---- code artifacts: full enumeration, no time filter (collect/code-artifacts.ts) ----
  if (include.has('code_artifacts')) {
    const ids = custodianIds;
    const all =
      ids === null
        ? [{ ...orgFilter, limit: 100 }]
        : chunks(ids, 200).map((c) => ({ ...orgFilter, user_ids: c, limit: 100 }));
    for (const params of all) {
      await walk(
        walks,
        { kind: 'code_artifacts', limit: 100, runLimit: 100 },
        client.listCodeArtifacts(params, opts),
        (a) => {
          const who = a.user?.email_address ?? a.owner_user_id ?? null;
          tallies.add('code_artifacts', a.organization_uuid, who);
          tallies.add('code_artifact_versions', a.organization_uuid, who, (a.versions ?? []).length);
        },
      );
    }
  }

  // ---- activities (the run's parameters, bigger pages) and hints from the feed ----
  let hints: ActivityHints | null = null;
  const hintSets = {
    chatFiles: new Set<string>(),
    projectFiles: new Set<string>(),
    projectDocuments: new Set<string>(),
    chatArtifacts: new Set<string>(),
  };
  const noteHint = (a: Activity): void => {
    const s = (k: string): string | null => (typeof a[k] === 'string' ? a[k] : null);
    if (a.type === 'claude_file_uploaded' && s('claude_chat_id') !== null)
      addId(hintSets.chatFiles, s('claude_file_id'));
    else if (a.type === 'claude_project_file_uploaded') addId(hintSets.projectFiles, s('claude_file_id'));
    else if (a.type === 'claude_project_document_uploaded')
      addId(hintSets.projectDocuments, s('claude_project_document_id'));
    else if (a.type === 'claude_artifact_created') addId(hintSets.chatArtifacts, s('claude_artifact_id'));
  };
  const runParams = activityParams(ctx);
  const params = { ...runParams, limit: SURVEY_ACTIVITY_LIMIT };
  const typeFiltered =
    spec.scope.activity_types !== undefined || spec.scope.exclude_activity_types !== undefined;
  if (include.has('activities')) {
    await walk(
      walks,
      {
        kind: 'activities',
        limit: SURVEY_ACTIVITY_LIMIT,
        runLimit: runParams.limit ?? SURVEY_ACTIVITY_LIMIT,
      },
      client.listActivities(params, opts),
      (a) => {
        tallies.add('activities', a.organization_uuid ?? null, actorOf(a));
        if (!typeFiltered) noteHint(a);
      },
    );
    if (!typeFiltered) hints = sizes(hintSets);
  }
  if (hints === null && (include.has('chats') || include.has('projects'))) {
    // A separate, narrow walk over the upload/creation events only; a key without the
    // activities scope simply gets no hints.
    const { exclude_activity_types: _x, ...rest } = params;
    try {
      await walk(
        walks,
        { kind: 'activity_hints', limit: SURVEY_ACTIVITY_LIMIT, runLimit: SURVEY_ACTIVITY_LIMIT },
        client.listActivities({ ...rest, activity_types: HINT_TYPES }, opts),
        noteHint,
      );
      hints = sizes(hintSets);
    } catch (error) {
      if (!(error instanceof ExportError && error.code === 'scope_missing')) throw error;
    }
  }

  // ---- sessions (collect/sessions.ts walks) ----
  if (include.has('sessions')) {
    const w = spec.scope.created_at;
    const localParams = {
      ...(w?.gte !== undefined
        ? { created_at: { gte: w.gte, ...(w.lt !== undefined ? { lt: w.lt } : {}) } }
        : {}),
      limit: 500,
    };
    const keep = (s: { user?: { id: string } | null; created_at: string }): boolean =>
      isCustodian(s.user?.id) && Date.parse(s.created_at) <= Date.parse(cut);
    await walk(
      walks,
      { kind: 'local_sessions', limit: 500, runLimit: 500 },
      client.listLocalSessions(localParams, opts),
      (s) => {
        if (keep(s)) tallies.add('local_sessions', s.organization_uuid, custodianOf(s.user));
      },
    );
    const remoteParams = { ...orgFilter, ...(w !== undefined ? { created_at: { ...w } } : {}), limit: 500 };
    await walk(
      walks,
      { kind: 'remote_sessions', limit: 500, runLimit: 500 },
      client.listRemoteSessions(remoteParams, opts),
      (s) => {
        if (keep(s)) tallies.add('remote_sessions', s.organization_uuid, custodianOf(s.user));
      },
    );
  }

  return { organizations: orgs, custodians, tallies: tallies.list(), walks, hints };
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function addId(set: Set<string>, id: string | null): void {
  if (id !== null) set.add(id);
}

function sizes(s: Record<keyof ActivityHints, Set<string>>): ActivityHints {
  return {
    chatFiles: s.chatFiles.size,
    projectFiles: s.projectFiles.size,
    projectDocuments: s.projectDocuments.size,
    chatArtifacts: s.chatArtifacts.size,
  };
}

function actorOf(a: Activity): string | null {
  const actor = a.actor as Record<string, unknown> | undefined;
  const email = actor?.['email_address'];
  if (typeof email === 'string') return email;
  const id = actor?.['user_id'];
  return typeof id === 'string' ? id : null;
}
