/** Chat/project files, generated files and chat-artifact versions (§3.10–3.12). */
import { artifactDigest, artifactText, blobChunks, blobDigest } from '../content.js';
import { SCOPE } from '../keys.js';
import { messageId } from '../messages.js';
import type { ArtifactVersion, Blob, Chat, World } from '../model.js';
import { iso, uuidFromId } from '../random.js';
import { canSeeOrg, json, type RequestContext, type Route } from '../http/context.js';
import { notFound } from '../http/errors.js';
import { addActivity, apiActor, logChange } from '../mutate.js';
import { download } from '../serialize.js';
import { V1 } from './common.js';

export function blobOrg(world: World, b: Blob): string | null {
  const use = b.uses[0];
  if (use !== undefined) return world.chats[use.chat]?.orgUuid ?? null;
  if (b.projectId !== null) return world.index.projectById.get(b.projectId)?.orgUuid ?? null;
  return null;
}

function visible(ctx: RequestContext, b: Blob): boolean {
  const org = blobOrg(ctx.state.world, b);
  return (b.removedAt === null || b.removedAt > ctx.now) && org !== null && canSeeOrg(ctx, org);
}

/** Uploaded and project files, plus generated files issued with a claude_file_ id. */
function fileOr404(ctx: RequestContext): Blob {
  const id = ctx.params.claude_file_id ?? '';
  const b = ctx.state.world.index.blobById.get(id);
  if (b === undefined || !b.id.startsWith('claude_file_') || !visible(ctx, b)) {
    // The message names the underlying UUID, not the claude_file_ id (§5.5).
    throw notFound(`File not found: ${uuidFromId('claude_file_', id) ?? id.replace(/^claude_file_/, '')}`);
  }
  return b;
}

function generatedOr404(ctx: RequestContext, content: boolean): Blob {
  const id = ctx.params.claude_gen_file_id ?? '';
  const b = ctx.state.world.index.blobById.get(id);
  if (b === undefined || b.kind !== 'generated' || !b.id.startsWith('claude_gen_file_') || !visible(ctx, b)) {
    throw notFound(
      content ? `Generated file content not found: '${id}'` : `Generated file not found: '${id}'`,
    );
  }
  return b;
}

function artifactOr404(ctx: RequestContext): ArtifactVersion {
  const id = ctx.params.artifact_version_id ?? '';
  const world = ctx.state.world;
  const av = world.index.artifactVersionById.get(id);
  const chat = av === undefined ? undefined : world.chats[av.chat];
  if (
    av === undefined ||
    chat === undefined ||
    (av.removedAt !== null && av.removedAt <= ctx.now) ||
    !canSeeOrg(ctx, chat.orgUuid)
  ) {
    throw notFound(`Artifact version not found: '${id}'`);
  }
  return av;
}

function fileMetadata(ctx: RequestContext, b: Blob) {
  const world = ctx.state.world;
  const d = blobDigest(world.seed, b);
  const uses: { chat: Chat; msg: number }[] = [];
  for (const u of b.uses) {
    const chat = world.chats[u.chat];
    if (chat !== undefined && (chat.removedAt === null || chat.removedAt > ctx.now))
      uses.push({ chat, msg: u.msg });
  }
  return {
    id: b.id,
    filename: b.filename,
    created_at: iso(b.createdAt),
    mime_type: b.mimeType,
    size_bytes: d.size,
    md5: d.md5Hex,
    message_ids: [...new Set(uses.map((u) => messageId(world.seed, u.chat, u.msg)))],
    claude_chat_ids: [...new Set(uses.map((u) => u.chat.id))],
  };
}

function blobDownload(ctx: RequestContext, b: Blob) {
  const seed = ctx.state.world.seed;
  return download(
    blobChunks(seed, b),
    blobDigest(seed, b),
    b.mimeType ?? 'application/octet-stream',
    b.filename,
  );
}

export const fileRoutes: Route[] = [
  {
    method: 'GET',
    template: `${V1}/apps/chats/files/{claude_file_id}`,
    scope: SCOPE.userData,
    handle: (ctx) => json(fileMetadata(ctx, fileOr404(ctx))),
  },
  {
    method: 'GET',
    template: `${V1}/apps/chats/files/{claude_file_id}/content`,
    scope: SCOPE.userData,
    handle: (ctx) => blobDownload(ctx, fileOr404(ctx)),
  },
  {
    method: 'DELETE',
    template: `${V1}/apps/chats/files/{claude_file_id}`,
    scope: SCOPE.delete,
    handle: (ctx) => {
      const b = fileOr404(ctx);
      b.removedAt = ctx.now;
      logChange(ctx.state.world, { kind: 'file', id: b.id, change: 'deleted' }, ctx.now);
      addActivity(ctx.state.world, {
        type: b.kind === 'project_file' ? 'claude_project_file_deleted' : 'claude_file_deleted',
        createdAt: ctx.now,
        orgUuid: blobOrg(ctx.state.world, b),
        actor: apiActor(ctx.principal.key.id),
        fields:
          b.kind === 'project_file'
            ? { claude_file_id: b.id, claude_project_id: b.projectId }
            : { claude_file_id: b.id, filename: null },
      });
      return json({ id: b.id, type: 'claude_file_deleted' });
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/chats/generated-files/{claude_gen_file_id}`,
    scope: SCOPE.userData,
    handle: (ctx) => {
      const b = generatedOr404(ctx, false);
      const world = ctx.state.world;
      const d = blobDigest(world.seed, b);
      return json({
        id: b.id,
        claude_chat_id: world.chats[b.uses[0]?.chat ?? -1]?.id ?? null,
        filename: b.filename,
        created_at: iso(b.createdAt),
        mime_type: b.mimeType,
        size_bytes: d.size,
        md5: d.md5Hex,
      });
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/chats/generated-files/{claude_gen_file_id}/content`,
    scope: SCOPE.userData,
    handle: (ctx) => blobDownload(ctx, generatedOr404(ctx, true)),
  },
  {
    method: 'GET',
    template: `${V1}/apps/artifacts/{artifact_version_id}`,
    scope: SCOPE.userData,
    handle: (ctx) => {
      const av = artifactOr404(ctx);
      const d = artifactDigest(ctx.state.world.seed, av);
      return json({
        id: av.artifactId,
        version_id: av.versionId,
        claude_chat_id: ctx.state.world.chats[av.chat]?.id ?? null,
        title: av.title,
        artifact_type: av.artifactType,
        created_at: iso(av.createdAt),
        size_bytes: d.size,
        md5: d.md5Hex,
      });
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/artifacts/{artifact_version_id}/content`,
    scope: SCOPE.userData,
    // Newest guide: a JSON object; md5/size_bytes are over the UTF-8 of `content` (§3.12).
    handle: (ctx) => {
      const av = artifactOr404(ctx);
      return json({
        content: artifactText(ctx.state.world.seed, av),
        title: av.title,
        artifact_type: av.artifactType,
      });
    },
  },
];
