/**
 * Code artifacts kind (compliance-api.md §3.15, §4.2, recipe §4.5 step 5): a full enumeration
 * with no time filter (the updated_at index is eventually consistent and old artifacts never
 * match it), every listed version downloaded once. 503 "in flight" is retried by the client. A 404
 * on a version usually means it rotated out of the ~20 kept: the artifact is listed again and the
 * version retried if still listed, else it is a `version_rotated` gap. The provisional gap is
 * recorded at once, so a crash before the re-list cannot lose it.
 */
import { collectListed } from './collect-listed.js';
import type { CodeArtifact, CodeArtifactListParams } from '../../api/index.js';
import { safeSegment } from '../../archive/safe-name.js';
import { ExportError, isExportError } from '../../errors.js';
import { contentName } from './chat-attachments.js';
import { checkArtifactZip } from '../zip-check.js';
import {
  fetchOnce,
  includes,
  stageRecord,
  recordFailure,
  recordNotice,
  stageDownload,
  guardedPages,
  stageText,
  type PassContext,
} from '../context.js';
import { forEachBounded } from '../fan-out.js';
import type { Estimator, RelistedKind, Listing, ListingScope, Surveyor } from './kind-module.js';

const STAGE = 'code_artifacts';
/** Artifacts a listing page holds; custodians one listing request may name. */
const ARTIFACT_PAGE = 100;
const MAX_USER_IDS = 200;

/**
 * The walks of one pass, every one a full enumeration: org-wide, or per 200 custodians. `suffix`
 * names the walk in its checkpoint key (its index, or `relist` for a re-list of rotated versions).
 */
function artifactListings(ctx: ListingScope, pass: number): Listing<CodeArtifact>[] {
  const orgs = ctx.scope.orgUuids === null ? {} : { organization_ids: ctx.scope.orgUuids };
  const ids = ctx.scope.custodianIds;
  const all: CodeArtifactListParams[] = [];
  if (ids === null) all.push(orgs);
  else
    for (let i = 0; i < ids.length; i += MAX_USER_IDS)
      all.push({ ...orgs, user_ids: ids.slice(i, i + MAX_USER_IDS) });
  return all.map((params, w) => ({
    key: `code_artifacts:p${pass}:${w}`,
    survey: 'code_artifacts',
    limit: ARTIFACT_PAGE,
    pages: (client, options) => client.listCodeArtifacts({ ...params, limit: ARTIFACT_PAGE }, options),
  }));
}

/** The artifact's owner: the listed user's email, else the owner's user id. */
function artifactCustodian(a: CodeArtifact): string | null {
  return a.user?.email_address ?? a.owner_user_id ?? null;
}

function firstCreated(a: CodeArtifact): string | null {
  let min: string | null = null;
  for (const v of a.versions ?? []) {
    if (v.created_at !== null && (min === null || Date.parse(v.created_at) < Date.parse(min)))
      min = v.created_at;
  }
  return min;
}

async function collectCodeArtifacts(ctx: PassContext): Promise<void> {
  const rotated: { artifactId: string; versionId: string }[] = [];
  await collectListed(ctx, STAGE, 'code_artifact', artifactListings(ctx, ctx.pass), (artifact, raw) =>
    collectArtifact(ctx, artifact, raw, rotated),
  );
  if (rotated.length > 0) await relistRotated(ctx, rotated);
}

async function collectArtifact(
  ctx: PassContext,
  a: CodeArtifact,
  raw: string,
  rotated: { artifactId: string; versionId: string }[],
): Promise<void> {
  const created = firstCreated(a);
  const held = ctx.store.status('code_artifact', a.id);
  const custodian = artifactCustodian(a);
  const record = {
    kind: 'code_artifact' as const,
    id: a.id,
    updatedAt: a.updated_at,
    createdAt: created,
    custodian,
    source: { endpoint: '/v1/compliance/apps/code/artifacts' },
  };
  if (held.state !== 'stored' && created !== null && Date.parse(created) > Date.parse(ctx.cut)) {
    stageRecord(ctx, { ...record, row: { aggregate: '-', json: raw } }, STAGE);
    return;
  }
  await forEachBounded(
    a.versions ?? [],
    async (v) => {
      const ok = await fetchVersion(ctx, a.id, v, custodian);
      if (ok === 'not_found') rotated.push({ artifactId: a.id, versionId: v.id });
    },
    { concurrency: 4, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
  const dir = `code_artifacts/${safeSegment(a.id)}`;
  stageRecord(ctx, { ...record, files: [await stageText(ctx, `${dir}/artifact.json`, `${raw}\n`)] }, STAGE);
}

async function fetchVersion(
  ctx: PassContext,
  artifactId: string,
  v: Pick<CodeArtifact['versions'][number], 'id' | 'created_at' | 'name'>,
  custodian: string | null,
): Promise<'ok' | 'not_found' | 'failed'> {
  const id = `${artifactId}/${v.id}`;
  let outcome: 'ok' | 'not_found' | 'failed' = 'ok';
  await fetchOnce(ctx, 'code_artifact_version', id, async () => {
    try {
      // Always ask for multi-file versions as a ZIP (422 multi_file_unavailable otherwise).
      const { result, file } = await stageDownload(ctx, '', (sink, expect) =>
        ctx.client.downloadCodeArtifactVersion(artifactId, v.id, sink, { multi_file_format: 'zip' }, expect),
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
      const dir = `code_artifacts/${safeSegment(artifactId)}/versions/${safeSegment(v.id)}`;
      stageRecord(
        ctx,
        {
          kind: 'code_artifact_version',
          id,
          updatedAt: v.created_at,
          createdAt: v.created_at,
          custodian,
          originalName: result.filename ?? v.name,
          parent: artifactId,
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
          { kind: 'code_artifact_version', id, parent: artifactId },
          'unsafe_zip_entries',
          `ZIP entries that escape their folder: ${unsafeEntries.join(', ')}; kept as served, not extracted`,
          { endpoint: result.endpoint, requestId: result.requestId },
        );
      }
    } catch (error) {
      if (isExportError(error) && error.code === 'not_found') {
        outcome = 'not_found';
        ctx.store.recordException(
          {
            kind: 'code_artifact_version',
            id,
            reason: 'version_rotated',
            retryable: true,
            detail: 'version answered 404; pending a re-list of the artifact',
            parent: artifactId,
          },
          ctx.pass,
        );
        return;
      }
      outcome = 'failed';
      recordFailure(ctx, STAGE, { kind: 'code_artifact_version', id, parent: artifactId }, error);
    }
  });
  return outcome;
}

/**
 * A rerun's retry of versions an earlier run could not get (a 503 "in flight" past the retries, a
 * ZIP cut short): the stage's walks are finished by then, so they are fetched again by id; one
 * that answers 404 goes through the same re-list as in a run.
 */
async function retryVersionGaps(
  ctx: PassContext,
  gaps: readonly { readonly id: string; readonly parent?: string | null }[],
): Promise<void> {
  if (!includes(ctx, 'code_artifacts')) return;
  const rotated: { artifactId: string; versionId: string }[] = [];
  for (const gap of gaps) {
    const slash = gap.id.indexOf('/');
    if (slash <= 0) continue;
    const artifactId = gap.id.slice(0, slash);
    const versionId = gap.id.slice(slash + 1);
    const version = { id: versionId, created_at: null, name: versionId };
    if ((await fetchVersion(ctx, artifactId, version, null)) === 'not_found')
      rotated.push({ artifactId, versionId });
  }
  if (rotated.length > 0) await relistRotated(ctx, rotated);
}

/** List again; retry versions still listed, name the others `version_rotated` (final). */
async function relistRotated(
  ctx: PassContext,
  rotated: readonly { artifactId: string; versionId: string }[],
): Promise<void> {
  const wanted = new Set(rotated.map((r) => r.artifactId));
  const listed = new Map<string, CodeArtifact>();
  for (const walk of artifactListings(ctx, ctx.pass)) {
    const pages = walk.pages(ctx.client, { signal: ctx.signal });
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
      const outcome = await fetchVersion(ctx, a.id, v, artifactCustodian(a));
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

async function surveyArtifacts(s: Surveyor): Promise<void> {
  for (const walk of artifactListings(s.scope, 1)) {
    await s.walk(walk, (a) => {
      const who = artifactCustodian(a);
      s.tally('code_artifacts', a.organization_uuid, who);
      const fresh = (a.versions ?? []).filter(
        (v) => !s.unchanged('code_artifact_version', `${a.id}/${v.id}`, v.created_at, null),
      );
      s.tally('code_artifact_versions', a.organization_uuid, who, fresh.length);
    });
  }
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function estimateArtifacts(e: Estimator): void {
  const arts = e.pages('code_artifacts');
  const versions = e.count('code_artifact_versions');
  e.add('list.code_artifacts', arts.pages, plural(arts.pages, 'page'));
  e.add('code_artifacts.versions', versions, `${plural(versions, 'listed version')} × 1 download`);
}

/** Code artifacts and every listed version. */
export const codeArtifacts: RelistedKind = {
  name: 'code_artifacts',
  include: 'code_artifacts',
  relisted: true,
  collect: collectCodeArtifacts,
  retry: { kinds: ['code_artifact_version'], mode: 'all', run: retryVersionGaps },
  survey: surveyArtifacts,
  estimate: estimateArtifacts,
  relistEstimate: (e) => e.pages('code_artifacts').pages,
};
