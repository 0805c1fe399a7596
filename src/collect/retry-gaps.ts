/**
 * A rerun of the same job retries the gaps that said "a rerun may help" (`retryable`). Those items
 * sit behind walk checkpoints the earlier run already passed, so they are fetched again by id:
 * chats through their messages, files, generated files, artifact versions and project documents
 * through their own endpoints, code-artifact versions by artifact and version id; sessions by listing their kind again (a session has no fetch by id
 * that returns its listed record). Success clears the gap (the store drops an exception when the
 * item is stored); a new failure records it again.
 */
import type { ArtifactRef, Chat, FileRef, ProjectAttachment } from '../api/index.js';
import { safeSegment } from '../archive/safe-name.js';
import { fetchArtifactVersion, fetchFile, fetchGeneratedFile } from './chat-attachments.js';
import { collectChat } from './chats.js';
import { retryVersionGaps } from './code-artifacts.js';
import type { CollectContext } from './context.js';
import { fetchDocument } from './projects.js';
import { retrySessionGaps } from './sessions.js';

const RETRYABLE_KINDS = new Set([
  'chat',
  'file',
  'generated_file',
  'chat_artifact',
  'project_document',
  'session',
  'code_artifact_version',
]);

export async function retryGaps(ctx: CollectContext): Promise<number> {
  const gaps = ctx.store.exceptions().filter((e) => e.retryable && RETRYABLE_KINDS.has(e.kind));
  for (const gap of gaps) {
    const parent = gap.parent ?? '';
    switch (gap.kind) {
      case 'chat': {
        // Judged by what the messages endpoint says now; not excluded by a listing time.
        const stub = { id: gap.id, created_at: '1970-01-01T00:00:00Z', updated_at: '', user: null, name: '' };
        await collectChat(ctx, stub as unknown as Chat, JSON.stringify(stub));
        break;
      }
      case 'file':
        await fetchFile(ctx, gap.id, { parent });
        break;
      case 'generated_file':
        await fetchGeneratedFile(ctx, { id: gap.id, filename: '' } as FileRef, null, parent);
        break;
      case 'chat_artifact':
        await fetchArtifactVersion(ctx, { id: '', version_id: gap.id } as ArtifactRef, null, parent);
        break;
      case 'project_document':
        await fetchDocument(
          ctx,
          { type: 'project_doc', id: gap.id, filename: '' } as ProjectAttachment,
          parent,
          `projects/${safeSegment(parent)}`,
          null,
        );
        break;
      default:
        break;
    }
  }
  await retryVersionGaps(
    ctx,
    gaps.filter((g) => g.kind === 'code_artifact_version'),
  );
  await retrySessionGaps(
    ctx,
    gaps.filter((g) => g.kind === 'session'),
  );
  return gaps.length;
}
