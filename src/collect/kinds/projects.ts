/**
 * Projects kind (compliance-api.md §3.13-3.14, recipe §4.5 step 4): list, then per project its
 * detail, attachments and collaborators (`data/projects/<id>/project.json`, `attachments.jsonl`,
 * `collaborators.jsonl`), every document with its metadata, and every project file (through the
 * files endpoints, stored once under `data/files/` like chat uploads).
 */
import { collectListed } from './collect-listed.js';
import type { Project, ProjectAttachment, ProjectListParams } from '../../api/index.js';
import { safeSegment } from '../../archive/safe-name.js';
import { contentName, fetchFile } from './chat-attachments.js';
import {
  fetchOnce,
  holdsListedState,
  listingSignals,
  stageRecord,
  recordFailure,
  stageText,
  type PassContext,
} from '../context.js';
import { forEachBounded } from '../fan-out.js';
import type { StoredRecord } from '../../store/index.js';
import {
  custodianOf,
  type Estimator,
  type RelistedKind,
  type Listing,
  type ListingScope,
  type Surveyor,
} from './kind-module.js';

const STAGE = 'projects';
/** Projects a listing page holds; attachments and collaborators a page of theirs holds. */
const PROJECT_PAGE = 100;
const DETAIL_PAGE = 100;
const MAX_USER_IDS = 10;
/** Listing fields that can change without `updated_at` moving. */
const PROJECT_SIGNALS = ['name', 'deleted_at', 'is_private', 'user'] as const;

async function rawList(
  pages: AsyncIterable<{ rawItems: string[]; items: unknown[] }>,
): Promise<{ raw: string[]; items: unknown[] }> {
  const raw: string[] = [];
  const items: unknown[] = [];
  for await (const p of pages) {
    raw.push(...p.rawItems);
    items.push(...p.items);
  }
  return { raw, items };
}

function projectListing(key: string, params: ProjectListParams): Listing<Project> {
  return {
    key,
    survey: 'projects',
    limit: PROJECT_PAGE,
    pages: (client, options) => client.listProjects({ ...params, limit: PROJECT_PAGE }, options),
  };
}

/** The walks of one pass: org-wide, or per 10 custodians. Every pass lists in full (no time filter). */
function projectListings(ctx: ListingScope, pass: number): Listing<Project>[] {
  const orgs = ctx.scope.orgUuids === null ? {} : { organization_ids: ctx.scope.orgUuids };
  const ids = ctx.scope.custodianIds;
  if (ids === null) return [projectListing(`projects:p${pass}`, orgs)];
  const walks: Listing<Project>[] = [];
  for (let i = 0; i < ids.length; i += MAX_USER_IDS) {
    walks.push(
      projectListing(`projects:p${pass}:users:${i / MAX_USER_IDS}`, {
        ...orgs,
        user_ids: ids.slice(i, i + MAX_USER_IDS),
      }),
    );
  }
  return walks;
}

async function collectProjects(ctx: PassContext): Promise<void> {
  await collectListed(ctx, STAGE, 'project', projectListings(ctx, ctx.pass), (project, raw) =>
    collectProject(ctx, project, raw),
  );
}

async function collectProject(ctx: PassContext, listed: Project, rawListed: string): Promise<void> {
  const held = ctx.store.status('project', listed.id);
  const signals = listingSignals(listed, PROJECT_SIGNALS);
  if (holdsListedState(ctx, 'project', listed.id, listed.updated_at, signals)) {
    ctx.progress.stage(STAGE).skipped += 1;
    return;
  }
  const custodian = custodianOf(listed.user);
  if (held.state !== 'stored' && Date.parse(listed.created_at) > Date.parse(ctx.cut)) {
    stageRecord(
      ctx,
      {
        kind: 'project',
        id: listed.id,
        updatedAt: listed.updated_at,
        createdAt: listed.created_at,
        row: { aggregate: '-', json: rawListed },
        source: { endpoint: '/v1/compliance/apps/projects' },
      },
      STAGE,
    );
    return;
  }
  await fetchProject(ctx, listed.id, custodian, signals);
}

/**
 * Fetch again a project the store holds (a snapshot base's) whatever its listing says: a chat
 * joined or left it, which moves its detail's `chats_count` but not its listing. Its listing
 * state is kept.
 */
export function refetchHeldProject(ctx: PassContext, record: StoredRecord): Promise<void> {
  return fetchProject(
    ctx,
    record.id,
    record.custodian,
    record.signals ?? listingSignals({}, PROJECT_SIGNALS),
  );
}

/** A project's detail, attachments (files and documents) and collaborators, then its record. */
async function fetchProject(
  ctx: PassContext,
  id: string,
  custodian: string | null,
  signals: string,
): Promise<void> {
  const listed = { id };
  const dir = `projects/${safeSegment(listed.id)}`;
  const signal = ctx.signal;
  try {
    const detail = await ctx.client.getProject(listed.id, { signal });
    const attachments = await rawList(
      ctx.client.listProjectAttachments(listed.id, { limit: DETAIL_PAGE }, { signal }),
    );
    const collaborators = await rawList(
      ctx.client.listProjectCollaborators(listed.id, { limit: DETAIL_PAGE }, { signal }),
    );
    const jsonl = (raw: string[]): string => raw.map((r) => `${r}\n`).join('');
    // The attachment entry carries md5/size (§3.14): with both, it is the file's metadata.json.
    const entries = (attachments.items as ProjectAttachment[]).map((record, i) => ({
      record,
      raw: attachments.raw[i] ?? JSON.stringify(record),
    }));
    await forEachBounded(
      entries,
      async (ref) => {
        const a = ref.record;
        if (a.type === 'project_file')
          await fetchFile(ctx, a.id, { filename: a.filename, custodian, parent: listed.id, ref });
        else if (a.type === 'project_doc') await fetchDocument(ctx, a, listed.id, dir, custodian);
      },
      { concurrency: 4, ...(signal ? { signal } : {}) },
    );
    stageRecord(
      ctx,
      {
        kind: 'project',
        id: listed.id,
        updatedAt: detail.record.updated_at,
        createdAt: detail.record.created_at,
        deletedAt: detail.record.deleted_at,
        custodian,
        originalName: detail.record.name,
        signals,
        files: [
          await stageText(ctx, `${dir}/project.json`, `${detail.raw}\n`),
          await stageText(ctx, `${dir}/attachments.jsonl`, jsonl(attachments.raw)),
          await stageText(ctx, `${dir}/collaborators.jsonl`, jsonl(collaborators.raw)),
        ],
        source: { endpoint: detail.endpoint, requestId: detail.requestId },
      },
      STAGE,
    );
  } catch (error) {
    recordFailure(ctx, STAGE, { kind: 'project', id: listed.id }, error);
  }
}

function fetchDocument(
  ctx: PassContext,
  a: Pick<ProjectAttachment, 'id' | 'filename'>,
  projectId: string,
  projectDir: string,
  custodian: string | null,
): Promise<void> {
  return fetchOnce(ctx, 'project_document', a.id, async () => {
    try {
      const meta = await ctx.client.getProjectDocumentMetadata(a.id, { signal: ctx.signal });
      const doc = await ctx.client.getProjectDocument(a.id, {
        expectedMd5: meta.record.md5,
        expectedSize: meta.record.size_bytes,
        signal: ctx.signal,
      });
      const dir = `${projectDir}/documents/${safeSegment(a.id)}`;
      const original = meta.record.filename ?? a.filename;
      stageRecord(
        ctx,
        {
          kind: 'project_document',
          id: a.id,
          updatedAt: meta.record.created_at,
          createdAt: meta.record.created_at,
          custodian,
          originalName: original,
          parent: projectId,
          files: [
            await stageText(ctx, `${dir}/${contentName(original, a.id)}`, doc.record.content),
            await stageText(ctx, `${dir}/metadata.json`, `${meta.raw}\n`),
          ],
          source: { endpoint: doc.endpoint, requestId: doc.requestId },
        },
        STAGE,
      );
    } catch (error) {
      recordFailure(ctx, STAGE, { kind: 'project_document', id: a.id, parent: projectId }, error);
    }
  });
}

/** Plan: the projects pass 1 lists that exist at the cut, per organization and custodian. */
async function surveyProjects(s: Surveyor): Promise<void> {
  for (const walk of projectListings(s.scope, 1)) {
    await s.walk(walk, (p) => {
      if (Date.parse(p.created_at) > Date.parse(s.scope.cut)) return;
      if (s.unchanged('project', p.id, p.updated_at, listingSignals(p, PROJECT_SIGNALS))) return;
      s.tally('projects', p.organization_uuid, custodianOf(p.user));
    });
  }
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function estimateProjects(e: Estimator): void {
  const projects = e.pages('projects');
  const n = e.count('projects');
  e.add('list.projects', projects.pages, plural(projects.pages, 'page'));
  e.add(
    'projects.detail',
    n * 3,
    `${plural(n, 'project')} × 3 (detail, attachments page, collaborators page)`,
  );
  const hints = e.hints;
  if (hints === null) {
    e.lowerBound();
    return;
  }
  e.add(
    'projects.files',
    hints.projectFiles,
    `${plural(hints.projectFiles, 'project file')} (activity feed) × 1 content download (md5/size come with the attachment)`,
    true,
  );
  e.add(
    'projects.documents',
    hints.projectDocuments * 2,
    `${plural(hints.projectDocuments, 'document')} (activity feed) × 2 (metadata, content)`,
    true,
  );
}

/** Projects with their detail, attachments, collaborators, documents and files. */
export const projects: RelistedKind = {
  name: 'projects',
  include: 'projects',
  relisted: true,
  collect: collectProjects,
  retry: {
    // Project files are retried with the chats kind's files (one fetch by id for both).
    kinds: ['project_document'],
    mode: 'each',
    run: async (ctx, gaps) => {
      for (const gap of gaps) {
        const parent = gap.parent ?? '';
        await fetchDocument(
          ctx,
          { id: gap.id, filename: '' },
          parent,
          `projects/${safeSegment(parent)}`,
          null,
        );
      }
    },
  },
  survey: surveyProjects,
  estimate: estimateProjects,
  relistEstimate: (e) => e.pages('projects').pages,
};
