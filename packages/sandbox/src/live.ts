/**
 * Live mutations on the sandbox clock. Random mutations follow a schedule drawn from
 * (seed, 'live'); `advance(now)` applies every one due by `now`, so with a virtual clock the world
 * changes exactly when a test moves time. `/_sandbox/mutate?kind=…` applies one on demand.
 * Every change is logged in `world.changes` (→ truth `changes_after`).
 */
import { blobDigest } from './content.js';
import { messageTotal } from './messages.js';
import type { Actor, Blob, Change, Chat, CodeArtifact, Project, User, World } from './model.js';
import { addActivity, hardDeleteChat } from './mutate.js';
import { Rng, idFromUuid, iso } from './random.js';
import { lastSessionMessageAt } from './session-messages.js';
import type { ConsistencyOptions, MutationKind, MutationOptions } from './scenario.js';
import { compareChatKey } from './world.js';

/** Kinds `/_sandbox/mutate?kind=` and `mutations.kinds` accept. */
export const MUTATION_KINDS: MutationKind[] = [
  'new_chat',
  'new_message',
  'new_file',
  'new_project',
  'move_chat_to_project',
  'soft_delete_chat',
  'hard_delete_chat',
  'new_code_artifact',
  'new_code_artifact_behind',
  'new_code_artifact_version',
  'new_session_message',
];

/**
 * The random draw when `mutations.kinds` is not set: sessions are left out (jobs export them only
 * when asked), which also keeps the draws of existing seeds what they were. Name
 * `new_session_message` in `kinds` to draw it.
 */
const DEFAULT_RANDOM_KINDS: MutationKind[] = MUTATION_KINDS.filter((k) => k !== 'new_session_message');

function insertSorted(
  world: World,
  order: number[],
  chat: Chat,
  key: 'createdAt' | 'indexedUpdatedAt',
): void {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = world.chats[order[mid] ?? 0];
    if (c !== undefined && compareChatKey(c[key], c.uuid, chat[key], chat.uuid) < 0) lo = mid + 1;
    else hi = mid;
  }
  order.splice(lo, 0, chat.index);
}

export class LiveMutator {
  private readonly rng: Rng;
  private nextAt: number;
  private seq = 0;

  constructor(
    private readonly world: World,
    private readonly options: MutationOptions | undefined,
    private readonly consistency: ConsistencyOptions,
    start: number,
  ) {
    this.rng = new Rng(world.seed, 'live');
    this.nextAt = start + this.interval();
  }

  private interval(): number {
    const per = this.options?.perMinute ?? 0;
    if (per <= 0) return Infinity;
    // Exponential gaps (a Poisson process) with the configured mean rate.
    return Math.max(1, Math.round((-Math.log(1 - this.rng.float()) * 60_000) / per));
  }

  /** Apply scheduled mutations due by `now`, then updated_at index catch-ups due by `now`. */
  advance(now: number): void {
    while (this.nextAt <= now) {
      const at = this.nextAt;
      this.apply(this.rng.pick(this.options?.kinds ?? DEFAULT_RANDOM_KINDS), at);
      this.nextAt = at + this.interval();
    }
    this.catchUp(now);
  }

  private catchUp(now: number): void {
    const w = this.world;
    if (w.pendingIndex.length === 0) return;
    const due = w.pendingIndex.filter((p) => p.dueAt <= now);
    if (due.length === 0) return;
    w.pendingIndex = w.pendingIndex.filter((p) => p.dueAt > now);
    for (const p of due) {
      if (p.kind === 'chat') {
        const chat = w.index.chatById.get(p.ref);
        if (chat === undefined) continue;
        const order = w.index.chatsByUpdated;
        const at = order.indexOf(chat.index);
        if (at >= 0) order.splice(at, 1);
        chat.indexedUpdatedAt = chat.updatedAt;
        insertSorted(w, order, chat, 'indexedUpdatedAt');
      } else {
        const a = w.index.codeArtifactById.get(p.ref);
        if (a !== undefined) a.indexedUpdatedAt = a.updatedAt;
      }
    }
  }

  /** Record a write to updated_at; the index sees it after the lag. */
  private touch(kind: 'chat' | 'code_artifact', id: string, at: number): void {
    this.world.pendingIndex.push({ kind, ref: id, dueAt: at + (this.consistency.updatedAtLagMs ?? 0) });
  }

  private log(change: Omit<Change, 'at'>, at: number): Change {
    const c: Change = { ...change, at: iso(at) };
    this.world.changes.push(c);
    return c;
  }

  private r(): Rng {
    return new Rng(this.world.seed, 'live-op', this.seq++);
  }

  private liveChats(): Chat[] {
    return this.world.chats.filter((c) => c.removedAt === null && c.deletedAt === null);
  }

  private currentUsers(at: number): User[] {
    return this.world.users.filter((u) => u.leftAt === null || u.leftAt > at);
  }

  private userActor(u: User): Actor {
    return {
      type: 'user_actor',
      email_address: u.email,
      user_id: u.id,
      ip_address: '10.0.0.1',
      user_agent: 'Claude/1.0',
    };
  }

  /** Apply one mutation at time `at`; returns the changes it logged (empty if nothing qualified). */
  apply(kind: MutationKind, at: number): Change[] {
    const before = this.world.changes.length;
    const rng = this.r();
    const w = this.world;
    switch (kind) {
      case 'new_chat': {
        const user = rng.pick(this.currentUsers(at));
        const uuid = rng.uuid();
        const chat: Chat = {
          index: w.chats.length,
          uuid,
          id: idFromUuid('claude_chat_', uuid),
          orgUuid: user.orgUuid,
          userId: user.id,
          projectId: null,
          name: `Live chat ${w.chats.length}`,
          model: 'claude-opus-5',
          createdAt: at,
          updatedAt: at,
          indexedUpdatedAt: at,
          deletedAt: null,
          removedAt: null,
          messageCount: 1,
          lastMessageAt: at,
          appendedAt: [],
          attachments: [],
        };
        w.chats.push(chat);
        w.index.chatById.set(chat.id, chat);
        w.index.chatByUuid.set(chat.uuid, chat);
        insertSorted(w, w.index.chatsByCreated, chat, 'createdAt');
        this.touch('chat', chat.id, at);
        addActivity(w, {
          type: 'claude_chat_created',
          createdAt: at,
          orgUuid: chat.orgUuid,
          actor: this.userActor(user),
          fields: { claude_chat_id: chat.id, claude_project_id: null },
        });
        this.log({ kind: 'chat', id: chat.id, change: 'created' }, at);
        break;
      }
      case 'new_message':
      case 'new_file': {
        const chats = this.liveChats();
        if (chats.length === 0) break;
        const chat = rng.pick(chats);
        const last = Math.max(chat.lastMessageAt, ...chat.appendedAt);
        let t = Math.max(at, last + 1);
        // A file rides on a user turn (even index): add an assistant turn first if needed.
        if (kind === 'new_file' && messageTotal(chat) % 2 === 1) chat.appendedAt.push(t++);
        const msgIndex = messageTotal(chat);
        chat.appendedAt.push(t);
        chat.updatedAt = t;
        this.touch('chat', chat.id, t);
        if (kind === 'new_file') {
          const uuid = rng.uuid();
          const blob: Blob = {
            index: w.blobs.length,
            uuid,
            id: idFromUuid('claude_file_', uuid),
            kind: 'upload',
            filename: `live-upload-${w.blobs.length}.txt`,
            mimeType: 'text/plain',
            size: rng.int(100, 20_000),
            body: 'text',
            magic: '',
            createdAt: t,
            removedAt: null,
            uses: [{ chat: chat.index, msg: msgIndex }],
            projectId: null,
            legacyRef: false,
          };
          w.blobs.push(blob);
          w.index.blobById.set(blob.id, blob);
          chat.attachments.push({ msg: msgIndex, kind: 'file', ref: blob.index });
          blobDigest(w.seed, blob);
          this.log({ kind: 'file', id: blob.id, change: 'created', parent_id: chat.id }, t);
        }
        this.log({ kind: 'chat', id: chat.id, change: 'updated' }, t);
        break;
      }
      case 'new_project': {
        const user = rng.pick(this.currentUsers(at));
        const uuid = rng.uuid();
        const p: Project = {
          index: w.projects.length,
          uuid,
          id: idFromUuid('claude_proj_', uuid),
          orgUuid: user.orgUuid,
          userId: user.id,
          name: `Live project ${w.projects.length}`,
          description: '',
          instructions: '',
          isPrivate: false,
          createdAt: at,
          updatedAt: at,
          deletedAt: null,
          removedAt: null,
          docs: [],
          files: [],
          collaborators: [{ type: 'user', user_id: user.id, role: 'owner', granted_at: iso(at) }],
        };
        w.projects.push(p);
        w.index.projectById.set(p.id, p);
        addActivity(w, {
          type: 'claude_project_created',
          createdAt: at,
          orgUuid: p.orgUuid,
          actor: this.userActor(user),
          fields: { claude_project_id: p.id },
        });
        this.log({ kind: 'project', id: p.id, change: 'created' }, at);
        break;
      }
      case 'move_chat_to_project': {
        const chats = this.liveChats().filter((c) => c.projectId === null);
        if (chats.length === 0) break;
        const chat = rng.pick(chats);
        const projects = w.projects.filter(
          (p) => p.orgUuid === chat.orgUuid && p.removedAt === null && p.deletedAt === null,
        );
        if (projects.length === 0) break;
        chat.projectId = rng.pick(projects).id;
        chat.updatedAt = Math.max(at, chat.updatedAt + 1);
        this.touch('chat', chat.id, chat.updatedAt);
        this.log({ kind: 'chat', id: chat.id, change: 'updated' }, chat.updatedAt);
        break;
      }
      case 'soft_delete_chat': {
        const chats = this.liveChats();
        if (chats.length === 0) break;
        const chat = rng.pick(chats);
        const t = Math.max(at, chat.updatedAt + 1);
        chat.deletedAt = t;
        chat.updatedAt = t;
        // §4.3 newest: attachments are deleted with the user's delete.
        for (const a of chat.attachments) {
          const rec = a.kind === 'artifact' ? w.artifactVersions[a.ref] : w.blobs[a.ref];
          if (rec !== undefined && rec.removedAt === null) rec.removedAt = t;
        }
        this.touch('chat', chat.id, t);
        this.log({ kind: 'chat', id: chat.id, change: 'soft_deleted' }, t);
        break;
      }
      case 'hard_delete_chat': {
        const chats = w.chats.filter((c) => c.removedAt === null);
        if (chats.length === 0) break;
        const chat = rng.pick(chats);
        hardDeleteChat(w, chat, at);
        this.log({ kind: 'chat', id: chat.id, change: 'deleted' }, at);
        break;
      }
      case 'new_code_artifact':
      case 'new_code_artifact_behind': {
        const user = rng.pick(this.currentUsers(at));
        // "Behind": an id that sorts before every generated one, i.e. behind any cursor (§4.2).
        const id =
          kind === 'new_code_artifact_behind' ? `cart_00${rng.base62(22)}` : `cart_${rng.base62(24)}`;
        const vid = `${Math.floor(at / 1000)}-${rng.u32().toString(16).padStart(8, '0').slice(0, 4)}`;
        const a: CodeArtifact = {
          index: 0,
          id,
          orgUuid: user.orgUuid,
          ownerUserId: user.id,
          artifactType: 'website',
          readMode: 'org',
          createdAt: at,
          updatedAt: at,
          indexedUpdatedAt: null,
          removedAt: null,
          versions: [
            {
              id: vid,
              createdAt: at,
              name: 'Live site v1',
              size: rng.int(300, 5000),
              mimeType: 'text/html',
              identityStored: true,
              files: 1,
            },
          ],
          pinnedVersionId: null,
          hiddenRow: false,
        };
        const list = w.codeArtifacts;
        let lo = 0;
        while (lo < list.length && (list[lo]?.id ?? '') < id) lo++;
        list.splice(lo, 0, a);
        w.index.codeArtifactById.set(a.id, a);
        this.touch('code_artifact', a.id, at);
        this.log({ kind: 'code_artifact', id: a.id, change: 'created' }, at);
        break;
      }
      case 'new_code_artifact_version': {
        const arts = w.codeArtifacts.filter((a) => !a.hiddenRow && a.removedAt === null);
        if (arts.length === 0) break;
        const a = rng.pick(arts);
        const vid = `${Math.floor(at / 1000)}-${rng.u32().toString(16).padStart(8, '0').slice(0, 4)}`;
        a.versions.push({
          id: vid,
          createdAt: at,
          name: `Site v${a.versions.length + 1}`,
          size: rng.int(300, 5000),
          mimeType: 'text/html',
          identityStored: true,
          files: 1,
        });
        a.updatedAt = at;
        this.touch('code_artifact', a.id, at);
        this.log({ kind: 'code_artifact_version', id: vid, change: 'created', parent_id: a.id }, at);
        break;
      }
      case 'new_session_message': {
        // A local session gains a message: its updated_at moves, its created_at does not (§3.16),
        // so it does not come back in a later created_at window (§4.2).
        const sessions = w.localSessions.filter((x) => x.removedAt === null && x.createdAt <= at);
        if (sessions.length === 0) break;
        const s = rng.pick(sessions);
        const t = Math.max(at, lastSessionMessageAt(s) + 1);
        s.appendedAt.push(t);
        this.log({ kind: 'session', id: s.id, change: 'updated' }, t);
        break;
      }
    }
    return w.changes.slice(before);
  }
}
