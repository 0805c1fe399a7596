import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type Page } from '../../src/api/index.js';
import { startFixture, type Fixture, type Reply, fixtureClient } from './fixture-server.js';

/** Walks that would never end (cursor cycles, endless empty pages) and full pages that claim to be last. */
const KEY = 'sk-ant-api01-paginate-loops-SECRET-0123456789';
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

async function failure<T>(it: AsyncIterable<Page<T>>): Promise<ApiError> {
  const error = await all(it).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('pagination loops', () => {
  it('fails a cursor walk whose last_id goes A -> B -> A, naming the endpoint, cursor and page', async () => {
    const next: Record<string, string> = { '': 'A', A: 'B', B: 'A' };
    const { client, fixture } = await setup((url) => {
      const after = url.searchParams.get('after_id') ?? '';
      return { json: { data: [{ id: `x${after}` }], has_more: true, first_id: 'f', last_id: next[after] } };
    });
    const e = await failure(client.listChats({ limit: 10 }));
    expect(e).toMatchObject({ code: 'pagination_loop', status: 200, requestId: 'req_3' });
    expect(e.target).toEqual({
      method: 'GET',
      path: '/v1/compliance/apps/chats',
      query: 'limit=10&after_id=B',
    });
    expect(e.message).toContain('after_id "A"');
    expect(e.message).toContain('page 2');
    // the loop is caught on the page that closes it: no request is sent for it
    expect(fixture.requests.map((r) => r.query.get('after_id'))).toEqual([null, 'A', 'B']);
  });

  it('fails a page-token walk whose next_page alternates between two tokens', async () => {
    const { client, fixture } = await setup((url) => ({
      json: { data: [{ id: 'u' }], next_page: url.searchParams.get('page') === 't1' ? 't2' : 't1' },
    }));
    const e = await failure(client.listUsers('org-uuid', { limit: 1000 }));
    expect(e.code).toBe('pagination_loop');
    expect(fixture.requests.map((r) => r.query.get('page'))).toEqual([null, 't1', 't2']);
  });

  it('counts the resumed-from token as used', async () => {
    const { client, fixture } = await setup(() => ({ json: { data: [], next_page: 'again' } }));
    const e = await failure(client.listCodeArtifacts({ limit: 100 }, { resumeFrom: 'again' }));
    expect(e.code).toBe('pagination_loop');
    expect(fixture.requests).toHaveLength(1);
  });

  it('fails after 50 empty pages in a row, each with a fresh token', async () => {
    // a server that ends after 200 pages, so a walk without the bound finishes instead of hanging
    const { client, fixture } = await setup((_u, i) => ({
      json: { data: [], has_more: true, next_page: i < 200 ? `tok_${i}` : null },
    }));
    const e = await failure(client.listCodeArtifacts({ limit: 100 }));
    expect(e.code).toBe('pagination_loop');
    expect(fixture.requests).toHaveLength(50);
  });

  it('fails a page-token walk that resends the same items under fresh tokens', async () => {
    // users A and B, over and over, each page with a new token (ends after 300 so a bug cannot hang)
    const { client, fixture } = await setup((_u, i) => ({
      json: {
        data: [{ id: i % 2 === 0 ? 'user_A' : 'user_B', email: 'x@example.com' }],
        has_more: true,
        next_page: i < 300 ? `tok_${i}` : null,
      },
    }));
    const e = await failure(client.listUsers('11111111-2222-4333-8444-555555555555', { limit: 1000 }));
    expect(e.code).toBe('pagination_loop');
    expect(e.message).toContain('no item this walk had not seen');
    // two pages bring something new, then 50 in a row bring nothing
    expect(fixture.requests).toHaveLength(52);
  });

  it('fails a cursor walk that resends the same message under fresh last_ids', async () => {
    const { client, fixture } = await setup((_u, i) => ({
      json: {
        id: 'claude_chat_1',
        chat_messages: [{ id: 'msg_same', role: 'user', content: [] }],
        has_more: i < 300,
        first_id: 'msg_same',
        last_id: `cursor_${i}`,
      },
    }));
    const e = await failure(client.chatMessagePages('claude_chat_1', { limit: 1 }));
    expect(e.code).toBe('pagination_loop');
    expect(fixture.requests).toHaveLength(51);
  });

  it('accepts 49 empty pages between records (Code Artifacts, §4.1)', async () => {
    const { client, fixture } = await setup((_u, i) => ({
      json:
        i < 49
          ? { data: [], next_page: `tok_${i}` }
          : i === 49
            ? { data: [{ id: 'cart_1' }], next_page: 'tok_last' }
            : { data: [], next_page: null },
    }));
    const pages = await all(client.listCodeArtifacts({ limit: 100 }));
    expect(pages.flatMap((p) => p.items.map((a) => a.id))).toEqual(['cart_1']);
    expect(fixture.requests).toHaveLength(51);
  });
});

describe('a full page that says it is the last (§7.3)', () => {
  const events = ['a1', 'a2', 'a3'].map((id) => ({ id, type: 'x' }));
  /** Pages of `limit` after `after_id`; has_more is a lie: always false on a full page. */
  const lyingFeed =
    (opts: { omitHasMore?: boolean; omitLastId?: boolean } = {}) =>
    (url: URL): Reply => {
      const after = url.searchParams.get('after_id');
      const limit = Number(url.searchParams.get('limit'));
      const start = after === null ? 0 : events.findIndex((e) => e.id === after) + 1;
      const data = events.slice(start, start + limit);
      return {
        json: {
          data,
          ...(opts.omitHasMore === true ? {} : { has_more: false }),
          first_id: data[0]?.id ?? null,
          ...(opts.omitLastId === true ? {} : { last_id: data.at(-1)?.id ?? null }),
        },
      };
    };

  it('confirms with exactly one more request and continues when it returns items', async () => {
    const { client, fixture } = await setup(lyingFeed());
    const pages = await all(client.listActivities({ limit: 2 }));
    expect(pages.map((p) => [p.items.map((e) => e.id), p.done])).toEqual([
      [['a1', 'a2'], false],
      [['a3'], true],
    ]);
    expect(fixture.requests.map((r) => r.query.get('after_id'))).toEqual([null, 'a2']);
  });

  it('stops after the one confirming request when it is empty', async () => {
    const { client, fixture } = await setup(lyingFeed());
    const pages = await all(client.listActivities({ limit: 3 }));
    expect(pages.map((p) => [p.items.length, p.done, p.resumeCursor])).toEqual([
      [3, false, 'a3'],
      [0, true, 'a3'],
    ]);
    expect(fixture.requests.map((r) => r.query.get('after_id'))).toEqual([null, 'a3']);
  });

  it('confirms a full page with no has_more and no last_id after its last item', async () => {
    const { client, fixture } = await setup(lyingFeed({ omitHasMore: true, omitLastId: true }));
    const pages = await all(client.listActivities({ limit: 2 }));
    expect(pages.flatMap((p) => p.items.map((e) => e.id))).toEqual(['a1', 'a2', 'a3']);
    expect(fixture.requests.map((r) => r.query.get('after_id'))).toEqual([null, 'a2']);
  });

  it('ends on a short page with no has_more, without a confirming request', async () => {
    const { client, fixture } = await setup(lyingFeed({ omitHasMore: true }));
    const pages = await all(client.listActivities({ limit: 5 }));
    expect(pages.map((p) => [p.items.length, p.done])).toEqual([[3, true]]);
    expect(fixture.requests).toHaveLength(1);
  });
});
