/**
 * Projects, chats and everything attached to them. Chats hold only their message count, time span
 * and an attachment plan; messages themselves come from `messages.ts` on demand.
 */
import type { ArtifactVersion, Blob, Chat, Collaborator, Project, ProjectDoc, User } from './model.js';
import { messageTime } from './messages.js';
import { FILE_TYPES, HOSTILE_NAMES, MODELS, WORDS } from './names.js';
import type { Directory } from './generate-directory.js';
import { DAY, WORLD_END, type ProfileSpec } from './profiles.js';
import { Rng, idFromUuid, iso } from './random.js';

export interface Content {
  chats: Chat[];
  blobs: Blob[];
  artifactVersions: ArtifactVersion[];
  projects: Project[];
  projectDocs: ProjectDoc[];
}

function title(rng: Rng, words: number): string {
  const parts: string[] = [];
  for (let i = 0; i < words; i++) parts.push(rng.pick(WORDS));
  const s = parts.join(' ').replace(/\s+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}

function tenure(u: User): [number, number] {
  return [u.joinedAt, Math.min(u.leftAt ?? WORLD_END, WORLD_END) - 2 * DAY];
}

export function generateContent(seed: number, spec: ProfileSpec, dir: Directory): Content {
  const rng = new Rng(seed, 'content');
  const usersByOrg = groupBy(dir.users, (u) => u.orgUuid);
  const orgUsers = (orgUuid: string): User[] => usersByOrg.get(orgUuid) ?? [];

  // --- projects -------------------------------------------------------------------------------
  const projects: Project[] = [];
  for (let p = 0; p < spec.projects; p++) {
    const org = dir.orgs[p % dir.orgs.length];
    if (org === undefined) break;
    const members = orgUsers(org.uuid);
    // Project 1 belongs to someone who later left: `user: null` on the project.
    const owner = p === 1 ? (members.find((u) => u.leftAt !== null) ?? members[0]) : members[0];
    if (owner === undefined) continue;
    const [from, to] = tenure(owner);
    const createdAt = from + Math.floor(rng.float() * Math.max(DAY, (to - from) / 3));
    const uuid = rng.uuid();
    const collaborators: Collaborator[] = [
      { type: 'user', user_id: owner.id, role: 'owner', granted_at: iso(createdAt) },
    ];
    const extra = rng.int(0, 4);
    for (let c = 0; c < extra; c++) {
      const at = iso(createdAt + (c + 1) * 3_600_000);
      const kind = c % 4;
      if (kind === 0)
        collaborators.push({
          type: 'user',
          user_id: rng.chance(0.3) ? null : rng.pick(members).id,
          role: 'editor',
          granted_at: at,
        });
      else if (kind === 1 && dir.groups[0] !== undefined)
        collaborators.push({
          type: 'group',
          group_id: rng.pick(dir.groups).id,
          role: 'viewer',
          granted_at: at,
        });
      else if (kind === 2)
        collaborators.push({
          type: 'organization',
          organization_uuid: org.uuid,
          role: 'viewer',
          granted_at: at,
        });
      else
        collaborators.push({
          type: 'organization_role',
          organization_role: 'admin',
          role: 'admin',
          granted_at: at,
        });
    }
    projects.push({
      index: projects.length,
      uuid,
      id: idFromUuid('claude_proj_', uuid),
      orgUuid: org.uuid,
      userId: owner.id,
      name: p === 2 ? 'Projet « Données » – 第二' : title(rng, rng.int(2, 4)),
      description: rng.chance(0.3) ? '' : title(rng, 8),
      instructions: rng.chance(0.5) ? '' : title(rng, 20),
      isPrivate: rng.chance(0.5),
      createdAt,
      updatedAt: createdAt + rng.int(0, 30) * DAY,
      deletedAt: p === 3 ? createdAt + 40 * DAY : null,
      removedAt: null,
      docs: [],
      files: [],
      collaborators,
    });
  }

  // --- chats ----------------------------------------------------------------------------------
  const chats: Chat[] = [];
  const projectsByOrg = groupBy(projects, (p) => p.orgUuid);
  for (let i = 0; i < spec.chats; i++) {
    const org = rng.pick(dir.orgs);
    const user = rng.pick(orgUsers(org.uuid));
    const [from, to] = tenure(user);
    let createdAt = from + Math.floor(rng.float() * Math.max(DAY, to - from));
    const prev = chats[i - 1];
    // Deliberate created_at ties: the sort must fall back to the id.
    if (i % 20 === 7 && prev !== undefined) createdAt = prev.createdAt;
    const long = i < spec.longChats;
    const messageCount = long ? spec.longChatMessages : rng.int(spec.messages[0], spec.messages[1]);
    const gap = rng.int(5, 900) * 1000;
    const lastMessageAt = createdAt + (messageCount - 1) * gap;
    const uuid = rng.uuid();
    const candidates = (projectsByOrg.get(org.uuid) ?? []).filter(
      (p) => p.createdAt < createdAt && p.deletedAt === null,
    );
    let projectId: string | null = null;
    let updatedAt = lastMessageAt;
    if (candidates.length > 0 && rng.chance(0.25)) projectId = rng.pick(candidates).id;
    else if (candidates.length > 0 && rng.chance(0.1)) {
      // Moved into a project after its last message: updated_at moves, messages do not.
      projectId = rng.pick(candidates).id;
      updatedAt = lastMessageAt + rng.int(1, 10) * DAY;
    }
    let deletedAt: number | null = null;
    if (!long && rng.chance(0.07)) {
      deletedAt = updatedAt + rng.int(1, 20) * DAY;
      updatedAt = deletedAt;
    }
    chats.push({
      index: i,
      uuid,
      id: idFromUuid('claude_chat_', uuid),
      orgUuid: org.uuid,
      userId: user.id,
      projectId,
      name: i % 13 === 3 ? '' : title(rng, rng.int(2, 6)),
      model: rng.chance(0.05) ? null : rng.pick(MODELS),
      createdAt,
      updatedAt,
      indexedUpdatedAt: updatedAt,
      deletedAt,
      removedAt: null,
      messageCount,
      lastMessageAt,
      appendedAt: [],
      attachments: [],
    });
  }
  const live = chats.filter((c) => c.deletedAt === null);
  const liveByOrg = groupBy(live, (c) => c.orgUuid);
  const chatsOfOrg = (orgUuid: string): Chat[] => liveByOrg.get(orgUuid) ?? [];
  const binaryTypes = FILE_TYPES.filter((t) => t.body === 'binary');

  const evenMsg = (c: Chat): number => 2 * rng.int(0, Math.floor((c.messageCount - 1) / 2));
  const oddMsg = (c: Chat): number => 1 + 2 * rng.int(0, Math.floor((c.messageCount - 2) / 2));

  // --- uploads --------------------------------------------------------------------------------
  const blobs: Blob[] = [];
  const addBlob = (b: Omit<Blob, 'index' | 'uuid' | 'id'>, prefix: string): Blob => {
    const uuid = rng.uuid();
    const blob: Blob = { ...b, index: blobs.length, uuid, id: idFromUuid(prefix, uuid) };
    blobs.push(blob);
    return blob;
  };
  const uploadNames: { name: string; big: boolean }[] = [
    ...HOSTILE_NAMES.map((name) => ({ name, big: false })),
    ...Array.from({ length: spec.uploads }, () => ({ name: '', big: false })),
    ...Array.from({ length: spec.bigFiles }, () => ({ name: '', big: true })),
  ];
  uploadNames.forEach(({ name, big }, k) => {
    const type = big ? rng.pick(binaryTypes) : rng.pick(FILE_TYPES);
    const filename =
      name !== '' || k < HOSTILE_NAMES.length ? name : `${title(rng, 2).replace(/ /g, '-')}.${type.ext}`;
    const ext = /\.([a-z]+)$/.exec(filename)?.[1];
    const ft = FILE_TYPES.find((t) => t.ext === ext) ?? type;
    // One empty file; a few of several MB streamed from the PRNG; the rest a few KB.
    const size = k === HOSTILE_NAMES.length ? 0 : big ? rng.int(2_000_000, 6_000_000) : rng.int(200, 60_000);
    const chat = rng.pick(big ? live : chats);
    const msg = evenMsg(chat);
    const uses = [{ chat: chat.index, msg }];
    if (chat.deletedAt === null && rng.chance(0.2)) {
      const again = evenMsg(chat);
      if (again !== msg) uses.push({ chat: chat.index, msg: again });
      const other = rng.pick(chatsOfOrg(chat.orgUuid));
      if (other !== chat) uses.push({ chat: other.index, msg: evenMsg(other) });
    }
    const blob = addBlob(
      {
        kind: 'upload',
        filename,
        mimeType: rng.chance(0.05) ? null : ft.mime,
        size,
        body: ft.body,
        magic: ft.magic,
        createdAt: Math.min(...uses.map((u) => messageTime(chats[u.chat] ?? chat, u.msg))),
        // §4.3 newest: a soft-deleted chat's files are deleted with it.
        removedAt: chat.deletedAt,
        uses,
        projectId: null,
        legacyRef: rng.chance(0.05),
      },
      'claude_file_',
    );
    for (const u of uses) chats[u.chat]?.attachments.push({ msg: u.msg, kind: 'file', ref: blob.index });
  });

  // --- generated files ------------------------------------------------------------------------
  const withReplies = chats.filter((c) => c.messageCount >= 2);
  for (let g = 0; g < spec.generatedFiles; g++) {
    const chat = rng.pick(withReplies);
    const msg = oddMsg(chat);
    const ft = rng.pick(FILE_TYPES);
    // Newest docs: some generated files carry the claude_file_ prefix (routed to /files).
    const blob = addBlob(
      {
        kind: 'generated',
        filename: `output-${g}.${ft.ext}`,
        mimeType: ft.mime,
        size: rng.int(100, 40_000),
        body: ft.body,
        magic: ft.magic,
        createdAt: messageTime(chat, msg),
        removedAt: chat.deletedAt,
        uses: [{ chat: chat.index, msg }],
        projectId: null,
        legacyRef: false,
      },
      g % 5 === 1 ? 'claude_file_' : 'claude_gen_file_',
    );
    chat.attachments.push({ msg, kind: 'generated', ref: blob.index });
  }

  // --- chat artifacts -------------------------------------------------------------------------
  const artifactVersions: ArtifactVersion[] = [];
  const roomy = chats.filter((c) => c.messageCount >= 4);
  for (let a = 0; a < spec.chatArtifacts && roomy.length > 0; a++) {
    const chat = rng.pick(roomy);
    const artifactId = idFromUuid('claude_artifact_', rng.uuid());
    const assistantTurns = Math.floor(chat.messageCount / 2);
    const versions = rng.int(1, Math.min(4, assistantTurns));
    const artifactType = rng.pick(['application/vnd.ant.code', 'text/markdown', 'text/html', null]);
    const start = rng.int(0, assistantTurns - versions);
    for (let v = 0; v < versions; v++) {
      const msg = 1 + 2 * (start + v);
      const av: ArtifactVersion = {
        index: artifactVersions.length,
        artifactId,
        versionId: idFromUuid('claude_artifact_version_', rng.uuid()),
        chat: chat.index,
        msg,
        title: rng.chance(0.15) ? null : title(rng, 3),
        artifactType,
        createdAt: messageTime(chat, msg),
        chars: rng.int(200, 8000),
        removedAt: chat.deletedAt,
      };
      artifactVersions.push(av);
      chat.attachments.push({ msg, kind: 'artifact', ref: av.index });
    }
  }

  // --- project documents and files ------------------------------------------------------------
  const projectDocs: ProjectDoc[] = [];
  for (const p of projects) {
    const docCount = p.index === 0 ? 12 : rng.int(0, 3);
    const fileCount = p.index === 0 ? 10 : rng.int(0, 3);
    const members = orgUsers(p.orgUuid);
    for (let d = 0; d < docCount; d++) {
      const uuid = rng.uuid();
      const doc: ProjectDoc = {
        index: projectDocs.length,
        uuid,
        id: idFromUuid('claude_proj_doc_', uuid),
        projectId: p.id,
        filename: d === 1 ? 'Contrat de cession (version signée).txt' : `${title(rng, 2)}.txt`,
        userId: rng.pick(members).id,
        createdAt: p.createdAt + (d + 1) * 60_000,
        chars: rng.int(100, 5000),
        removedAt: null,
      };
      projectDocs.push(doc);
      p.docs.push(doc.index);
    }
    for (let f = 0; f < fileCount; f++) {
      const ft = rng.pick(FILE_TYPES);
      const blob = addBlob(
        {
          kind: 'project_file',
          filename: f === 0 && p.index === 0 ? 'report.pdf' : `${title(rng, 2)}.${ft.ext}`,
          mimeType: rng.chance(0.2) ? null : ft.mime,
          size: rng.int(100, 80_000),
          body: ft.body,
          magic: ft.magic,
          // Same created_at as a document: attachment order falls back to the id.
          createdAt: p.createdAt + (f === 0 ? 1 : f + 1) * 60_000,
          removedAt: null,
          uses: [],
          projectId: p.id,
          legacyRef: false,
        },
        'claude_file_',
      );
      p.files.push(blob.index);
    }
  }
  return { chats, blobs, artifactVersions, projects, projectDocs };
}
