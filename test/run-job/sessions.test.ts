/**
 * The sessions stage against the sandbox's session adversity (compliance-api.md §3.16, §4.2, §5.5,
 * §5.9): a local session that gains messages during the export is fetched again by its
 * `updated_at`; local sessions not available, a retention-override 503 and a pending remote
 * session each become one retryable gap, and a rerun against the healed tenant closes them.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { runIdFromCut } from '../../src/archive/bag-input.js';
import { runJob } from '../../src/run-job.js';
import { type StagingStore } from '../../src/store/index.js';
import { startSandbox, type SandboxStats } from '@compliance-export/sandbox';
import { fastClock, harness, type Harness, openJobStore as open } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close().catch(() => undefined);
  h = undefined;
});

const rows = (store: StagingStore) =>
  store
    .exceptions()
    .map((e) => [e.kind, e.id, e.reason, e.retryable])
    .sort();

/** The small profile's one pending remote session, as the list shows it. */
async function pendingRemoteId(h: Harness): Promise<string> {
  const res = await fetch(`${h.sandbox.baseUrl}/v1/compliance/apps/sessions/remote?limit=500`, {
    headers: { 'x-api-key': h.sandbox.keys.full },
  });
  const body = (await res.json()) as { data: { id: string; status: string }[] };
  const pending = body.data.filter((s) => s.status === 'pending').map((s) => s.id);
  expect(pending).toHaveLength(1);
  return pending[0]!;
}

const options = (h: Harness) => ({
  specPath: h.specPath,
  env: h.env,
  progress: 'off' as const,
  client: { clock: fastClock },
});

/** Restart the same tenant on the same address without the faults, run `body`, stop it. */
async function healed(h: Harness, body: (baseUrl: string) => Promise<void>): Promise<void> {
  const port = Number(new URL(h.sandbox.baseUrl).port);
  await h.sandbox.close();
  const sb = await startSandbox({ port, seed: 7, profile: 'small', rpm: 0 });
  try {
    await body(sb.baseUrl);
  } finally {
    await sb.close();
  }
}

describe('a local session that gains messages during the export', () => {
  it('is fetched again in pass 2 by its updated_at: the archive holds the new message', async () => {
    h = await harness({ include: ['sessions'] });
    const base = h.sandbox.baseUrl;
    const changes: { kind: string; id: string; at: string }[] = [];
    let sleeps = 0;
    const result = await runJob({
      ...options(h),
      sleep: async () => {
        sleeps += 1;
        if (sleeps === 1) {
          const res = await fetch(`${base}/_sandbox/mutate?kind=new_session_message`, { method: 'POST' });
          changes.push(...((await res.json()) as typeof changes));
        }
      },
    });
    expect(changes.map((c) => c.kind)).toEqual(['session']);
    const { id, at } = changes[0]!;
    const pending = await pendingRemoteId(h);
    expect(result.quiescence).toEqual({ passes: 2, settled: true });
    const now = (await h.truth(new Date().toISOString())).sessions.local.find((s) => s.id === id)!;
    const cut = (await h.truth(result.asOfCut!)).sessions.local.find((s) => s.id === id)!;
    expect(now.message_ids.length).toBe(cut.message_ids.length + 1);

    // The sealed archive holds the session's latest transcript, the new message included.
    const entry = `test-job-${runIdFromCut(result.asOfCut!)}/data/sessions/local/${id}.json`;
    const doc = JSON.parse(
      execFileSync('unzip', ['-p', result.archive!.location, entry]).toString('utf8'),
    ) as {
      session: { id: string; updated_at: string };
      messages: { id: string; created_at: string }[];
    };
    expect([doc.session.id, doc.session.updated_at]).toEqual([id, at]);
    expect(doc.messages.map((m) => m.id)).toEqual(now.message_ids);

    const store = await open(h);
    expect(store.status('session', `local/${id}`).updatedAt).toBe(at);
    const drift = store.driftOf('session', `local/${id}`)!;
    expect([drift.change, drift.afterSha256]).toEqual([
      'updated_after_cut',
      store.status('session', `local/${id}`).hash,
    ]);
    expect(drift.beforeSha256).not.toBe(drift.afterSha256);
    // The pending remote session is the one gap; no request was spent on its transcript.
    expect(rows(store)).toEqual([['session', `remote/${pending}`, 'session_pending', true]]);
    await store.close();
    const stats = (await (await fetch(`${base}/_sandbox/stats`)).json()) as SandboxStats;
    const transcripts =
      stats.byRoute['/v1/compliance/apps/sessions/remote/{claude_remote_session_id}/messages'];
    expect(Object.keys(transcripts ?? {})).toEqual(['200']);
  });
});

describe('session answers that mean "not now"', () => {
  it('local sessions not available: one retryable gap for the local listing; a rerun lists them', async () => {
    h = await harness({ include: ['sessions'], scenario: { faults: { localSessionsUnavailable: true } } });
    const first = await runJob({ ...options(h), sleep: async () => undefined, stopAfter: 'quiesce' });
    expect(first.exitCode).toBe(3);
    const pending = await pendingRemoteId(h);
    const truth = await h.truth(first.asOfCut!);
    let store = await open(h);
    expect(rows(store)).toEqual([
      ['session', 'listing:sessions:local', 'content_unavailable', true],
      ['session', `remote/${pending}`, 'session_pending', true],
    ]);
    expect(store.exception('session', 'listing:sessions:local')!.httpStatus).toBe(404);
    expect(store.idsOf('session').sort()).toEqual(truth.sessions.remote.map((s) => `remote/${s.id}`).sort());
    await store.close();

    await healed(h, async () => {
      const second = await runJob({ ...options(h!), sleep: async () => undefined, stopAfter: 'quiesce' });
      expect(second.exitCode).toBe(3);
      store = await open(h!);
      expect(rows(store)).toEqual([['session', `remote/${pending}`, 'session_pending', true]]);
      expect(store.idsOf('session').sort()).toEqual(
        [
          ...truth.sessions.local.map((s) => `local/${s.id}`),
          ...truth.sessions.remote.map((s) => `remote/${s.id}`),
        ].sort(),
      );
      await store.close();
    });
  });

  it('retention overrides not evaluable (503): that session is a retryable gap, the rest is captured', async () => {
    h = await harness({ include: ['sessions'], scenario: { faults: { retentionOverrideSessions: 1 } } });
    const first = await runJob({ ...options(h), sleep: async () => undefined, stopAfter: 'quiesce' });
    expect(first.exitCode).toBe(3);
    const faults = (await (await fetch(`${h.sandbox.baseUrl}/_sandbox/faults`)).json()) as {
      retention_override_sessions: string[];
    };
    const [skipped] = faults.retention_override_sessions;
    const pending = await pendingRemoteId(h);
    const truth = await h.truth(first.asOfCut!);
    let store = await open(h);
    expect(rows(store)).toEqual([
      ['session', `local/${skipped}`, 'content_unavailable', true],
      ['session', `remote/${pending}`, 'session_pending', true],
    ]);
    expect(store.exception('session', `local/${skipped}`)!.httpStatus).toBe(503);
    const all = [
      ...truth.sessions.local.map((s) => `local/${s.id}`),
      ...truth.sessions.remote.map((s) => `remote/${s.id}`),
    ].sort();
    expect(store.idsOf('session').sort()).toEqual(all.filter((id) => id !== `local/${skipped}`));
    await store.close();

    await healed(h, async () => {
      await runJob({ ...options(h!), sleep: async () => undefined, stopAfter: 'quiesce' });
      store = await open(h!);
      expect(rows(store)).toEqual([['session', `remote/${pending}`, 'session_pending', true]]);
      expect(store.idsOf('session').sort()).toEqual(all);
      await store.close();
    });
  });
});
