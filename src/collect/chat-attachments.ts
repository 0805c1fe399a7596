/**
 * Everything a chat's messages reference (compliance-api.md §3.9-3.12, recipe §4.5 step 3):
 * uploaded files, generated files (routed by id prefix: `claude_gen_file_` → generated-files
 * endpoints, `claude_file_` → files endpoints) and chat-artifact versions. Each id is fetched once
 * per export however many messages and chats share it (store index + in-flight map).
 */
import type { ArtifactRef, FileRef } from '../api/index.js';
import { safeName, safeSegment } from '../archive/safe-name.js';
import {
  composeJson,
  fetchOnce,
  put,
  recordFailure,
  stageDownload,
  stageText,
  type CollectContext,
} from './context.js';

const STAGE = 'files';

/** A metadata file sits beside the content in the id's folder; a file may not take its name. */
export function contentName(original: string | null | undefined, fallback: string): string {
  const name = safeName(original, fallback);
  return name === 'metadata.json' ? `_${name}` : name;
}

/** Uploaded chat or project file (also `claude_file_…` generated files). */
export function fetchFile(
  ctx: CollectContext,
  id: string,
  hint: { filename?: string | null; custodian?: string | null; parent?: string | null },
): Promise<void> {
  return fetchOnce(ctx, 'file', id, async () => {
    try {
      const meta = await ctx.client.getFileMetadata(id, { signal: ctx.signal });
      const original = meta.record.filename ?? hint.filename ?? null;
      const dir = `files/${safeSegment(id)}`;
      const { result, file } = await stageDownload(
        ctx,
        `${dir}/${contentName(original, id)}`,
        (sink, expect) => ctx.client.downloadFile(id, sink, expect),
        { expectedMd5: meta.record.md5, expectedSize: meta.record.size_bytes },
      );
      put(
        ctx,
        {
          kind: 'file',
          id,
          updatedAt: meta.record.created_at,
          createdAt: meta.record.created_at,
          custodian: hint.custodian ?? null,
          originalName: original,
          files: [file, await stageText(ctx, `${dir}/metadata.json`, meta.raw)],
          source: { endpoint: result.endpoint, query: result.query, requestId: result.requestId },
        },
        STAGE,
      );
    } catch (error) {
      recordFailure(ctx, STAGE, { kind: 'file', id, parent: hint.parent ?? null }, error);
    }
  });
}

export function fetchGeneratedFile(
  ctx: CollectContext,
  ref: FileRef,
  custodian: string | null,
  chatId: string,
): Promise<void> {
  if (ref.id.startsWith('claude_file_')) {
    return fetchFile(ctx, ref.id, { filename: ref.filename, custodian, parent: chatId });
  }
  const id = ref.id;
  return fetchOnce(ctx, 'generated_file', id, async () => {
    try {
      const meta = await ctx.client.getGeneratedFileMetadata(id, { signal: ctx.signal });
      const original = meta.record.filename ?? ref.filename;
      const dir = `generated_files/${safeSegment(id)}`;
      const { result, file } = await stageDownload(
        ctx,
        `${dir}/${contentName(original, id)}`,
        (sink, expect) => ctx.client.downloadGeneratedFile(id, sink, expect),
        { expectedMd5: meta.record.md5, expectedSize: meta.record.size_bytes },
      );
      put(
        ctx,
        {
          kind: 'generated_file',
          id,
          updatedAt: meta.record.created_at,
          createdAt: meta.record.created_at,
          custodian,
          originalName: original,
          files: [file, await stageText(ctx, `${dir}/metadata.json`, meta.raw)],
          source: { endpoint: result.endpoint, query: result.query, requestId: result.requestId },
        },
        STAGE,
      );
    } catch (error) {
      recordFailure(ctx, STAGE, { kind: 'generated_file', id, parent: chatId }, error);
    }
  });
}

/** One chat-artifact version: metadata + content (`{content,…}`), md5/size checked over the text. */
export function fetchArtifactVersion(
  ctx: CollectContext,
  ref: ArtifactRef,
  custodian: string | null,
  chatId: string,
): Promise<void> {
  const vid = ref.version_id;
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
      put(
        ctx,
        {
          kind: 'chat_artifact',
          id: vid,
          updatedAt: meta.record.created_at,
          createdAt: meta.record.created_at,
          custodian,
          originalName: meta.record.title ?? null,
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
