/**
 * Changes to a world after generation. Every change stamps times on the records (never splices
 * them out), so "what existed at T" stays answerable. The DELETE endpoints and the live
 * mutations (live.ts) use these.
 */
import { compareActivity } from './generate-extras.js';
import type { Activity, Actor, Change, Chat, Project, World } from './model.js';
import { Rng, idFromUuid, iso } from './random.js';

/** Append to the mutation log (truth `changes_after`). */
export function logChange(world: World, change: Omit<Change, 'at'>, at: number): void {
  world.changes.push({ ...change, at: iso(at) });
}

/** Insert keeping (createdAt, id) order. */
export function addActivity(world: World, a: Omit<Activity, 'id'>): Activity {
  // Seeded by the world's state, so the same sequence of requests yields the same ids.
  const rng = new Rng(world.seed, 'live-activity', a.type, a.createdAt, world.activities.length);
  const act: Activity = { ...a, id: idFromUuid('activity_', rng.uuid()) };
  const list = world.activities;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = list[mid];
    if (m !== undefined && compareActivity(m, act) < 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, act);
  world.index.activityById.set(act.id, act);
  return act;
}

export function apiActor(keyId: string): Actor {
  return { type: 'api_actor', api_key_id: keyId, ip_address: '127.0.0.1', user_agent: 'compliance-export' };
}

/** Hard delete: the chat, its messages, attached files, generated files and artifacts (§4.3). */
export function hardDeleteChat(world: World, chat: Chat, at: number): void {
  chat.removedAt = at;
  for (const att of chat.attachments) {
    if (att.kind === 'artifact') {
      const av = world.artifactVersions[att.ref];
      if (av !== undefined && av.removedAt === null) av.removedAt = at;
    } else {
      const blob = world.blobs[att.ref];
      if (blob !== undefined && blob.removedAt === null) blob.removedAt = at;
    }
  }
}

/** Chats attached to a project (blocks its delete with 409). */
export function chatsInProject(world: World, project: Project, at: number): Chat[] {
  return world.chats.filter((c) => c.projectId === project.id && (c.removedAt === null || c.removedAt > at));
}

export function hardDeleteProject(world: World, project: Project, at: number): void {
  project.removedAt = at;
  for (const d of project.docs) {
    const doc = world.projectDocs[d];
    if (doc !== undefined && doc.removedAt === null) doc.removedAt = at;
  }
  for (const f of project.files) {
    const blob = world.blobs[f];
    if (blob !== undefined && blob.removedAt === null) blob.removedAt = at;
  }
}
