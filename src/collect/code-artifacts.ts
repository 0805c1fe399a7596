/**
 * Code Artifacts stage (compliance-api.md §3.15, §4.2, recipe §4.5 step 5): a full enumeration
 * with no time filter (the updated_at index is eventually consistent and old artifacts never
 * match it), every listed version downloaded once. 503 "in flight" is retried by the client. A 404
 * on a version usually means it rotated out of the ~20 kept: the artifact is listed again and the
 * version retried if still listed, else it is a `version_rotated` gap. The provisional gap is
 * recorded at once, so a crash before the re-list cannot lose it.
 */
import type { CodeArtifact, CodeArtifactListParams } from '../api/index.js';
import { safeSegment } from '../archive/safe-name.js';
import { ExportError } from '../errors.js';
import { contentName } from './chat-attachments.js';
import { checkArtifactZip } from './zip-check.js';
import {
  fetchOnce,
  includes,
  put,
  recordFailure,
  recordNotice,
  stageDownload,
  guardedPages,
  stageText,
  walkFailureGuard,
  type CollectContext,
} from './context.js';
import { forEachBounded } from './fan-out.js';
import { trackedItems, WalkCheckpoint, type WalkItem } from './walk-checkpoint.js';

const STAGE = 'code_artifacts';

function listParams(ctx: CollectContext): CodeArtifactListParams[] {
  const orgs = ctx.scope.orgUuids === null ? {} : { organization_ids: ctx.scope.orgUuids };
  const ids = ctx.scope.custodianIds;
  if (ids === null) return [{ ...orgs, limit: 100 }];
  const out: CodeArtifactListParams[] = [];
  for (let i = 0; i < ids.length; i += 200)
    out.push({ ...orgs, user_ids: ids.slice(i, i + 200), limit: 100 });
  return out;
}

function firstCreated(a: CodeArtifact): string | null {
  let min: string | null = null;
  for (const v of a.versions ?? []) {
    if (v.created_at !== null && (min === null || Date.parse(v.created_at) < Date.parse(min)))
      min = v.created_at;
  }
  return min;
}

export async function collectCodeArtifacts(ctx: CollectContext): Promise<void> {
  if (!includes(ctx, 'code_artifacts')) return;
  const counters = ctx.progress.stage(STAGE);
  const rotated: { artifactId: string; versionId: string }[] = [];
  const all = listParams(ctx);
  for (let w = 0; w < all.length; w += 1) {
    const checkpoint = new WalkCheckpoint(ctx.store, `code_artifacts:p${ctx.pass}:${w}`);
    const resume = checkpoint.resume;
    if (resume.done) continue;
    const pages = ctx.client.listCodeArtifacts(all[w], {
      ...(resume.from !== undefined ? { resumeFrom: resume.from } : {}),
      signal: ctx.signal,
    });
    await forEachBounded(
      trackedItems(
        pages,
        checkpoint,
        walkFailureGuard(ctx, STAGE, 'code_artifact', `code_artifacts:p${ctx.pass}:${w}`),
      ),
      async (item: WalkItem<CodeArtifact>) => {
        counters.listed += 1;
        await collectArtifact(ctx, item.item, item.raw, rotated);
        item.finish();
      },
      {
        concurrency: ctx.concurrency,
        readAhead: ctx.readAhead,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      },
    );
  }
  if (rotated.length > 0) await relistRotated(ctx, rotated);
}

async function collectArtifact(
  ctx: CollectContext,
  a: CodeArtifact,
  raw: string,
  rotated: { artifactId: string; versionId: string }[],
): Promise<void> {
  const created = firstCreated(a);
  const held = ctx.store.status('code_artifact', a.id);
  const custodian = a.user?.email_address ?? a.owner_user_id ?? null;
  const record = {
    kind: 'code_artifact' as const,
    id: a.id,
    updatedAt: a.updated_at,
    createdAt: created,
    custodian,
    source: { endpoint: '/v1/compliance/apps/code/artifacts' },
  };
  if (held.state !== 'stored' && created !== null && Date.parse(created) > Date.parse(ctx.cut)) {
    put(ctx, { ...record, row: { aggregate: '-', json: raw } }, STAGE);
    return;
  }
  await forEachBounded(
    a.versions ?? [],
    async (v) => {
      const ok = await fetchVersion(ctx, a, v, custodian);
      if (ok === 'not_found') rotated.push({ artifactId: a.id, versionId: v.id });
    },
    { concurrency: 4, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
  const dir = `code_artifacts/${safeSegment(a.id)}`;
  put(ctx, { ...record, files: [await stageText(ctx, `${dir}/artifact.json`, `${raw}\n`)] }, STAGE);
}

async function fetchVersion(
  ctx: CollectContext,
  a: CodeArtifact,
  v: CodeArtifact['versions'][number],
  custodian: string | null,
): Promise<'ok' | 'not_found' | 'failed'> {
  const id = `${a.id}/${v.id}`;
  let outcome: 'ok' | 'not_found' | 'failed' = 'ok';
  await fetchOnce(ctx, 'code_artifact_version', id, async () => {
    try {
      // Always ask for multi-file versions as a ZIP (422 multi_file_unavailable otherwise).
      const { result, file } = await stageDownload(ctx, '', (sink, expect) =>
        ctx.client.downloadCodeArtifactVersion(a.id, v.id, sink, { multi_file_format: 'zip' }, expect),
      );
      let unsafeEntries: readonly string[] = [];
      if (result.contentType?.startsWith('application/zip') === true) {
        const check = await checkArtifactZip(ctx.store.blobs.pathOf(file.sha256));
        if (check.problem !== null) {
          throw new ExportError('body_truncated', `${result.endpoint}: ${check.problem}`, {
            retryable: true,
          });
        }
        unsafeEntries = check.unsafeEntries;
      }
      const dir = `code_artifacts/${safeSegment(a.id)}/versions/${safeSegment(v.id)}`;
      put(
        ctx,
        {
          kind: 'code_artifact_version',
          id,
          updatedAt: v.created_at,
          createdAt: v.created_at,
          custodian,
          originalName: result.filename ?? v.name,
          files: [{ ...file, path: `${dir}/${contentName(result.filename, `${v.id}.bin`)}` }],
          source: { endpoint: result.endpoint, query: result.query, requestId: result.requestId },
        },
        STAGE,
      );
      if (unsafeEntries.length > 0) {
        // Kept as served (we never extract it); whoever opens it must not extract it blindly.
        recordNotice(
          ctx,
          STAGE,
          { kind: 'code_artifact_version', id, parent: a.id },
          'unsafe_zip_entries',
          `ZIP entries that escape their folder: ${unsafeEntries.join(', ')}; kept as served, not extracted`,
          { endpoint: result.endpoint, requestId: result.requestId },
        );
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'not_found') {
        outcome = 'not_found';
        ctx.store.recordException(
          {
            kind: 'code_artifact_version',
            id,
            reason: 'version_rotated',
            retryable: true,
            detail: 'version answered 404; pending a re-list of the artifact',
            parent: a.id,
          },
          ctx.pass,
        );
        return;
      }
      outcome = 'failed';
      recordFailure(ctx, STAGE, { kind: 'code_artifact_version', id, parent: a.id }, error);
    }
  });
  return outcome;
}

/**
 * A rerun's retry of versions an earlier run could not get (a 503 "in flight" past the retries, a
 * ZIP cut short): the stage's walks are finished by then, so they are fetched again by id; one
 * that answers 404 goes through the same re-list as in a run.
 */
export async function retryVersionGaps(
  ctx: CollectContext,
  gaps: readonly { readonly id: string; readonly parent?: string | null }[],
): Promise<void> {
  if (!includes(ctx, 'code_artifacts')) return;
  const rotated: { artifactId: string; versionId: string }[] = [];
  for (const gap of gaps) {
    const slash = gap.id.indexOf('/');
    if (slash <= 0) continue;
    const artifactId = gap.id.slice(0, slash);
    const versionId = gap.id.slice(slash + 1);
    const artifact = { id: artifactId, versions: [] } as unknown as CodeArtifact;
    const version = { id: versionId, created_at: null, name: versionId };
    if ((await fetchVersion(ctx, artifact, version, null)) === 'not_found')
      rotated.push({ artifactId, versionId });
  }
  if (rotated.length > 0) await relistRotated(ctx, rotated);
}

/** List again; retry versions still listed, name the others `version_rotated` (final). */
async function relistRotated(
  ctx: CollectContext,
  rotated: readonly { artifactId: string; versionId: string }[],
): Promise<void> {
  const wanted = new Set(rotated.map((r) => r.artifactId));
  const listed = new Map<string, CodeArtifact>();
  for (const params of listParams(ctx)) {
    const pages = ctx.client.listCodeArtifacts(params, { signal: ctx.signal });
    for await (const page of guardedPages(
      ctx,
      STAGE,
      'code_artifact',
      `code_artifacts:p${ctx.pass}:relist`,
      pages,
    )) {
      for (const a of page.items) if (wanted.has(a.id)) listed.set(a.id, a);
    }
  }
  for (const r of rotated) {
    const a = listed.get(r.artifactId);
    const v = a?.versions.find((x) => x.id === r.versionId);
    const id = `${r.artifactId}/${r.versionId}`;
    if (a !== undefined && v !== undefined) {
      ctx.failed.delete(`code_artifact_version\t${id}`);
      const outcome = await fetchVersion(ctx, a, v, a.user?.email_address ?? a.owner_user_id ?? null);
      if (outcome !== 'not_found') continue;
    }
    ctx.store.recordException(
      {
        kind: 'code_artifact_version',
        id,
        reason: 'version_rotated',
        retryable: false,
        detail:
          a === undefined ? 'artifact no longer listed' : 'version answered 404 and is no longer listed',
        parent: r.artifactId,
      },
      ctx.pass,
    );
    ctx.progress.stage(STAGE).gaps += 1;
  }
}
