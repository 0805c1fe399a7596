import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createComplianceClient, type ComplianceClient } from '../../src/api/index.js';
import {
  createCollectContext,
  startPass,
  type CollectContextInput,
  type PassContext,
  type ProgressSink,
  type StageCounters,
} from '../../src/collect/context.js';
import { stageCounters } from '../../src/progress/progress-model.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { openStore, type StagingStore } from '../../src/store/index.js';
import type { Reply } from '../api/fixture-server.js';

/** A progress sink that only keeps the counters, so tests can read them back per stage. */
export function countingProgress(counters = new Map<string, StageCounters>()): ProgressSink {
  return {
    stage: (name) => {
      let c = counters.get(name);
      if (c === undefined) counters.set(name, (c = stageCounters()));
      return c;
    },
  };
}

/** Pass 1 of a run that covers every organization and user the key reaches. */
export function firstPass(input: Omit<CollectContextInput, 'scope'>): PassContext {
  const scope = { orgUuids: null, custodianIds: null, emails: new Map<string, string>() };
  return startPass(createCollectContext({ ...input, scope }), 1);
}

/**
 * A collect context against a server on loopback (a fixture or the sandbox): a job spec naming it,
 * its staging store and a real client. `close` releases all three and the temp folder.
 */
export interface ServerContext {
  readonly ctx: PassContext;
  readonly store: StagingStore;
  readonly client: ComplianceClient;
  close(): Promise<void>;
}

export async function serverContext(
  baseUrl: string,
  options: { include: string[]; apiKey?: string; cut?: string; concurrency?: number },
): Promise<ServerContext> {
  const dir = await mkdtemp(join(tmpdir(), 'collect-ctx-'));
  const specPath = join(dir, 'job.yaml');
  await writeFile(
    specPath,
    `version: 1\nname: test-job\nsource:\n  base_url: ${baseUrl}\n  api_key_env: K\n` +
      `scope:\n  include: [${options.include.join(', ')}]\n` +
      `destination:\n  uri: ${join(dir, 'out')}\nstate_dir: ${join(dir, 'state')}\n`,
  );
  const apiKey = options.apiKey ?? 'sk-ant-api01-test';
  const { spec, sha256 } = await loadSpecFile(specPath, { env: { K: apiKey } });
  const store = await openStore({ stateDir: join(dir, 'state'), jobName: spec.name, specSha256: sha256 });
  const client = createComplianceClient({ baseUrl, apiKey });
  const concurrency = options.concurrency ?? 2;
  const ctx = firstPass({
    store,
    client,
    spec,
    cut: options.cut ?? '2026-02-01T00:00:00Z',
    concurrency,
    readAhead: concurrency * 2,
    signal: undefined,
    progress: countingProgress(),
  });
  let closed = false;
  return {
    ctx,
    store,
    client,
    close: async () => {
      if (closed) return;
      closed = true;
      await store.close().catch(() => undefined);
      await client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A chat as a listing (and the messages endpoint's top level) shows it. */
export function listedChat(id: string, createdAt = '2026-01-05T10:00:00Z'): Record<string, unknown> {
  return {
    id,
    name: `chat ${id}`,
    created_at: createdAt,
    updated_at: createdAt,
    deleted_at: null,
    organization_uuid: 'org',
    project_id: null,
    user: { id: 'user_1', email_address: 'a@example.com' },
  };
}

/** A fixture reply: a chat with no messages for `.../apps/chats/{id}/messages`, else a 404. */
export function emptyChatMessages(path: string): Reply {
  const m = /^\/v1\/compliance\/apps\/chats\/([^/]+)\/messages$/u.exec(path);
  if (m === null) return { status: 404, json: { error: { type: 'not_found_error', message: 'Not found' } } };
  const id = decodeURIComponent(m[1]!);
  return { json: { ...listedChat(id), chat_messages: [], has_more: false, first_id: null, last_id: null } };
}
