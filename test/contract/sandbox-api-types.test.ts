/**
 * The sandbox and the client describe the same API twice (src/api/types.ts, and the sandbox's
 * serializers). This file pins them together so neither can drift alone:
 * - at compile time (`npm run typecheck`): every record type the sandbox infers from its
 *   serializers fits the client's type, and has exactly the client's declared keys;
 * - at run time: every record every read endpoint serves has exactly the keys the client's type
 *   declares (the key lists below are checked against the client's types by the compiler), plus the
 *   few documented fields the client leaves to its index signature (listed per type);
 * - the sandbox's Activity Feed type list is the product's, plus the two Access Transparency types.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  ACTIVITY_TYPES,
  startSandbox,
  type RunningSandbox,
  type SandboxTruth,
  type ServedActivity,
  type ServedChat,
  type ServedChatMessage,
  type ServedCodeArtifact,
  type ServedGroup,
  type ServedLocalSession,
  type ServedProject,
  type ServedRemoteSession,
  type ServedRole,
  type ServedUserRef,
} from '@compliance-export/sandbox';
import type * as Api from '../../src/api/types.js';
import { KNOWN_ACTIVITY_TYPES } from '../../src/spec/activity-types.js';
import { SHAPES, keyDrift, type Declared, type Item } from './record-keys.js';

describe('sandbox record types fit the client types (compile time)', () => {
  it('every serializer-built record extends the client type and has its declared keys', () => {
    expectTypeOf<ServedUserRef>().toExtend<Api.UserRef>();
    expectTypeOf<ServedRole>().toExtend<Api.Role>();
    expectTypeOf<ServedGroup>().toExtend<Api.Group>();
    expectTypeOf<ServedActivity>().toExtend<Api.Activity>();
    expectTypeOf<ServedChat>().toExtend<Api.Chat>();
    expectTypeOf<ServedChatMessage>().toExtend<Api.ChatMessage>();
    expectTypeOf<ServedProject>().toExtend<Api.Project>();
    expectTypeOf<ServedCodeArtifact>().toExtend<Api.CodeArtifact>();
    expectTypeOf<ServedLocalSession>().toExtend<Api.LocalSession>();
    expectTypeOf<ServedRemoteSession>().toExtend<Api.RemoteSession>();

    expectTypeOf<keyof ServedUserRef>().toEqualTypeOf<Declared<Api.UserRef>>();
    expectTypeOf<keyof ServedRole>().toEqualTypeOf<Declared<Api.Role>>();
    expectTypeOf<keyof ServedGroup>().toEqualTypeOf<Declared<Api.Group>>();
    expectTypeOf<keyof ServedChat>().toEqualTypeOf<Declared<Api.Chat>>();
    expectTypeOf<keyof ServedChatMessage>().toEqualTypeOf<Declared<Api.ChatMessage>>();
    expectTypeOf<keyof ServedProject>().toEqualTypeOf<Declared<Api.Project>>();
    expectTypeOf<keyof ServedCodeArtifact>().toEqualTypeOf<Declared<Api.CodeArtifact>>();
    // §3.14: the newest local session gained one unnamed field; the sandbox serves it as updated_at.
    expectTypeOf<keyof ServedLocalSession>().toEqualTypeOf<Declared<Api.LocalSession> | 'updated_at'>();
    expectTypeOf<keyof ServedRemoteSession>().toEqualTypeOf<Declared<Api.RemoteSession>>();
  });
});

const V1 = '/v1/compliance';
let sb: RunningSandbox;
const served = new Map<string, Item[]>(Object.keys(SHAPES).map((name) => [name, []]));

async function get(path: string): Promise<Item> {
  const res = await fetch(sb.baseUrl + V1 + path, { headers: { 'x-api-key': sb.keys.full } });
  const body = (await res.json()) as Item;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}
const data = async (path: string): Promise<Item[]> => (await get(path))['data'] as Item[];
const add = (name: string, ...items: Item[]): void => void served.get(name)!.push(...items);
const addUsers = (...refs: unknown[]): void =>
  add('UserRef', ...refs.filter((r): r is Item => r !== null && typeof r === 'object'));
const pick = (item: Item, drop: readonly string[]): Item =>
  Object.fromEntries(Object.entries(item).filter(([k]) => !drop.includes(k)));

beforeAll(async () => {
  sb = await startSandbox({ seed: 1, profile: 'small', rpm: 0 });
  const truth = (await (await fetch(`${sb.baseUrl}/_sandbox/truth`)).json()) as SandboxTruth;

  add('Organization', ...(await data('/organizations')));
  for (const org of truth.organizations) {
    add('User', ...(await data(`/organizations/${org}/users`)));
    const roles = await data(`/organizations/${org}/roles`);
    add('Role', ...roles);
    for (const role of roles.slice(0, 3)) {
      add('Role', await get(`/organizations/${org}/roles/${String(role['id'])}`));
      add('Permission', ...(await data(`/organizations/${org}/roles/${String(role['id'])}/permissions`)));
    }
    const settings = await get(`/organizations/${org}/settings`);
    add('EffectiveSettings', settings);
    add('Setting', ...(settings['settings'] as Item[]));
    add('ApiKey', ...(settings['api_keys'] as Item[]));
  }
  add('Group', ...(await data('/groups')));
  for (const group of truth.groups) {
    add('Group', await get(`/groups/${group.id}`));
    add('GroupMember', ...(await data(`/groups/${group.id}/members`)));
  }
  add('Activity', ...(await data('/activities?limit=5000')));

  const chats = await data('/apps/chats?limit=1000');
  add('Chat', ...chats);
  addUsers(...chats.map((c) => c['user']));
  for (const chat of truth.chats.slice(0, 60)) {
    const reply = await get(`/apps/chats/${chat.id}/messages`);
    add('Chat', pick(reply, ['chat_messages', 'has_more', 'first_id', 'last_id']));
    for (const m of reply['chat_messages'] as Item[]) {
      add('ChatMessage', m);
      add(
        'FileRef',
        ...((m['files'] as Item[] | null) ?? []),
        ...((m['generated_files'] as Item[] | null) ?? []),
      );
      add('ArtifactRef', ...((m['artifacts'] as Item[] | null) ?? []));
    }
  }
  for (const f of truth.files.filter((x) => x.kind === 'upload').slice(0, 20))
    add('FileMetadata', await get(`/apps/chats/files/${f.id}`));
  for (const g of truth.generated_files.slice(0, 20))
    add('GeneratedFileMetadata', await get(`/apps/chats/generated-files/${g.id}`));
  for (const a of truth.chat_artifact_versions.slice(0, 20)) {
    add('ArtifactVersionMetadata', await get(`/apps/artifacts/${a.id}`));
    add('ArtifactContent', await get(`/apps/artifacts/${a.id}/content`));
  }

  const projects = await data('/apps/projects?limit=100');
  add('Project', ...projects);
  for (const p of truth.projects.filter((x) => !x.deleted)) {
    const detail = await get(`/apps/projects/${p.id}`);
    add('ProjectDetail', detail);
    addUsers(detail['user']);
    add('ProjectAttachment', ...(await data(`/apps/projects/${p.id}/attachments?limit=100`)));
    add('ProjectCollaborator', ...(await data(`/apps/projects/${p.id}/collaborators?limit=100`)));
    for (const d of p.document_ids.slice(0, 3)) {
      add('ProjectDocument', await get(`/apps/projects/documents/${d}`));
      add('ProjectDocumentMetadata', await get(`/apps/projects/documents/${d}/metadata`));
    }
  }
  const artifacts = await data('/apps/code/artifacts?limit=100');
  add('CodeArtifact', ...artifacts);
  add('CodeArtifactVersion', ...artifacts.flatMap((a) => a['versions'] as Item[]));

  const locals = await data('/apps/sessions/local?limit=500');
  add('LocalSession', ...locals);
  addUsers(...locals.map((s) => s['user']));
  for (const s of truth.sessions.local.filter((x) => x.message_ids.length > 0).slice(0, 10)) {
    add('LocalSession', await get(`/apps/sessions/local/${s.id}`));
    add('SessionMessage', ...(await data(`/apps/sessions/local/${s.id}/messages`)));
  }
  add('RemoteSession', ...(await data('/apps/sessions/remote?limit=500')));
  for (const s of truth.sessions.remote.filter((x) => x.message_ids.length > 0).slice(0, 10))
    add('SessionMessage', ...(await data(`/apps/sessions/remote/${s.id}/messages`)));
});
afterAll(() => sb?.close());

describe('every record the sandbox serves has the client type keys (run time)', () => {
  it.each(Object.keys(SHAPES))('%s', (name) => {
    const items = served.get(name)!;
    expect(items.length).toBeGreaterThan(0);
    expect(keyDrift(name, SHAPES[name]!, items)).toEqual([]);
  });

  it('flags a renamed, a missing and an extra field (the check itself can fail)', () => {
    const chat = served.get('Chat')![0]!;
    const { project_id, ...rest } = chat;
    expect(keyDrift('Chat', SHAPES['Chat']!, [{ ...rest, projectId: project_id }])).toEqual([
      '+Chat.projectId',
      '-Chat.project_id',
      '?Chat.project_id',
    ]);
  });

  it('every served activity type is one the sandbox lists', () => {
    const types = new Set(served.get('Activity')!.map((a) => String(a['type'])));
    expect([...types].filter((t) => !ACTIVITY_TYPES.has(t))).toEqual([]);
  });
});

describe('activity types', () => {
  it("the sandbox's list is the product's plus the two Access Transparency types (§7.3)", () => {
    const onlySandbox = [...ACTIVITY_TYPES].filter((t) => !KNOWN_ACTIVITY_TYPES.has(t)).sort();
    const onlyProduct = [...KNOWN_ACTIVITY_TYPES].filter((t) => !ACTIVITY_TYPES.has(t)).sort();
    expect(onlySandbox).toEqual(['anthropic_access', 'cmek_preserve']);
    expect(onlyProduct).toEqual([]);
  });
});
