/**
 * A server that echoes the key into a pagination cursor: the walk still works (the cursor is sent
 * back verbatim), but the key never reaches the state folder's journal.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createComplianceClient, type ComplianceClient } from '../../src/api/index.js';
import { collectChats } from '../../src/collect/chats.js';
import { createCollectContext } from '../../src/collect/context.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { openStore, type StagingStore } from '../../src/store/index.js';
import { startFixture, type Fixture } from '../api/fixture-server.js';
import { countingProgress } from './context-fixture.js';

const KEY = 'sk-ant-api01-Zq7cursorEchoSecret0123456789abcdefXYZ';
const CREATED = '2026-01-05T10:00:00Z';
const chat = (id: string) => ({
  id,
  name: `chat ${id}`,
  created_at: CREATED,
  updated_at: CREATED,
  deleted_at: null,
  organization_uuid: 'org',
  project_id: null,
  user: { id: 'user_1', email_address: 'a@example.com' },
});

let fixture: Fixture | undefined;
let store: StagingStore | undefined;
let client: ComplianceClient | undefined;
let dir: string | undefined;
afterEach(async () => {
  await store?.close();
  await client?.close();
  await fixture?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
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
      const m = /^\/v1\/compliance\/apps\/chats\/([^/]+)\/messages$/u.exec(req.path);
      if (m !== null) {
        const id = decodeURIComponent(m[1]!);
        return { json: { ...chat(id), chat_messages: [], has_more: false, first_id: null, last_id: null } };
      }
      return { status: 404, json: { error: { type: 'not_found_error', message: 'Not found' } } };
    });
    dir = await mkdtemp(join(tmpdir(), 'secret-cursor-'));
    const specPath = join(dir, 'job.yaml');
    await writeFile(
      specPath,
      `version: 1\nname: test-job\nsource:\n  base_url: ${fixture.baseUrl}\n  api_key_env: K\n` +
        `scope:\n  include: [chats]\ndestination:\n  uri: ${join(dir, 'out')}\nstate_dir: ${join(dir, 'state')}\n`,
    );
    const { spec, sha256 } = await loadSpecFile(specPath, { env: { K: KEY } });
    store = await openStore({ stateDir: join(dir, 'state'), jobName: spec.name, specSha256: sha256 });
    client = createComplianceClient({ baseUrl: fixture.baseUrl, apiKey: KEY });
    const c = client;
    store.holdsSecret = (text) => c.holdsSecret(text);
    const ctx = createCollectContext({
      store,
      client,
      spec,
      cut: '2026-02-01T00:00:00Z',
      concurrency: 2,
      readAhead: 4,
      signal: undefined,
      progress: countingProgress(),
    });
    await collectChats(ctx);
    // The walk followed the echoed cursor to its second page.
    expect(store.idsOf('chat').sort()).toEqual(['claude_chat_A', 'claude_chat_B']);
    expect(fixture.requests.filter((r) => r.path === '/v1/compliance/apps/chats').length).toBe(2);
    await store.close();
    store = undefined;
    // Nothing in the state folder holds the key or a slice of it.
    const stateDir = join(dir, 'state', 'test-job');
    for (const name of await readdir(stateDir)) {
      if (!name.endsWith('.jsonl') && !name.endsWith('.json')) continue;
      const text = await readFile(join(stateDir, name), 'utf8');
      expect(text).not.toContain(KEY.slice(13, 40));
    }
  });
});
