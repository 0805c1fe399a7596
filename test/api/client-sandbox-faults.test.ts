import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  collectItems,
  createComplianceClient,
  createVirtualClock,
  type LedgerEntry,
} from '../../src/api/index.js';
import { startSandbox, type SandboxTruth } from '@compliance-export/sandbox';

/**
 * The client against the sandbox's adversity scenarios over real HTTP. The client runs on
 * a virtual clock, so backoff never really sleeps; the sandbox decides faults per (URL, attempt).
 */
const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

interface FaultReport {
  permanent_failures: string[];
  bad_content_md5: string[];
  in_flight_versions: { artifact_id: string; version_id: string; remaining: number }[];
}

describe('client under sandbox faults', () => {
  it('completes every walk and download despite 25 % transient failures, resets and cut bodies', async () => {
    const sb = await startSandbox({
      port: 0,
      seed: 3,
      profile: 'small',
      rpm: 0,
      scenario: { faults: { transientRate: 0.25 } },
    });
    const clock = createVirtualClock();
    const ledger: LedgerEntry[] = [];
    const client = createComplianceClient({
      baseUrl: sb.baseUrl,
      apiKey: sb.keys.full,
      clock,
      requestsPerMinute: 1e6,
      retry: { maxAttempts: 12 },
      ledger: (e) => ledger.push(e),
    });
    try {
      const truth = (await (await fetch(`${sb.baseUrl}/_sandbox/truth`)).json()) as SandboxTruth;
      const chats = await collectItems(client.listChats({ limit: 5 }));
      expect(chats.map((c) => c.id).sort()).toEqual(truth.chats.map((c) => c.id).sort());
      for (const c of truth.chats) {
        const r = await client.getChatMessages(c.id, { limit: 4 });
        expect(r.messages.map((m) => m.id)).toEqual(c.message_ids);
      }
      for (const f of truth.files) {
        const r = await client.downloadFile(f.id, sink, {});
        expect([r.sha256, r.size]).toEqual([f.sha256, f.size]);
      }
      const arts = await collectItems(client.listCodeArtifacts({ limit: 2 }));
      expect(arts.map((a) => a.id).sort()).toEqual(truth.code_artifacts.map((a) => a.id).sort());
      const stats = client.stats();
      expect(stats.errors).toBe(0);
      expect(stats.retries).toBeGreaterThan(20);
      for (const s of ['500', '502', '503', '504', '529']) expect(stats.byStatus[s] ?? 0).toBeGreaterThan(0);
      expect(stats.byFailure.network ?? 0).toBeGreaterThan(0);
      // The sandbox's "truncate" currently drops the socket before its half body is flushed, so it
      // reaches us as a reset before the headers (counted as network); true mid-body cuts are
      // covered against the fixture server in download-fixture.test.ts.
      expect((stats.byFailure.truncated ?? 0) + (stats.byFailure.network ?? 0)).toBeGreaterThan(0);
      // every retry re-sent exactly the same request (same cursor / page token)
      for (let i = 0; i < ledger.length - 1; i++) {
        if (ledger[i]!.outcome === 'retry') {
          expect([ledger[i + 1]!.path, ledger[i + 1]!.query]).toEqual([ledger[i]!.path, ledger[i]!.query]);
        }
      }
      expect(clock.sleeps.filter((ms) => ms >= 1000).length).toBe(stats.retries);
    } finally {
      await client.close();
      await sb.close();
    }
  });

  it('reports permanent failures with the right codes, and waits out in-flight versions', async () => {
    const sb = await startSandbox({
      port: 0,
      seed: 1,
      profile: 'small',
      rpm: 0,
      scenario: { faults: { permanentFailures: 1, badContentMd5: 1, inFlightVersions: 1, inFlightTimes: 3 } },
    });
    const clock = createVirtualClock();
    const ledger: LedgerEntry[] = [];
    const client = createComplianceClient({
      baseUrl: sb.baseUrl,
      apiKey: sb.keys.full,
      clock,
      retry: { maxAttempts: 4 },
      ledger: (e) => ledger.push(e),
    });
    try {
      const faults = (await (await fetch(`${sb.baseUrl}/_sandbox/faults`)).json()) as FaultReport;
      const permanent = await client
        .downloadFile(faults.permanent_failures[0]!, sink)
        .catch((e: unknown) => e);
      expect(permanent).toBeInstanceOf(ApiError);
      expect(permanent).toMatchObject({ code: 'api_error', status: 500, attempts: 1, retryable: false });

      const bad = await client.downloadFile(faults.bad_content_md5[0]!, sink).catch((e: unknown) => e);
      expect(bad).toMatchObject({ code: 'checksum_mismatch', attempts: 4, retryable: true });

      const v = faults.in_flight_versions[0]!;
      // multi-file versions answer 422 unless a ZIP is asked for (§3.15), so ask as the pipeline does
      const r = await client.downloadCodeArtifactVersion(v.artifact_id, v.version_id, sink, {
        multi_file_format: 'zip',
      });
      expect(r.attempts).toBe(4);
      expect(ledger.slice(-4).map((e) => e.status)).toEqual([503, 503, 503, 200]);
    } finally {
      await client.close();
      await sb.close();
    }
  });
});
