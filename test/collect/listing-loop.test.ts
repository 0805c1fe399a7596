/**
 * A chats listing that cycles (`last_id` A → B → A, `has_more: true` for ever), from a real server
 * on loopback: the walk ends with a `pagination_loop` gap row naming the walk, what it listed
 * before the loop is captured, and the stage returns instead of spinning on the shared budget.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
      const m = /^\/v1\/compliance\/apps\/chats\/([^/]+)\/messages$/u.exec(req.path);
      if (m !== null) {
        const id = decodeURIComponent(m[1]!);
        return { json: { ...chat(id), chat_messages: [], has_more: false, first_id: null, last_id: null } };
      }
      return { status: 404, json: { error: { type: 'not_found_error', message: 'Not found' } } };
    });
    dir = await mkdtemp(join(tmpdir(), 'listing-loop-'));
    const specPath = join(dir, 'job.yaml');
    await writeFile(
      specPath,
      `version: 1
name: test-job
source:
  base_url: ${fixture.baseUrl}
  api_key_env: TEST_COMPLIANCE_KEY
scope:
  include: [chats]
destination:
  uri: ${join(dir, 'out')}
state_dir: ${join(dir, 'state')}
`,
    );
    const env = { TEST_COMPLIANCE_KEY: 'sk-ant-api01-test' };
    const { spec, sha256 } = await loadSpecFile(specPath, { env });
    store = await openStore({ stateDir: join(dir, 'state'), jobName: spec.name, specSha256: sha256 });
    client = createComplianceClient({ baseUrl: fixture.baseUrl, apiKey: env.TEST_COMPLIANCE_KEY });
    const ctx = createCollectContext({
      store,
      client,
      spec,
      cut: '2026-02-01T00:00:00Z',
      concurrency: 4,
      readAhead: 8,
      signal: undefined,
      progress: countingProgress(),
    });
    await collectChats(ctx);
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
