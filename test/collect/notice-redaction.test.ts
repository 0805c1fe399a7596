import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createComplianceClient } from '../../src/api/index.js';
import { recordNotice } from '../../src/collect/context.js';
import type { ResolvedJobSpec } from '../../src/spec/types.js';
import { openStore, type StagingStore } from '../../src/store/index.js';
import { countingProgress, firstPass } from './context-fixture.js';

const KEY = 'sk-ant-api01-NoticeDetailSecret-0123456789abcdef';
let dir: string | undefined;
let store: StagingStore | undefined;
afterEach(async () => {
  await store?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('a notice built from server data', () => {
  it('passes the key redactor: a ZIP entry name that echoes the key is masked', async () => {
    dir = await mkdtemp(join(tmpdir(), 'notice-redaction-'));
    store = await openStore({ stateDir: dir, jobName: 'job', specSha256: 'd'.repeat(64) });
    const client = createComplianceClient({ baseUrl: 'http://127.0.0.1:9', apiKey: KEY });
    try {
      const ctx = firstPass({
        store,
        client,
        spec: {} as ResolvedJobSpec,
        cut: '2026-02-01T00:00:00Z',
        concurrency: 1,
        readAhead: 1,
        signal: undefined,
        progress: countingProgress(),
      });
      recordNotice(
        ctx,
        'code_artifacts',
        { kind: 'code_artifact_version', id: 'cart_1/v1', parent: 'cart_1' },
        'unsafe_zip_entries',
        `ZIP entries that escape their folder: "../${KEY}.sh" (".." segment), "${KEY.slice(13, 33)}"`,
      );
    } finally {
      await client.close();
    }
    const [row] = store.exceptions();
    expect(row!.reason).toBe('unsafe_zip_entries');
    expect(row!.detail).toContain('[REDACTED]');
    expect(row!.detail).not.toContain(KEY.slice(13, 33));
  });
});
