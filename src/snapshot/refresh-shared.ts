/**
 * Before settling an incremental snapshot: some changes do not move the listing of the item they
 * change, yet a full export at this cut would read it differently.
 * - A file shared by two chats is deleted with the first when a user deletes that chat
 *   (compliance-api.md §4.3): the other chat's messages no longer show it.
 * - A chat joining or leaving a project (new, deleted, moved) changes the project's detail
 *   (`chats_count`, §3.13), which its listing does not carry.
 * So every base chat that references something a changed, new or gone chat referenced (or that a
 * gone child was), and every base project such a chat was or is in, is fetched again, until no
 * more are found (a refetch can drop references in turn). One messages call per such chat, one
 * project fetch per such project.
 */
import type { Collected } from '../collect/index.js';
import { startPass, type PassContext } from '../collect/context.js';
import { forEachBounded } from '../collect/fan-out.js';
import { refetchHeldChat } from '../collect/kinds/chat-fetch.js';
import { refetchHeldProject } from '../collect/kinds/projects.js';
import { currentRecords, type StagingStore } from '../store/index.js';
import type { StoredRecord } from '../store/types.js';
import { goneSincePrevious } from './snapshot-base.js';

/** Rounds at most: each round only follows what the previous one changed. */
const MAX_ROUNDS = 4;

export interface RefreshResult {
  readonly chats: number;
  readonly projects: number;
}

/** Refetches the base chats and projects a change reached without moving their listing. */
export async function refreshSharers(
  store: StagingStore,
  collected: Collected,
  pass: number,
): Promise<RefreshResult> {
  let chats = 0;
  let projects = 0;
  const done = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const touched = await touchedRefs(store);
    if (touched.size === 0) break;
    const due: StoredRecord[] = [];
    for await (const record of currentRecords(store)) {
      if (done.has(`${record.kind}:${record.id}`)) continue;
      const state = store.baseState(record.kind, record.id);
      if (state !== 'seed' && state !== 'confirmed') continue;
      const hit =
        record.kind === 'chat'
          ? record.refs.some((ref) => !ref.startsWith('project:') && touched.has(ref))
          : record.kind === 'project' && touched.has(`project:${record.id}`);
      if (hit) due.push(record);
    }
    if (due.length === 0) break;
    const ctx = startPass(collected.ctx, pass + round);
    await forEachBounded(due, (record) => refetch(ctx, record, done), {
      concurrency: ctx.concurrency,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    const refetchedChats = due.filter((r) => r.kind === 'chat').length;
    chats += refetchedChats;
    projects += due.length - refetchedChats;
  }
  return { chats, projects };
}

function refetch(ctx: PassContext, record: StoredRecord, done: Set<string>): Promise<void> {
  done.add(`${record.kind}:${record.id}`);
  return record.kind === 'chat' ? refetchHeldChat(ctx, record) : refetchHeldProject(ctx, record);
}

/**
 * What this run's changes reached (`<kind>:<id>`): the references a changed chat gained or lost,
 * those of a new chat and of a base chat that is gone, and every base child that is gone.
 */
async function touchedRefs(store: StagingStore): Promise<Set<string>> {
  const touched = new Set<string>();
  const baseRefs = new Map<string, readonly string[]>();
  for (const b of store.baseRecords()) if (b.kind === 'chat') baseRefs.set(b.id, b.refs ?? []);
  for (const b of goneSincePrevious(store)) {
    touched.add(`${b.kind}:${b.id}`);
    for (const ref of b.refs ?? []) touched.add(ref);
  }
  for await (const record of currentRecords(store)) {
    if (record.kind !== 'chat') continue;
    const state = store.baseState('chat', record.id);
    if (state === 'seed' || state === 'confirmed') continue;
    const before = new Set(baseRefs.get(record.id) ?? []);
    const now = new Set(record.refs);
    for (const ref of now) if (!before.has(ref)) touched.add(ref);
    for (const ref of before) if (!now.has(ref)) touched.add(ref);
  }
  return touched;
}
