/**
 * A snapshot series end to end, against the small sandbox over loopback on one virtual clock:
 * a first snapshot (no base at the destination: full), live mutations, then an incremental
 * snapshot from an EMPTY state folder (the destination is the base), and a full export taken at
 * the same moment. The delta holds only what changed, names what is gone, and its inventory is the
 * full export's state: the same records with the same bytes (read back from the zips by yauzl).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '@compliance-export/sandbox';
import { CustodyLog } from '../../src/archive/custody-log.js';
import { planJob } from '../../src/plan-job.js';
import { LocalSink } from '../../src/sink/local-sink.js';
import { prepareSnapshot, SNAPSHOT_PLAN_META } from '../../src/snapshot/prepare-snapshot.js';
import { loadSpecFile } from '../../src/spec/index.js';
import type { LoadedSpec, ResolvedJobSpec } from '../../src/spec/types.js';
import { openStore } from '../../src/store/index.js';
import type { ExportPlan } from '../../src/plan/types.js';
import { runJob, type RunJobResult } from '../../src/run-job.js';
import type { InventoryLine, InventoryRecord } from '../../src/snapshot/types.js';
import { readZip, manifestOf, parseCsv } from '../produce/documents/archive-reader.js';
import { ALL_KINDS, instantSleep } from '../run-job/helpers.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const MINUTE = 60_000;

let sandbox: RunningSandbox;
let dir: string;
let clock: number;
let env: NodeJS.ProcessEnv;
const stderr: string[] = [];
let first: RunJobResult;
let second: RunJobResult;
let reference: RunJobResult;
let delta: Map<string, Buffer>;
let base: Map<string, Buffer>;
let full: Map<string, Buffer>;
let firstRequests: number;
let secondRequests: number;
let plan: ExportPlan;
const mutated: { kind: string; id: string; change: string }[] = [];

function spec(name: string, out: string, snapshot: boolean): string {
  return `version: 1
name: ${name}
source:
  base_url: ${sandbox.baseUrl}
  api_key_env: TEST_COMPLIANCE_KEY
  requests_per_minute: 60000
  allow_above_documented_limit: true
  max_concurrency: 8
scope:
  organizations: all
  custodians: all
  include: [${ALL_KINDS.join(', ')}]
consistency:
  indexing_lag: 1s
  overlap: 10s
  quiescence:
    interval: 1s
    max_passes: 2
destination:
  uri: ${out}
state_dir: ${join(dir, 'state')}
${snapshot ? 'snapshot:\n  mode: incremental\n' : ''}`;
}

/** A stream that keeps what is written to it in `into`. */
function collector(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _e, done) {
      into.push(chunk.toString());
      done();
    },
  });
}

async function run(specPath: string, stateDir: string, stopAfter?: 'quiesce'): Promise<RunJobResult> {
  return runJob({
    specPath,
    stateDir,
    ...(stopAfter === undefined ? {} : { stopAfter }),
    env,
    now: () => new Date(clock),
    sleep: instantSleep,
    progress: 'off',
    stderr: collector(stderr),
  });
}

async function mutate(kind: string): Promise<void> {
  const res = await fetch(`${sandbox.baseUrl}/_sandbox/mutate?kind=${kind}`, { method: 'POST' });
  const changes = (await res.json()) as { kind: string; id: string; change: string }[];
  mutated.push(...changes);
}

function inventory(entries: Map<string, Buffer>): InventoryLine[] {
  return entries
    .get('reports/inventory.jsonl')!
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as InventoryLine);
}

const records = (lines: InventoryLine[]): InventoryRecord[] =>
  lines.filter((l): l is InventoryRecord => l.type === 'record');

beforeAll(async () => {
  clock = Date.now();
  sandbox = await startSandbox({ port: 0, seed: 7, profile: 'small', rpm: 0, now: () => clock });
  dir = await mkdtemp(join(tmpdir(), 'snapshot-'));
  env = { ...process.env, TEST_COMPLIANCE_KEY: sandbox.keys.full };
  const series = join(dir, 'series.yaml');
  await writeFile(series, spec('nightly', join(dir, 'out'), true));
  const once = join(dir, 'once.yaml');
  await writeFile(once, spec('nightly', join(dir, 'reference'), false));

  first = await run(series, join(dir, 'state-1'));
  firstRequests = first.requests;
  clock += 10 * MINUTE;
  for (const kind of [
    'new_chat',
    'new_chat',
    'new_message',
    'new_file',
    'soft_delete_chat',
    'hard_delete_chat',
  ])
    await mutate(kind);
  await mutate('new_code_artifact_version');
  clock += 10 * MINUTE;
  ({ plan } = await planJob({ specPath: series, env, now: () => new Date(clock) }));
  // Stopped after collection and run again on the same state folder: it resumes, seeding nothing twice.
  const collected = await run(series, join(dir, 'state-2'), 'quiesce');
  secondRequests = collected.requests;
  second = await run(series, join(dir, 'state-2'));
  secondRequests += second.requests;
  reference = await run(once, join(dir, 'state-3'));
  base = await readZip(first.archive!.location);
  delta = await readZip(second.archive!.location);
  full = await readZip(reference.archive!.location);
}, 240_000);

afterAll(async () => {
  await sandbox?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('an incremental snapshot', () => {
  it('is planned from the base at the destination: only what changed is counted', () => {
    const runId = /(\d{8}T\d{6}Z)\.zip$/u.exec(first.archive!.location)![1];
    expect(plan.snapshotBase).toMatchObject({ runId });
    expect(plan.snapshotBase!.unchanged).toBeGreaterThan(0);
    const newChats = new Set(
      mutated.filter((m) => m.kind === 'chat' && m.change !== 'deleted').map((m) => m.id),
    );
    expect(plan.totals.chats ?? 0).toBeLessThanOrEqual(newChats.size + 2); // + chats in the overlap
    expect(plan.estimate.requests).toBeLessThan(firstRequests * 0.5);
  });

  it('takes the first snapshot in full and the next as a delta on it', () => {
    const info = (entries: Map<string, Buffer>): string => entries.get('bag-info.txt')!.toString('utf8');
    expect(info(base)).toMatch(/^Snapshot-Type: full$/mu);
    expect(info(delta)).toMatch(/^Snapshot-Type: delta$/mu);
    expect(info(delta)).toContain(
      `Snapshot-Previous: ${first.archive!.location.match(/(\d{8}T\d{6}Z)\.zip$/u)![1]}`,
    );
    expect(second.asOfCut).toBe(reference.asOfCut);
    expect(stderr.join('')).toContain(
      'taking a full snapshot: no archive of this job at the destination yet',
    );
  });

  it('spends a small part of the full snapshot’s requests', () => {
    expect(second.resumed).toBe(true);
    expect(secondRequests).toBeLessThan(firstRequests * 0.5);
    expect(reference.requests).toBeGreaterThan(secondRequests * 2);
  });

  it('ships only the bytes no earlier archive holds, and no review copy', () => {
    const deltaPaths = [...manifestOf(delta).keys()];
    expect(deltaPaths.some((p) => p.startsWith('data/review/'))).toBe(false);
    const changedChats = new Set(mutated.filter((m) => m.kind === 'chat').map((m) => m.id));
    const shippedChats = deltaPaths.filter((p) => p.startsWith('data/chats/'));
    // Every shipped chat is one the mutations touched (or one refetched within the overlap).
    for (const p of shippedChats) expect([...changedChats].some((id) => p.includes(id))).toBe(true);
    const baseManifest = manifestOf(base);
    for (const [path, hash] of manifestOf(delta)) {
      // Data sets (directory, settings, activities) are collected and shipped whole by every snapshot.
      if (path.startsWith('data/directory/') || path.startsWith('data/activities/')) continue;
      expect(baseManifest.get(path), path).not.toBe(hash);
    }
  });

  it('has an inventory that is the full export’s state, each row resolving to bytes in the chain', () => {
    const inv = records(inventory(delta));
    const fullManifest = manifestOf(full);
    const runIdOf = (loc: string): string => /(\d{8}T\d{6}Z)\.zip$/u.exec(loc)![1]!;
    const archives = new Map([
      [runIdOf(first.archive!.location), manifestOf(base)],
      [runIdOf(second.archive!.location), manifestOf(delta)],
    ]);
    const paths = new Set<string>();
    for (const r of inv) {
      for (const f of r.files) {
        paths.add(`data/${f.path}`);
        expect(archives.get(r.heldBy)?.get(`data/${f.path}`), `${r.kind} ${r.id} in ${r.heldBy}`).toBe(
          f.sha256,
        );
        expect(fullManifest.get(`data/${f.path}`), `${r.kind} ${r.id} in the full export`).toBe(f.sha256);
      }
      if (r.row !== null) paths.add(`data/${r.row.aggregate}`);
    }
    const fullPaths = [...fullManifest.keys()].filter((p) => !p.startsWith('data/review/'));
    expect([...paths].sort()).toEqual(fullPaths.sort());
    // Aggregates: each row's line hash, in the order of the file's lines.
    const agg = inv.filter((r) => r.row?.aggregate === 'directory/users.jsonl');
    const lines = delta
      .get('data/directory/users.jsonl')!
      .toString('utf8')
      .split(/(?<=\n)/u);
    expect(agg.map((r) => r.row!.sha256)).toEqual(lines.map((l) => sha256(Buffer.from(l, 'utf8'))));
  });

  it('names what is gone since the previous snapshot, and drops it from the inventory', () => {
    const gone = mutated.filter((m) => m.change === 'hard_deleted' || m.change === 'deleted');
    const drift = parseCsv(delta.get('reports/drift.csv')!).filter(
      (r) => r['change'] === 'deleted_since_previous',
    );
    const inv = new Set(records(inventory(delta)).map((r) => `${r.kind}:${r.id}`));
    expect(drift.length).toBeGreaterThan(0);
    for (const row of drift) expect(inv.has(`${row['kind']}:${row['id']}`)).toBe(false);
    expect(gone.length).toBeGreaterThan(0);
    expect(second.drift).toBeGreaterThanOrEqual(drift.length);
  });
});

describe('the chain a delta stands on', () => {
  const runIdOf = (loc: string): string => /(\d{8}T\d{6}Z)\.zip$/u.exec(loc)![1]!;

  /**
   * The snapshot step alone, on a fresh state folder, against the destination as the first two runs
   * left it: what it decided, what it said, and the custody log it wrote.
   */
  async function prepareOn(
    name: string,
    spec: (loaded: LoadedSpec) => ResolvedJobSpec,
    sink: LocalSink = new LocalSink(join(dir, 'out')),
  ): Promise<{ plan: unknown; seeded: boolean; said: string; custody: string }> {
    const loaded = await loadSpecFile(join(dir, 'series.yaml'), { env });
    const store = await openStore({
      stateDir: join(dir, `state-${name}`),
      jobName: 'nightly',
      specSha256: loaded.sha256,
    });
    const custody = await CustodyLog.open(join(dir, `custody-${name}.jsonl`));
    const said: string[] = [];
    try {
      const run = { loaded, sink, store, custody, now: () => new Date(clock), stderr: collector(said) };
      await prepareSnapshot(run, spec(loaded));
      return {
        plan: store.meta(SNAPSHOT_PLAN_META),
        seeded: store.seeded,
        said: said.join(''),
        custody: await readFile(join(dir, `custody-${name}.jsonl`), 'utf8'),
      };
    } finally {
      await store.close();
      await custody.close();
    }
  }

  it('is not extended past snapshot.max_chain: a delta on a delta would depend on 3 archives', async () => {
    const got = await prepareOn('chain', (l) => ({
      ...l.spec,
      snapshot: { mode: 'incremental', max_chain: 2 },
    }));
    expect(got.plan).toBe('full');
    expect(got.seeded).toBe(false);
    expect(got.said).toContain('a delta would depend on 3 archives, more than snapshot.max_chain (2)');
  });

  it('is not extended when an archive the base refers to would expire before the new snapshot', async () => {
    const local = new LocalSink(join(dir, 'out'));
    // The destination as it is, but the first archive's lock ending in a week.
    const sink = Object.assign(Object.create(local) as LocalSink, {
      lockOf: async (ref: { runId: string }) =>
        ref.runId === runIdOf(first.archive!.location)
          ? { retainUntil: new Date(clock + 7 * 86_400_000).toISOString(), legalHold: false }
          : { retainUntil: new Date(clock + 90 * 86_400_000).toISOString(), legalHold: false },
    });
    const lock = { mode: 'COMPLIANCE' as const, retain_days: 30, legal_hold: false };
    const got = await prepareOn(
      'lock',
      (l) => ({ ...l.spec, destination: { ...l.spec.destination, object_lock: lock } }),
      sink,
    );
    expect(got.plan).toBe('full');
    expect(got.seeded).toBe(false);
    expect(got.said).toContain(
      `archive ${runIdOf(first.archive!.location)}, which the base refers to, is retained until`,
    );
    expect(got.custody).toContain('"event":"snapshot"');
  });

  it('takes a full snapshot when an archive the base refers to is gone from the destination', async () => {
    const firstId = runIdOf(first.archive!.location);
    await rename(join(dir, 'out', 'nightly', firstId), join(dir, 'moved-away'));
    clock += 10 * MINUTE;
    const before = stderr.length;
    const third = await run(join(dir, 'series.yaml'), join(dir, 'state-4'));
    expect(stderr.slice(before).join('')).toContain(`refers to ${firstId}, no longer at the destination`);
    const entries = await readZip(third.archive!.location);
    expect(entries.get('bag-info.txt')!.toString('utf8')).toMatch(/^Snapshot-Type: full$/mu);
    expect([...manifestOf(entries).keys()].some((p) => p.startsWith('data/review/'))).toBe(true);
  });
});
