/**
 * A server that echoes the key into a pagination cursor: the walk still works (the cursor is sent
 * back verbatim), but the key never reaches the state folder's journal.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chats } from '../../src/collect/kinds/chats.js';
import { startFixture, type Fixture } from '../api/fixture-server.js';
import {
  emptyChatMessages,
  listedChat as chat,
  serverContext,
  type ServerContext,
} from './context-fixture.js';

const KEY = 'sk-ant-api01-Zq7cursorEchoSecret0123456789abcdefXYZ';

let fixture: Fixture | undefined;
let sc: ServerContext | undefined;
afterEach(async () => {
  await sc?.close();
  await fixture?.close();
});

describe('a cursor that carries the key', () => {
  it('is followed, but never written to the journal', async () => {
    const echoed = `cur_${KEY}`;
    fixture = await startFixture((req) => {
      if (req.path === '/v1/compliance/apps/chats') {
        const second = req.query.get('after_id') === echoed;
        const id = second ? 'claude_chat_B' : 'claude_chat_A';
        return {
          json: { data: [chat(id)], has_more: !second, first_id: id, last_id: second ? id : echoed },
        };
      }
      return emptyChatMessages(req.path);
    });
    sc = await serverContext(fixture.baseUrl, { include: ['chats'], apiKey: KEY });
    const { ctx, store, client } = sc;
    store.holdsSecret = (text) => client.holdsSecret(text);
    await chats.collect(ctx);
    // The walk followed the echoed cursor to its second page.
    expect(store.idsOf('chat').sort()).toEqual(['claude_chat_A', 'claude_chat_B']);
    expect(fixture.requests.filter((r) => r.path === '/v1/compliance/apps/chats').length).toBe(2);
    await store.close();
    // Nothing in the state folder holds the key or a slice of it.
    const stateDir = store.dir;
    for (const name of await readdir(stateDir)) {
      if (!name.endsWith('.jsonl') && !name.endsWith('.json')) continue;
      const text = await readFile(join(stateDir, name), 'utf8');
      expect(text).not.toContain(KEY.slice(13, 40));
    }
  });
});
