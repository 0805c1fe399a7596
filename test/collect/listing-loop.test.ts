/**
 * A chats listing that cycles (`last_id` A → B → A, `has_more: true` for ever), from a real server
 * on loopback: the walk ends with a `pagination_loop` gap row naming the walk, what it listed
 * before the loop is captured, and the stage returns instead of spinning on the shared budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chats } from '../../src/collect/kinds/chats.js';
import { startFixture, type Fixture } from '../api/fixture-server.js';
import {
  emptyChatMessages,
  listedChat as chat,
  serverContext,
  type ServerContext,
} from './context-fixture.js';

let fixture: Fixture | undefined;
let sc: ServerContext | undefined;
afterEach(async () => {
  await sc?.close();
  await fixture?.close();
});

describe('a chats listing that loops', () => {
  it('becomes a pagination_loop gap and the stage goes on', async () => {
    fixture = await startFixture((req) => {
      if (req.path === '/v1/compliance/apps/chats') {
        // Page A (no cursor or after B) names B next; page B names A next: a cycle.
        const after = req.query.get('after_id');
        const onB = after === 'claude_chat_A';
        const id = onB ? 'claude_chat_B' : 'claude_chat_A';
        return {
          json: { data: [chat(id)], has_more: true, first_id: id, last_id: id },
        };
      }
      return emptyChatMessages(req.path);
    });
    sc = await serverContext(fixture.baseUrl, { include: ['chats'], concurrency: 4 });
    const { ctx, store } = sc;
    await chats.collect(ctx);
    const listings = fixture.requests.filter((r) => r.path === '/v1/compliance/apps/chats');
    // A, B, then A's cursor again: detected on the third page, never a fourth request.
    expect(listings.map((r) => r.query.get('after_id'))).toEqual([null, 'claude_chat_A', 'claude_chat_B']);
    expect(store.idsOf('chat').sort()).toEqual(['claude_chat_A', 'claude_chat_B']);
    expect(store.exceptions().map((e) => [e.kind, e.id, e.reason, e.retryable])).toEqual([
      ['chat', 'listing:chats:p1:org', 'pagination_loop', false],
    ]);
    expect(store.exceptions()[0]!.endpoint).toBe('/v1/compliance/apps/chats');
  });
});
