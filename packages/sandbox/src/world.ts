/** Assembles a deterministic World from (seed, profile) and keeps its lookup indices. */
import { generateContent } from './generate-content.js';
import { generateDirectory } from './generate-directory.js';
import { generateActivities, generateCodeArtifacts, generateSessions } from './generate-extras.js';
import { buildKeys, type SandboxKeys } from './keys.js';
import type { Chat, Profile, World, WorldIndex } from './model.js';
import { PROFILES } from './profiles.js';
import { withTransparencyActivities } from './transparency/generate.js';

export function buildWorld(seed: number, profile: Profile): { world: World; keys: SandboxKeys } {
  const spec = PROFILES[profile];
  const dir = generateDirectory(seed, spec);
  const content = generateContent(seed, spec, dir);
  const codeArtifacts = generateCodeArtifacts(seed, spec, dir);
  const sessions = generateSessions(seed, spec, dir, content);
  const activities = withTransparencyActivities(generateActivities(seed, dir, content), seed, dir, content);
  const { keys, records } = buildKeys(seed, dir.orgs, dir.users);
  const world: World = {
    seed,
    profile,
    parentUuid: dir.parentUuid,
    orgs: dir.orgs,
    users: dir.users,
    roles: dir.roles,
    groups: dir.groups,
    chats: content.chats,
    blobs: content.blobs,
    artifactVersions: content.artifactVersions,
    projects: content.projects,
    projectDocs: content.projectDocs,
    codeArtifacts,
    localSessions: sessions.local,
    remoteSessions: sessions.remote,
    activities,
    apiKeys: records,
    index: emptyIndex(),
    changes: [],
    pendingIndex: [],
  };
  rebuildIndex(world);
  return { world, keys };
}

function emptyIndex(): WorldIndex {
  return {
    chatById: new Map(),
    chatByUuid: new Map(),
    blobById: new Map(),
    artifactVersionById: new Map(),
    projectById: new Map(),
    projectDocById: new Map(),
    codeArtifactById: new Map(),
    userById: new Map(),
    roleById: new Map(),
    groupById: new Map(),
    localSessionById: new Map(),
    remoteSessionById: new Map(),
    activityById: new Map(),
    chatsByCreated: [],
    chatsByUpdated: [],
  };
}

export function compareChatKey(at: number, uuid: string, bt: number, buuid: string): number {
  return at - bt || (uuid < buuid ? -1 : uuid > buuid ? 1 : 0);
}

export type ChatSortKey = 'createdAt' | 'indexedUpdatedAt';

export function sortChatIndex(chats: Chat[], key: ChatSortKey): number[] {
  const order = chats.map((c) => c.index);
  order.sort((a, b) => {
    const ca = chats[a];
    const cb = chats[b];
    if (ca === undefined || cb === undefined) return 0;
    return compareChatKey(ca[key], ca.uuid, cb[key], cb.uuid);
  });
  return order;
}

/** Full rebuild; live mutations may patch the sorted arrays incrementally instead. */
export function rebuildIndex(world: World): void {
  const ix = emptyIndex();
  for (const c of world.chats) {
    ix.chatById.set(c.id, c);
    ix.chatByUuid.set(c.uuid, c);
  }
  for (const b of world.blobs) ix.blobById.set(b.id, b);
  for (const av of world.artifactVersions) ix.artifactVersionById.set(av.versionId, av);
  for (const p of world.projects) ix.projectById.set(p.id, p);
  for (const d of world.projectDocs) ix.projectDocById.set(d.id, d);
  for (const a of world.codeArtifacts) ix.codeArtifactById.set(a.id, a);
  for (const u of world.users) ix.userById.set(u.id, u);
  for (const r of world.roles) ix.roleById.set(r.id, r);
  for (const g of world.groups) ix.groupById.set(g.id, g);
  for (const s of world.localSessions) ix.localSessionById.set(s.id, s);
  for (const s of world.remoteSessions) ix.remoteSessionById.set(s.id, s);
  for (const a of world.activities) ix.activityById.set(a.id, a);
  ix.chatsByCreated = sortChatIndex(world.chats, 'createdAt');
  ix.chatsByUpdated = sortChatIndex(world.chats, 'indexedUpdatedAt');
  world.index = ix;
}

/** Does the record exist (not hard-deleted) at time `t`? */
export function existsAt(rec: { removedAt: number | null }, t: number): boolean {
  return rec.removedAt === null || rec.removedAt > t;
}
