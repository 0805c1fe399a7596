/**
 * Requests and duration a run would need, derived from listing counts only (pure). Each line
 * mirrors what the collection stages send (src/collect): listing pages at the run's page size,
 * then one call per item where the stage fetches per item. What no listing shows (files and
 * artifacts referenced inside messages, generated files) comes from activity-feed hints or is
 * named as an assumption; the total is then a floor, and `lowerBound` says so.
 */
import type { ResolvedJobSpec } from '../spec/types.js';
import type { EstimateLine, KindCounts, ListingSurvey, PlanEstimate, SurveyWalk } from './types.js';

/** Pages the run needs for a walk: as observed when the survey used the run's page size. */
export function runPages(walk: SurveyWalk): number {
  if (walk.limit === walk.runLimit) return walk.pages;
  return Math.max(1, Math.ceil(walk.items / walk.runLimit));
}

function pagesOf(survey: ListingSurvey, kind: string): { pages: number; walks: number; items: number } {
  let pages = 0;
  let walks = 0;
  let items = 0;
  for (const w of survey.walks) {
    if (w.kind !== kind) continue;
    pages += runPages(w);
    walks += 1;
    items += w.items;
  }
  return { pages, walks, items };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function estimateRequests(
  spec: ResolvedJobSpec,
  survey: ListingSurvey,
  totals: KindCounts,
): PlanEstimate {
  const include = new Set(survey.include);
  const lines: EstimateLine[] = [];
  const assumptions: string[] = [
    'no retries, no 429s and no other integration sharing the budget',
    'listing pages at the run’s page sizes; page counts observed by this survey where it used the same size',
  ];
  let lowerBound = false;
  const add = (part: string, requests: number, basis: string, assumed = false): void => {
    if (requests > 0 || assumed) lines.push({ part, requests, basis, assumed });
  };
  const n = (k: keyof KindCounts): number => totals[k] ?? 0;

  add('preflight.probes', survey.probes, 'one probe per reachable content kind (first page only)');
  const orgs = pagesOf(survey, 'organizations');
  add('list.organizations', orgs.pages, plural(orgs.pages, 'page'));

  const custodianList = spec.scope.custodians !== 'all';
  const users = pagesOf(survey, 'users');
  const userLists = (include.has('directory') ? 1 : 0) + (custodianList ? 1 : 0);
  if (userLists > 0) {
    add(
      'list.users',
      users.pages * userLists,
      `${plural(users.pages, 'page')} over ${plural(users.walks, 'organization')}` +
        (userLists > 1 ? ' × 2 (directory and custodian resolution)' : ''),
    );
  }
  if (include.has('directory')) {
    const roles = pagesOf(survey, 'roles');
    add('list.roles', roles.pages, plural(roles.pages, 'page'));
    add('directory.role_permissions', n('roles'), `${plural(n('roles'), 'role')} × 1 permissions page`, true);
    add('directory.settings', n('organizations'), `${plural(n('organizations'), 'organization')} × 1`);
    const groups = pagesOf(survey, 'groups');
    add('list.groups', groups.pages, plural(groups.pages, 'page'));
    add('directory.group_members', n('groups'), `${plural(n('groups'), 'group')} × 1 members page`, true);
    assumptions.push('at most 1,000 permissions per role and 1,000 members per group (one page each)');
  }

  if (include.has('chats')) {
    const chats = pagesOf(survey, 'chats');
    add('list.chats', chats.pages, `${plural(chats.pages, 'page')} over ${plural(chats.walks, 'walk')}`);
    add('chats.messages', n('chats'), `${plural(n('chats'), 'chat')} × 1 messages call`, true);
    assumptions.push('at most 1,000 messages per chat (one messages page each)');
    const hints = survey.hints;
    if (include.has('files')) {
      if (hints !== null) {
        add(
          'files.chat',
          hints.chatFiles,
          `${plural(hints.chatFiles, 'uploaded file')} (activity feed) × 1 content download (md5/size come with the message)`,
          true,
        );
      } else lowerBound = true;
    }
    if (include.has('chat_artifacts')) {
      if (hints !== null) {
        add(
          'chat_artifacts.versions',
          hints.chatArtifacts * 2,
          `${plural(hints.chatArtifacts, 'artifact')} (activity feed) × 1 version × 2 (metadata, content)`,
          true,
        );
        assumptions.push('one version per chat artifact (later versions are not in the feed)');
      }
      lowerBound = true;
    }
    if (include.has('generated_files')) {
      add('generated_files', 0, 'not countable without reading messages; counted as 0', true);
      lowerBound = true;
    }
  }

  if (include.has('projects')) {
    const projects = pagesOf(survey, 'projects');
    add('list.projects', projects.pages, plural(projects.pages, 'page'));
    add(
      'projects.detail',
      n('projects') * 3,
      `${plural(n('projects'), 'project')} × 3 (detail, attachments page, collaborators page)`,
    );
    if (survey.hints !== null) {
      add(
        'projects.files',
        survey.hints.projectFiles,
        `${plural(survey.hints.projectFiles, 'project file')} (activity feed) × 1 content download (md5/size come with the attachment)`,
        true,
      );
      add(
        'projects.documents',
        survey.hints.projectDocuments * 2,
        `${plural(survey.hints.projectDocuments, 'document')} (activity feed) × 2 (metadata, content)`,
        true,
      );
    } else lowerBound = true;
  }

  if (include.has('code_artifacts')) {
    const arts = pagesOf(survey, 'code_artifacts');
    add('list.code_artifacts', arts.pages, plural(arts.pages, 'page'));
    add(
      'code_artifacts.versions',
      n('code_artifact_versions'),
      `${plural(n('code_artifact_versions'), 'listed version')} × 1 download`,
    );
  }

  if (include.has('activities')) {
    const acts = pagesOf(survey, 'activities');
    add(
      'list.activities',
      acts.pages,
      `${plural(n('activities'), 'activity', 'activities')} in pages of 1,000`,
    );
  }

  if (include.has('sessions')) {
    const local = pagesOf(survey, 'local_sessions');
    const remote = pagesOf(survey, 'remote_sessions');
    add('list.sessions', local.pages + remote.pages, plural(local.pages + remote.pages, 'page'));
    const sessions = n('local_sessions') + n('remote_sessions');
    add('sessions.messages', sessions, `${plural(sessions, 'session')} × 1 transcript page`, true);
  }

  // Quiescence: at least one more pass re-lists what can change behind a cursor (collect/quiesce.ts).
  let requery = 0;
  // Chats are listed in full again (no time filter): at least the pages pass 1 listed.
  if (include.has('chats')) requery += Math.max(1, pagesOf(survey, 'chats').pages);
  if (include.has('code_artifacts')) requery += pagesOf(survey, 'code_artifacts').pages;
  if (include.has('projects')) requery += pagesOf(survey, 'projects').pages;
  if (include.has('activities')) requery += pagesOf(survey, 'activities').pages;
  const quiescencePasses = requery > 0 ? 1 : 0;
  if (requery > 0) {
    add(
      'quiescence.relist',
      requery,
      'one re-enumeration pass that finds nothing new (chats, code artifacts, projects and activities listed in full)',
      true,
    );
    assumptions.push('data quiet during the run: one quiescence pass, nothing changed to refetch');
  }

  if (lowerBound) {
    assumptions.push(
      'files, generated files and artifact versions are referenced only inside messages; counts come from ' +
        'the activity feed where it has them, so the total is a floor',
    );
  }
  const requests = lines.reduce((s, l) => s + l.requests, 0);
  const rpm = spec.source.requests_per_minute;
  const waits = (quiescencePasses * spec.consistency.quiescence.interval_ms) / 1000;
  const durationSeconds = Math.round(((requests / rpm) * 60 + waits) * 10) / 10;
  return { requests, lines, requestsPerMinute: rpm, durationSeconds, lowerBound, assumptions };
}
