/**
 * Everything a chat's messages reference (compliance-api.md §3.9-3.12, recipe §4.5 step 3):
 * uploaded files, generated files (routed by id prefix: `claude_gen_file_` → generated-files
 * endpoints, `claude_file_` → files endpoints) and chat-artifact versions. Each id is fetched once
 * per export however many messages and chats share it (store index + in-flight map).
 *
 * A message's `files[]` / `generated_files[]` entry (§3.9) and a project's `project_file`
 * attachment (§3.14) already carry filename, mime_type, size_bytes and md5. When md5 and size are
 * both there, the metadata endpoint would add one request per file and nothing the download does
 * not check anyway (Content-MD5 over the served bytes wins, §3.10), so the entry itself, verbatim,
 * becomes the item's `metadata.json` as `{"source":"listing_entry","entry":…}`. Entries without them (old
 * uploads, expired generated files, retried gaps) still go through the metadata endpoint.
 */
import type { DownloadResult, FileRef, ProjectAttachment } from '../../api/index.js';
import { rawArrayItems } from '../../api/raw-json.js';
import { safeName, safeSegment } from '../../archive/safe-name.js';
import {
  composeJson,
  fetchOnce,
  stageRecord,
  recordFailure,
  recordNotice,
  stageDownload,
  stageText,
  type PassContext,
} from '../context.js';

const STAGE = 'files';

/**
 * A metadata file sits beside the content in the id's folder; a file may not take its name, in
 * any case (macOS and Windows extract `METADATA.JSON` over `metadata.json`).
 */
export function contentName(original: string | null | undefined, fallback: string): string {
  const name = safeName(original, fallback);
  // Upper-then-lower folds what a case-insensitive file system folds (`ſ` → `S` → `s`).
  return name.toUpperCase().toLowerCase() === 'metadata.json' ? `_${name}` : name;
}

/** An entry that referenced a file (message `files[]`/`generated_files[]`, project attachment). */
export interface FileReference {
  readonly record: FileRef | ProjectAttachment;
  /** The entry's exact JSON text as the API sent it. */
  readonly raw: string;
}

export type MessageFileReference = FileReference & { readonly record: FileRef };

/**
 * The `files` / `generated_files` entries of one message with their exact text (`rawMessage` is
 * the message as the API sent it). Falls back to re-serialising when the texts cannot be matched.
 */
export function messageReferences(
  rawMessage: string,
  field: 'files' | 'generated_files',
  records: readonly FileRef[] | null | undefined,
): MessageFileReference[] {
  if (records === null || records === undefined || records.length === 0) return [];
  const raws = rawArrayItems(rawMessage, field);
  const exact = raws !== null && raws.length === records.length;
  return records.map((record, i) => ({
    record,
    raw: exact ? raws[i]! : JSON.stringify(record),
  }));
}

const MD5_HEX = /^[0-9a-f]{32}$/;

/** What the download is checked against and what `metadata.json` holds. */
interface Described {
  readonly md5: string | null;
  readonly size: number | null;
  readonly createdAt: string | null;
  readonly filename: string | null;
  readonly metadataJson: string;
}

/** The referencing entry when it carries md5 and size; otherwise one metadata request. */
async function describe(
  ref: FileReference | undefined,
  lookup: () => Promise<{
    record: {
      md5: string | null;
      size_bytes: number | null;
      created_at?: string | null;
      filename?: string | null;
    };
    raw: string;
  }>,
): Promise<Described> {
  const r = ref?.record;
  if (
    ref !== undefined &&
    r !== undefined &&
    typeof r.md5 === 'string' &&
    MD5_HEX.test(r.md5) &&
    typeof r.size_bytes === 'number' &&
    Number.isSafeInteger(r.size_bytes) &&
    r.size_bytes >= 0
  ) {
    return {
      md5: r.md5,
      size: r.size_bytes,
      createdAt: r.created_at ?? null,
      filename: r.filename,
      // Who referenced it is left out on purpose: a file shared by several chats (or a chat and a
      // project) is fetched for whichever reaches it first, and that order must not change the
      // archive. The referencing chat JSON / attachments.jsonl already hold that link.
      metadataJson: composeJson([
        ['source', JSON.stringify('listing_entry')],
        ['entry', ref.raw],
      ]),
    };
  }
  const meta = await lookup();
  return {
    md5: meta.record.md5,
    size: meta.record.size_bytes,
    createdAt: meta.record.created_at ?? null,
    filename: meta.record.filename ?? ref?.record.filename ?? null,
    metadataJson: meta.raw,
  };
}

/**
 * The served bytes are vouched for by Content-MD5 but differ from the listed size/md5: claude.ai
 * stored a processed copy or extracted text, and the original may not exist any more (§3.10). The
 * bytes are kept (they are all there is); the row says so, with both sides.
 */
function noteServedCopy(
  ctx: PassContext,
  target: { kind: 'file' | 'generated_file'; id: string; parent: string | null },
  listed: Described,
  result: DownloadResult,
): void {
  if (result.metadataMismatch === null) return;
  const detail =
    `listed size_bytes ${listed.size ?? 'null'} md5 ${listed.md5 ?? 'null'}; ` +
    `served ${result.size} bytes md5 ${result.md5} sha256 ${result.sha256} (Content-MD5 verified); ` +
    'kept as served: not the original upload';
  recordNotice(ctx, STAGE, target, 'served_copy_differs', detail, {
    endpoint: result.endpoint,
    requestId: result.requestId,
  });
}

/** Uploaded chat or project file (also `claude_file_…` generated files). */
export function fetchFile(
  ctx: PassContext,
  id: string,
  hint: {
    filename?: string | null;
    custodian?: string | null;
    parent?: string | null;
    ref?: FileReference;
  },
): Promise<void> {
  return fetchOnce(ctx, 'file', id, async () => {
    try {
      const d = await describe(hint.ref, () => ctx.client.getFileMetadata(id, { signal: ctx.signal }));
      const original = d.filename ?? hint.filename ?? null;
      const dir = `files/${safeSegment(id)}`;
      const { result, file } = await stageDownload(
        ctx,
        `${dir}/${contentName(original, id)}`,
        (sink, expect) => ctx.client.downloadFile(id, sink, expect),
        { expectedMd5: d.md5, expectedSize: d.size },
      );
      stageRecord(
        ctx,
        {
          kind: 'file',
          id,
          updatedAt: d.createdAt,
          createdAt: d.createdAt,
          custodian: hint.custodian ?? null,
          originalName: original,
          parent: hint.parent ?? null,
          files: [file, await stageText(ctx, `${dir}/metadata.json`, d.metadataJson)],
          source: { endpoint: result.endpoint, query: result.query, requestId: result.requestId },
        },
        STAGE,
      );
      noteServedCopy(ctx, { kind: 'file', id, parent: hint.parent ?? null }, d, result);
    } catch (error) {
      recordFailure(ctx, STAGE, { kind: 'file', id, parent: hint.parent ?? null }, error);
    }
  });
}

export function fetchGeneratedFile(
  ctx: PassContext,
  ref: Pick<FileRef, 'id' | 'filename'>,
  custodian: string | null,
  chatId: string,
  reference?: FileReference,
): Promise<void> {
  if (ref.id.startsWith('claude_file_')) {
    return fetchFile(ctx, ref.id, {
      filename: ref.filename,
      custodian,
      parent: chatId,
      ...(reference !== undefined ? { ref: reference } : {}),
    });
  }
  const id = ref.id;
  return fetchOnce(ctx, 'generated_file', id, async () => {
    try {
      const d = await describe(reference, () =>
        ctx.client.getGeneratedFileMetadata(id, { signal: ctx.signal }),
      );
      const original = d.filename ?? ref.filename;
      const dir = `generated_files/${safeSegment(id)}`;
      const { result, file } = await stageDownload(
        ctx,
        `${dir}/${contentName(original, id)}`,
        (sink, expect) => ctx.client.downloadGeneratedFile(id, sink, expect),
        { expectedMd5: d.md5, expectedSize: d.size },
      );
      stageRecord(
        ctx,
        {
          kind: 'generated_file',
          id,
          updatedAt: d.createdAt,
          createdAt: d.createdAt,
          custodian,
          originalName: original,
          parent: chatId,
          files: [file, await stageText(ctx, `${dir}/metadata.json`, d.metadataJson)],
          source: { endpoint: result.endpoint, query: result.query, requestId: result.requestId },
        },
        STAGE,
      );
      noteServedCopy(ctx, { kind: 'generated_file', id, parent: chatId }, d, result);
    } catch (error) {
      recordFailure(ctx, STAGE, { kind: 'generated_file', id, parent: chatId }, error);
    }
  });
}

/** One chat-artifact version: metadata + content (`{content,…}`), md5/size checked over the text. */
export function fetchArtifactVersion(
  ctx: PassContext,
  vid: string,
  custodian: string | null,
  chatId: string,
): Promise<void> {
  return fetchOnce(ctx, 'chat_artifact', vid, async () => {
    try {
      const meta = await ctx.client.getArtifactVersion(vid, { signal: ctx.signal });
      const content = await ctx.client.getArtifactContent(vid, {
        expectedMd5: meta.record.md5,
        expectedSize: meta.record.size_bytes,
        signal: ctx.signal,
      });
      const doc = `${composeJson([
        ['metadata', meta.raw],
        ['content', content.raw],
      ])}\n`;
      stageRecord(
        ctx,
        {
          kind: 'chat_artifact',
          id: vid,
          updatedAt: meta.record.created_at,
          createdAt: meta.record.created_at,
          custodian,
          originalName: meta.record.title ?? null,
          parent: chatId,
          files: [await stageText(ctx, `chat_artifacts/${safeSegment(vid)}.json`, doc)],
          source: { endpoint: content.endpoint, query: content.query, requestId: content.requestId },
        },
        STAGE,
      );
    } catch (error) {
      recordFailure(ctx, STAGE, { kind: 'chat_artifact', id: vid, parent: chatId }, error);
    }
  });
}
