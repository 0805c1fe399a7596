/**
 * Full exports against the sandbox with each quirk peers saw from the real API (§7.3) switched
 * on: nothing is lost (the store holds exactly what /_sandbox/truth says existed at the cut) and
 * the requests stay bounded. The client runs on a virtual clock, so backoff and retry-after waits
 * cost no real time; the sandbox keeps real time.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createVirtualClock, type LedgerEntry } from '../../src/api/index.js';
import { runJob } from '../../src/run-job.js';
import { startSandbox, type Scenario } from '@compliance-export/sandbox';
import { loadSpecFile } from '../../src/spec/index.js';
import { currentRecords, openStore } from '../../src/store/index.js';
import { harness, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close().catch(() => undefined);
  h = undefined;
});

const ACTIVITIES = '/v1/compliance/activities';

interface Export {
  ledger: LedgerEntry[];
  /** `kind\tid` of everything held. */
  held: Set<string>;
  /** Store ids of activities. */
  activities: string[];
}

/** A full export (to the end of quiescence); checks it is complete against the truth at its cut. */
async function exportAll(scenario: Scenario): Promise<Export> {
  h = await harness({ scenario });
  const result = await runJob({
    specPath: h.specPath,
    env: h.env,
    sleep: async () => undefined,
    progress: 'off',
    stopAfter: 'quiesce',
    client: { clock: createVirtualClock() },
  });
  expect([result.exitCode, result.exceptions]).toEqual([0, 0]);
  const { sha256 } = await loadSpecFile(h.specPath, { env: h.env });
  const store = await openStore({ stateDir: `${h.dir}/state`, jobName: 'test-job', specSha256: sha256 });
  try {
    const held = new Set<string>();
    for await (const r of currentRecords(store)) held.add(`${r.kind}\t${r.id}`);
    const truth = await h.truth(result.asOfCut!);
    const expected = [
      ...truth.chats.map((c) => `chat\t${c.id}`),
      ...truth.files.map((f) => `file\t${f.id}`),
      ...truth.generated_files.map((f) => `generated_file\t${f.id}`),
      ...truth.chat_artifact_versions.map((v) => `chat_artifact\t${v.id}`),
      ...truth.projects.map((p) => `project\t${p.id}`),
      ...truth.project_documents.map((d) => `project_document\t${d.id}`),
      ...truth.code_artifacts.flatMap((a) => a.versions.map((v) => `code_artifact_version\t${a.id}/${v.id}`)),
      ...truth.activity_ids.map((id) => `activity\t${id}`),
    ];
    expect(expected.filter((k) => !held.has(k))).toEqual([]);
    const activities = store.idsOf('activity');
    expect(activities.sort()).toEqual([...truth.activity_ids].sort());
    const ledger = (await readFile(join(store.dir, 'requests.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerEntry);
    expect(ledger.length).toBe(result.requests);
    return { ledger, held, activities };
  } finally {
    await store.close();
  }
}

/** Activities a page the run asks the feed for. */
const FEED_PAGE = 1_000;

/** Activity-feed walks of the export (the preflight probe, `limit=1`, is not one). */
function feedWalks(ledger: LedgerEntry[]): LedgerEntry[][] {
  const walks: LedgerEntry[][] = [];
  for (const e of ledger) {
    if (e.path !== ACTIVITIES || !e.query.includes(`limit=${FEED_PAGE}`)) continue;
    if (!e.query.includes('after_id=')) walks.push([]);
    walks.at(-1)!.push(e);
  }
  return walks;
}

/** Activities of the world of seed 7 (the harness's) without a backlog. */
async function baseActivities(): Promise<number> {
  const sb = await startSandbox({ seed: 7, profile: 'small', rpm: 0 });
  try {
    const truth = (await (await fetch(`${sb.baseUrl}/_sandbox/truth`)).json()) as { activity_ids: string[] };
    return truth.activity_ids.length;
  } finally {
    await sb.close();
  }
}

describe('activity pages that do not say has_more while more events exist', () => {
  it('false_on_full: gets every event; one confirming request after the full last page', async () => {
    // only full pages (at least two): each says has_more false (a lie but for the last)
    const base = await baseActivities();
    const pages = Math.max(2, Math.ceil(base / FEED_PAGE));
    const { ledger, activities } = await exportAll({
      activities: { backlog: pages * FEED_PAGE - base },
      quirks: { activityHasMore: 'false_on_full' },
    });
    expect(activities).toHaveLength(pages * FEED_PAGE);
    const walks = feedWalks(ledger);
    expect(walks.length).toBeGreaterThanOrEqual(2); // pass 1 and the quiescence pass
    // every full page, then one confirming request that comes back empty
    for (const walk of walks) expect(walk.map((e) => e.status)).toEqual(Array(pages + 1).fill(200));
  });

  it('absent: gets every event; no confirming request after a short last page', async () => {
    const base = await baseActivities();
    const backlog = 1_500;
    expect((base + backlog) % FEED_PAGE).not.toBe(0);
    const { ledger, activities } = await exportAll({
      activities: { backlog },
      quirks: { activityHasMore: 'absent' },
    });
    expect(activities).toHaveLength(base + backlog);
    const walks = feedWalks(ledger);
    expect(walks.length).toBeGreaterThanOrEqual(2);
    // the full pages, then the short last page: the walk stops there
    const pages = Math.ceil((base + backlog) / FEED_PAGE);
    for (const walk of walks) expect(walk.map((e) => e.status)).toEqual(Array(pages).fill(200));
  });
});

/** Attempts per logical request stay few, and failed attempts are a small share of the whole. */
function expectBounded(ledger: LedgerEntry[], status: number): void {
  const failed = ledger.filter((e) => e.outcome === 'retry');
  expect(failed.length).toBeGreaterThan(0); // the knob did fire
  expect(failed.every((e) => e.status === status)).toBe(true);
  expect(ledger.filter((e) => e.outcome === 'error')).toEqual([]);
  expect(failed.length).toBeLessThan(ledger.length * 0.2);
  expect(Math.max(...ledger.map((e) => e.attempt))).toBeLessThanOrEqual(5);
}

describe('429s and retry hints in unusual forms', () => {
  it('retry-after as an HTTP-date: every 429 waited out, nothing lost', async () => {
    const { ledger } = await exportAll({
      faults: { transientRate: 0.05, transientKinds: ['429'] },
      quirks: { retryAfterDate: true },
    });
    expectBounded(ledger, 429);
    // the date names 2 to 3 s after the server's Date header (whole seconds, rounded up)
    const waits = ledger.filter((e) => e.outcome === 'retry').map((e) => e.retry_in_ms!);
    expect(waits.every((ms) => ms >= 2_000 && ms <= 3_000)).toBe(true);
  });

  it('a 429 whose reset is past and retry-after 0: exponential backoff, nothing lost', async () => {
    const { ledger } = await exportAll({
      faults: { transientRate: 0.05, transientKinds: ['429'] },
      quirks: { pastReset: 'zero' },
    });
    expectBounded(ledger, 429);
    expect(ledger.filter((e) => e.outcome === 'retry').every((e) => e.retry_in_ms! >= 1_000)).toBe(true);
  });

  it('x-should-retry: true on a 409: retried with backoff, nothing lost', async () => {
    const { ledger } = await exportAll({ faults: { transientRate: 0.05, transientKinds: ['409'] } });
    expectBounded(ledger, 409);
    expect(ledger.filter((e) => e.outcome === 'retry').every((e) => e.retry_in_ms! >= 1_000)).toBe(true);
  });
});
