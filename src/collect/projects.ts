/**
 * Projects stage (compliance-api.md §3.13-3.14, recipe §4.5 step 4): list, then per project its
 * detail, attachments and collaborators (`data/projects/<id>/project.json`, `attachments.jsonl`,
 * `collaborators.jsonl`), every document with its metadata, and every project file (through the
 * files endpoints, stored once under `data/files/` like chat uploads).
 */
import type { Project, ProjectAttachment, ProjectListParams } from '../api/index.js';
import { safeSegment } from '../archive/safe-name.js';
import { contentName, fetchFile } from './chat-attachments.js';
import {
  fetchOnce,
  holdsListedState,
  includes,
  listingSignals,
  put,
  recordFailure,
  stageText,
  walkFailureGuard,
  type CollectContext,
} from './context.js';
import { forEachBounded } from './fan-out.js';
import { trackedItems, WalkCheckpoint, type WalkItem } from './walk-checkpoint.js';

const STAGE = 'projects';
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

export async function collectProjects(ctx: CollectContext): Promise<void> {
  if (!includes(ctx, 'projects')) return;
  const counters = ctx.progress.stage(STAGE);
  const orgs = ctx.scope.orgUuids === null ? {} : { organization_ids: ctx.scope.orgUuids };
  const walks: { key: string; params: ProjectListParams }[] = [];
  const ids = ctx.scope.custodianIds;
  if (ids === null) walks.push({ key: `projects:p${ctx.pass}`, params: { ...orgs, limit: 100 } });
  else {
    for (let i = 0; i < ids.length; i += 10) {
      walks.push({
        key: `projects:p${ctx.pass}:users:${i / 10}`,
        params: { ...orgs, user_ids: ids.slice(i, i + 10), limit: 100 },
      });
    }
  }
  for (const walk of walks) {
    const checkpoint = new WalkCheckpoint(ctx.store, walk.key);
    const resume = checkpoint.resume;
    if (resume.done) continue;
    const pages = ctx.client.listProjects(walk.params, {
      ...(resume.from !== undefined ? { resumeFrom: resume.from } : {}),
      signal: ctx.signal,
    });
    await forEachBounded(
      trackedItems(pages, checkpoint, walkFailureGuard(ctx, STAGE, 'project', walk.key)),
      async (w: WalkItem<Project>) => {
        counters.listed += 1;
        await collectProject(ctx, w.item, w.raw);
        w.finish();
      },
      {
        concurrency: ctx.concurrency,
        readAhead: ctx.readAhead,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      },
    );
  }
}

async function collectProject(ctx: CollectContext, listed: Project, rawListed: string): Promise<void> {
  const held = ctx.store.status('project', listed.id);
  const signals = listingSignals(listed, PROJECT_SIGNALS);
  if (holdsListedState(ctx, 'project', listed.id, listed.updated_at, signals)) {
    ctx.progress.stage(STAGE).skipped += 1;
    return;
  }
  const custodian = listed.user?.email_address ?? listed.user?.id ?? null;
  if (held.state !== 'stored' && Date.parse(listed.created_at) > Date.parse(ctx.cut)) {
    put(
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
  const dir = `projects/${safeSegment(listed.id)}`;
  const signal = ctx.signal;
  try {
    const detail = await ctx.client.getProject(listed.id, { signal });
    const attachments = await rawList(
      ctx.client.listProjectAttachments(listed.id, { limit: 100 }, { signal }),
    );
    const collaborators = await rawList(
      ctx.client.listProjectCollaborators(listed.id, { limit: 100 }, { signal }),
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
    put(
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

export function fetchDocument(
  ctx: CollectContext,
  a: ProjectAttachment,
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
      put(
        ctx,
        {
          kind: 'project_document',
          id: a.id,
          updatedAt: meta.record.created_at,
          createdAt: meta.record.created_at,
          custodian,
          originalName: original,
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
