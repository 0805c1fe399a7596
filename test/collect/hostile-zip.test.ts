/**
 * A code-artifact version served as a ZIP whose entries escape their folder (`../`, `/etc/…`),
 * from the real sandbox over loopback: kept as served evidence and flagged, never retried in vain.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createComplianceClient } from '../../src/api/index.js';
import { codeArtifacts } from '../../src/collect/kinds/code-artifacts.js';
import { unsafeEntryReason } from '../../src/collect/zip-check.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { openStore, currentRecords, type StagingStore } from '../../src/store/index.js';
import { harness, type Harness } from '../run-job/helpers.js';
import { countingProgress, firstPass } from './context-fixture.js';

let h: Harness | undefined;
let store: StagingStore | undefined;
afterEach(async () => {
  await store?.close();
  await h?.close();
  store = undefined;
  h = undefined;
});

describe('unsafe ZIP entry names', () => {
  it('are named by reason', () => {
    expect(
      ['a/files/x.txt', '../x', 'a/../../x', '/etc/passwd', 'C:x', 'a\\b', 'a\nb', ''].map(unsafeEntryReason),
    ).toEqual([
      null,
      '".." segment',
      '".." segment',
      'absolute path',
      'drive letter',
      'backslash',
      'control character',
      'empty name',
    ]);
  });

  it('keep the served ZIP and flag it unsafe_zip_entries (not retryable), once', async () => {
    h = await harness({ include: ['code_artifacts'], scenario: { faults: { unsafeZipVersions: 1 } } });
    const { spec, sha256 } = await loadSpecFile(h.specPath, { env: h.env });
    store = await openStore({ stateDir: `${h.dir}/state`, jobName: spec.name, specSha256: sha256 });
    const client = createComplianceClient({
      baseUrl: h.sandbox.baseUrl,
      apiKey: h.env['TEST_COMPLIANCE_KEY']!,
      requestsPerMinute: 60_000,
    });
    const faults = (await (await fetch(`${h.sandbox.baseUrl}/_sandbox/faults`)).json()) as {
      unsafe_zip_versions: string[];
    };
    const [id] = faults.unsafe_zip_versions;
    expect(id).toBeDefined();
    try {
      const ctx = firstPass({
        store,
        client,
        spec,
        cut: new Date().toISOString(),
        concurrency: 4,
        readAhead: 8,
        signal: undefined,
        progress: countingProgress(),
      });
      await codeArtifacts.collect(ctx);
    } finally {
      await client.close();
    }
    const rows = store.exceptions().map((e) => [e.kind, e.id, e.reason, e.retryable, e.parent]);
    expect(rows).toEqual([['code_artifact_version', id, 'unsafe_zip_entries', false, id!.split('/')[0]]]);
    const detail = store.exceptions()[0]!.detail;
    expect(detail).toContain('"../../escape.sh" (".." segment)');
    expect(detail).toContain('"/etc/cron.d/evil" (absolute path)');
    // The served bytes are held as they came, entry names untouched.
    let zip: Buffer | null = null;
    for await (const r of currentRecords(store)) {
      if (r.kind === 'code_artifact_version' && r.id === id)
        zip = await readFile(store.blobs.pathOf(r.files[0]!.sha256));
    }
    expect(zip).not.toBeNull();
    expect(zip!.subarray(0, 4).toString('hex')).toBe('504b0304');
    expect(zip!.includes(Buffer.from('../../escape.sh'))).toBe(true);
  });
});
