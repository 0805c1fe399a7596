/**
 * Ids are untrusted (compliance-api.md §3.10). Chats and files whose ids clean to the same text
 * (`a/b`, `a\b`, `a_b`), dot ids, device names, `%` and overlong ids, served by a real server on
 * loopback, must each get their own bag path when collected, so the seal (whose duplicate check
 * is only a last assertion) goes through and every item is in the archive.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComplianceClient, type Chat, type ComplianceClient } from '../../src/api/index.js';
import { sealBag } from '../../src/archive/seal-bag.js';
import { unsafePathReason } from '../../src/archive/safe-name.js';
import { collectChat } from '../../src/collect/kinds/chat-fetch.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { buildBagPayload, currentRecords, openStore, type StagingStore } from '../../src/store/index.js';
import { startFixture, type Fixture } from '../api/fixture-server.js';
import { collect } from '../archive/fixtures.js';
import { countingProgress, firstPass } from './context-fixture.js';

// `.` and `..` are left to the unit tests: as URL path segments they are resolved away before the
// request is sent, so they never reach this server. `.x`, `-x` and `_x` all cleaned to `_x` before.
const IDS = ['a/b', 'a\\b', 'a_b', '.x', '-x', '_x', 'CON', 'x%41', 'xA', `claude_chat_${'x'.repeat(300)}`];
const CREATED = '2026-01-05T10:00:00Z';
const bytesOf = (fileId: string): Buffer => Buffer.from(`content of ${JSON.stringify(fileId)}\n`);
const md5Hex = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function chatOf(id: string): Chat {
  return {
    id,
    name: `chat ${id}`,
    created_at: CREATED,
    updated_at: CREATED,
    deleted_at: null,
    organization_id: 'org',
    project_id: null,
    user: { id: 'user_1', email_address: 'a@example.com' },
  } as unknown as Chat;
}

describe('collecting items whose ids clean to the same text', () => {
  let fixture: Fixture;
  let dir: string;
  let store: StagingStore;
  let client: ComplianceClient;

  beforeAll(async () => {
    fixture = await startFixture((req) => {
      const messages = /^\/v1\/compliance\/apps\/chats\/([^/]+)\/messages$/u.exec(req.path);
      if (messages !== null) {
        const id = decodeURIComponent(messages[1]!);
        const fileId = `file:${id}`;
        const body = bytesOf(fileId);
        return {
          json: {
            ...chatOf(id),
            chat_messages: [
              {
                id: 'claude_chat_msg_1',
                role: 'user',
                created_at: CREATED,
                content: [{ type: 'text', text: 'hi', thinking_redacted: false, truncated: false }],
                files: [
                  {
                    id: fileId,
                    filename: 'report.pdf',
                    mime_type: 'application/pdf',
                    size_bytes: body.length,
                    md5: md5Hex(body),
                  },
                ],
                generated_files: null,
                artifacts: null,
              },
            ],
            has_more: false,
            first_id: 'claude_chat_msg_1',
            last_id: 'claude_chat_msg_1',
          },
        };
      }
      const content = /^\/v1\/compliance\/apps\/chats\/files\/([^/]+)\/content$/u.exec(req.path);
      if (content !== null) {
        const body = bytesOf(decodeURIComponent(content[1]!));
        return {
          headers: {
            'content-type': 'application/pdf',
            'content-md5': createHash('md5').update(body).digest('base64'),
          },
          body,
        };
      }
      return { status: 404, json: { error: { type: 'not_found_error', message: 'Not found' } } };
    });
    dir = await mkdtemp(join(tmpdir(), 'hostile-ids-'));
    const specPath = join(dir, 'job.yaml');
    await writeFile(
      specPath,
      `version: 1
name: test-job
source:
  base_url: ${fixture.baseUrl}
  api_key_env: TEST_COMPLIANCE_KEY
scope:
  include: [chats, files]
destination:
  uri: ${join(dir, 'out')}
state_dir: ${join(dir, 'state')}
`,
    );
    const env = { TEST_COMPLIANCE_KEY: 'sk-ant-api01-test' };
    const { spec, sha256 } = await loadSpecFile(specPath, { env });
    store = await openStore({ stateDir: join(dir, 'state'), jobName: spec.name, specSha256: sha256 });
    client = createComplianceClient({ baseUrl: fixture.baseUrl, apiKey: env.TEST_COMPLIANCE_KEY });
    const ctx = firstPass({
      store,
      client,
      spec,
      cut: '2026-02-01T00:00:00Z',
      concurrency: 4,
      readAhead: 8,
      signal: undefined,
      progress: countingProgress(),
    });
    for (const id of IDS) await collectChat(ctx, chatOf(id), JSON.stringify(chatOf(id)));
  });
  afterAll(async () => {
    await store?.close();
    await client?.close();
    await fixture?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('stages every chat and file under its own safe path', async () => {
    const paths = new Map<string, string[]>();
    for await (const r of currentRecords(store))
      paths.set(
        `${r.kind}\t${r.id}`,
        r.files.map((f) => f.path),
      );
    const expected = [...IDS.map((id) => `chat\t${id}`), ...IDS.map((id) => `file\tfile:${id}`)].sort();
    expect([...paths.keys()].sort()).toEqual(expected);
    const all = [...paths.values()].flat();
    expect(all).toHaveLength(IDS.length * 3); // chat JSON; file content + metadata.json
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all.map((p) => p.toLowerCase())).size).toBe(all.length);
    for (const p of all) expect(unsafePathReason(p)).toBeNull();
  });

  it('seals them all into one bag', async () => {
    const payload = await buildBagPayload(store);
    const sealed = sealBag({
      name: 'test-job',
      asOfCut: '2026-02-01T00:00:00Z',
      payload: payload.payload,
      tagFiles: [],
      bagInfo: [],
    });
    const [zip, result] = await Promise.all([collect(sealed.stream), sealed.done]);
    expect(zip.length).toBe(result.zipBytes);
    expect(result.payloadFiles).toBe(IDS.length * 3);
  });
});
