import { afterEach, describe, expect, it } from 'vitest';
import { collectItems, type Page } from '../../src/api/index.js';
import { errorBody, startFixture, type Fixture, type Reply, fixtureClient } from './fixture-server.js';

const KEY = 'sk-ant-api01-paginate-SECRET-0123456789';
let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function setup(handler: (url: URL, i: number) => Reply) {
  fixture = await startFixture((req, i) => handler(new URL(req.url, 'http://x'), i));
  const { client } = fixtureClient(fixture, KEY);
  return { client, fixture };
}

async function all<T>(it: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const pages: Page<T>[] = [];
  for await (const p of it) pages.push(p);
  return pages;
}

describe('cursor pagination', () => {
  const chats = ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => ({
    id,
    name: id,
    extra_field: { nested: [1, 2] },
  }));
  const cursorServer = (url: URL): Reply => {
    const after = url.searchParams.get('after_id');
    const start = after === null ? 0 : chats.findIndex((c) => c.id === after) + 1;
    const data = chats.slice(start, start + 2);
    return {
      json: {
        data,
        has_more: start + 2 < chats.length,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      },
    };
  };

  it('walks every page, following last_id, and stops when has_more is false', async () => {
    const { client, fixture } = await setup(cursorServer);
    const pages = await all(
      client.listChats({ organization_ids: ['org_1'], order_by: 'updated_at', limit: 2 }),
    );
    expect(pages.map((p) => p.items.map((c) => c.id))).toEqual([['c1', 'c2'], ['c3', 'c4'], ['c5']]);
    expect(pages.map((p) => [p.cursor, p.resumeCursor, p.done])).toEqual([
      [null, 'c2', false],
      ['c2', 'c4', false],
      ['c4', 'c5', true],
    ]);
    expect(pages[1]!.query).toBe('organization_ids[]=org_1&order_by=updated_at&limit=2&after_id=c2');
    expect(pages[0]!.items[0]!.extra_field).toEqual({ nested: [1, 2] }); // unknown fields pass through
    expect(pages[0]!.rawItems[0]).toBe(JSON.stringify(chats[0]));
    expect(pages[0]!.envelope).toEqual({ has_more: true, first_id: 'c1', last_id: 'c2' });
    expect(fixture.requests).toHaveLength(3);
  });

  it('resumes from a checkpointed cursor', async () => {
    const { client } = await setup(cursorServer);
    const pages = await all(client.listChats({}, { resumeFrom: 'c2' }));
    expect(pages.flatMap((p) => p.items.map((c) => c.id))).toEqual(['c3', 'c4', 'c5']);
    expect(pages[0]!.cursor).toBe('c2');
  });

  it('retries a failed page with the same cursor', async () => {
    let failed = false;
    const { client, fixture } = await setup((url) => {
      if (url.searchParams.get('after_id') === 'c2' && !failed) {
        failed = true;
        return { status: 502, json: errorBody('api_error', 'bad gateway') };
      }
      return cursorServer(url);
    });
    const ids = (await all(client.listChats({ limit: 2 }))).flatMap((p) => p.items.map((c) => c.id));
    expect(ids).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(fixture.requests.map((r) => r.query.get('after_id'))).toEqual([null, 'c2', 'c2', 'c4']);
  });

  it('follows first_id as before_id when walking backward', async () => {
    const { client, fixture } = await setup((_url, i) =>
      i === 0
        ? { json: { data: [{ id: 'c9' }], has_more: true, first_id: 'c9', last_id: 'c9' } }
        : { json: { data: [{ id: 'c8' }], has_more: false, first_id: 'c8', last_id: 'c8' } },
    );
    await all(client.listChats({ user_ids: ['user_1'] }, { direction: 'backward' }));
    expect(fixture.requests[1]!.query.get('before_id')).toBe('c9');
  });

  it('fails loudly when has_more is true but last_id is missing', async () => {
    const { client } = await setup(() => ({
      json: { data: [], has_more: true, first_id: null, last_id: null },
    }));
    await expect(all(client.listActivities())).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('treats activities with no data/has_more as an empty last page', async () => {
    const { client } = await setup(() => ({ json: {} }));
    const pages = await all(client.listActivities({ order: 'asc' }));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ items: [], done: true, resumeCursor: null });
  });

  it('merges every page of chat messages with the chat metadata', async () => {
    const { client, fixture } = await setup((url) => {
      const after = url.searchParams.get('after_id');
      const msgs = after === null ? [{ id: 'm1' }, { id: 'm2' }] : [{ id: 'm3' }];
      return {
        json: {
          id: 'claude_chat_1',
          name: 'n',
          deleted_at: null,
          chat_messages: msgs,
          has_more: after === null,
          first_id: msgs[0]!.id,
          last_id: msgs.at(-1)!.id,
        },
      };
    });
    const r = await client.getChatMessages('claude_chat_1', {
      tool_use_input_max_chars: -1,
      tool_result_max_chars: -1,
      limit: 2,
    });
    expect(r.chat).toEqual({ id: 'claude_chat_1', name: 'n', deleted_at: null });
    expect(r.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
    expect(r.rawMessages).toEqual(['{"id":"m1"}', '{"id":"m2"}', '{"id":"m3"}']);
    expect(fixture.requests[0]!.url).toBe(
      '/v1/compliance/apps/chats/claude_chat_1/messages?tool_use_input_max_chars=-1&tool_result_max_chars=-1&limit=2',
    );
  });
});

describe('page-token pagination', () => {
  it('continues through short and empty pages until next_page is absent (code artifacts)', async () => {
    const script: unknown[] = [
      { data: [{ id: 'cart_1' }], has_more: true, next_page: 't1' },
      { data: [], has_more: true, next_page: 't2' },
      { data: [], has_more: false, next_page: 't3' }, // has_more false but a token: keep going (§4.1)
      { data: [{ id: 'cart_2' }], has_more: false },
    ];
    const { client, fixture } = await setup((_u, i) => ({ json: script[i] }));
    const pages = await all(client.listCodeArtifacts({ limit: 100 }));
    expect(pages.map((p) => p.items.map((a) => a.id))).toEqual([['cart_1'], [], [], ['cart_2']]);
    expect(pages.map((p) => [p.cursor, p.resumeCursor, p.done])).toEqual([
      [null, 't1', false],
      ['t1', 't2', false],
      ['t2', 't3', false],
      ['t3', null, true],
    ]);
    expect(fixture.requests.map((r) => r.query.get('page'))).toEqual([null, 't1', 't2', 't3']);
  });

  it('walks sessions, which have no has_more, until next_page is null', async () => {
    const { client } = await setup((url) =>
      url.searchParams.get('page') === null
        ? { json: { data: [{ id: 'clls_1' }], next_page: 'page_abc' } }
        : { json: { data: [{ id: 'clls_2' }], next_page: null } },
    );
    const ids = await collectItems(client.listLocalSessions({ created_at: { gte: '2026-01-01T00:00:00Z' } }));
    expect(ids.map((s) => s.id)).toEqual(['clls_1', 'clls_2']);
  });

  it('exposes the session envelope on transcript pages and resumes from a token', async () => {
    const { client, fixture } = await setup(() => ({
      json: { session: { id: 'cse_1' }, data: [{ id: 'csev_9' }], next_page: null },
    }));
    const pages = await all(
      client.listRemoteSessionMessages('cse_1', { tool_result_max_bytes: -1 }, { resumeFrom: 'tok' }),
    );
    expect(pages[0]!.envelope.session).toEqual({ id: 'cse_1' });
    expect(fixture.requests[0]!.url).toBe(
      '/v1/compliance/apps/sessions/remote/cse_1/messages?tool_result_max_bytes=-1&page=tok',
    );
  });

  it('refuses a token that does not advance', async () => {
    const { client } = await setup(() => ({ json: { data: [], next_page: 'same' } }));
    await expect(all(client.listOrganizations({}, { resumeFrom: 'same' }))).rejects.toMatchObject({
      code: 'pagination_loop',
    });
  });

  it('keeps the raw text of each record byte-for-byte (big numbers, escapes, spacing)', async () => {
    const body =
      '{ "data" : [ {"id":"u1","n":12345678901234567890,"s":"a\\u00e9\\"]}"} ,{"id":"u2"} ], "next_page": null }';
    const { client } = await setup(() => ({ body, headers: { 'content-type': 'application/json' } }));
    const pages = await all(client.listUsers('org-uuid'));
    expect(pages[0]!.rawItems).toEqual([
      '{"id":"u1","n":12345678901234567890,"s":"a\\u00e9\\"]}"}',
      '{"id":"u2"}',
    ]);
  });
});
