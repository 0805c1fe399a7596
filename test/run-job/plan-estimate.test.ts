/**
 * plan → run against the real sandbox over loopback: `plan` leaves plan-estimate.json in the job's
 * state folder (0700/0600 under umask 000, no key in it) and the run's first JSON progress lines
 * carry its totals (source `plan`), later the listing's (source `listing`, the same count); a
 * resumed run gets plan's figures less what the killed run did. `plan` leaves a folder alone that
 * a real second process holds locked, or that holds another spec's work, and `--no-save` writes
 * nothing. A hostile plan-estimate.json (garbage, 10 MB, another spec's, stale, a FIFO) is ignored
 * with a warning naming the file and the cause, and the run still completes.
 */
import { spawn } from 'node:child_process';
import { access, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import type { PlanEstimateFile } from '../../src/plan/plan-estimate.js';
import { runJob, type RunJobOptions } from '../../src/run-job.js';
import { applyOverrides, loadSpecFile } from '../../src/spec/index.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../cli/run-cli.js';
import { spawnCli } from './cli-process.js';
import { harness, instantSleep, type Harness } from './helpers.js';

const CONTENDER = fileURLToPath(new URL('../store/fixtures/lock-contender.ts', import.meta.url));

interface ProgressLine {
  readonly event: string;
  readonly stage: string;
  readonly requests: { sent: number; estimated_total: number | null; source: string | null };
  readonly totals: Record<
    string,
    { done: number; listed: number; total: number | null; source: string | null }
  >;
}

/** A run with JSON progress on a captured stderr: its result, its progress lines, its other lines. */
async function runCaptured(
  h: Harness,
  stateDir: string,
  extra: Partial<RunJobOptions> = {},
): Promise<{ result: Awaited<ReturnType<typeof runJob>>; lines: ProgressLine[]; plain: string[] }> {
  const chunks: string[] = [];
  const result = await runJob({
    specPath: h.specPath,
    stateDir,
    env: h.env,
    sleep: instantSleep,
    progress: 'json',
    stderr: { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream,
    ...extra,
  });
  const all = chunks
    .join('')
    .split('\n')
    .filter((l) => l !== '');
  const lines = all.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ProgressLine);
  return { result, lines, plain: all.filter((l) => !l.startsWith('{')) };
}

const stageLine = (lines: readonly ProgressLine[], stage: string): ProgressLine =>
  lines.find((l) => l.event === 'stage' && l.stage === stage)!;

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('plan → run', () => {
  let h: Harness;
  let sha: string;
  beforeAll(async () => {
    h = await harness({ include: ['directory', 'chats', 'activities'] });
    sha = (await loadSpecFile(h.specPath, { env: h.env })).sha256;
  });
  afterAll(async () => {
    await h?.close();
  });

  it("plan leaves its estimate 0600 in a 0700 folder under umask 000; the run shows its totals, then the listing's", async () => {
    const state = join(h.dir, 'state-a');
    const plan = await spawnCli(['plan', h.specPath, '--json', '--state-dir', state], {
      env: h.env,
      umask: '000',
    }).exited;
    expect(plan.code, plan.stderr).toBe(EXIT.ok);
    const file = join(state, 'test-job', 'plan-estimate.json');
    expect([await modeOf(state), await modeOf(join(state, 'test-job')), await modeOf(file)]).toEqual([
      0o700, 0o700, 0o600,
    ]);
    expect(await readdir(join(state, 'test-job'))).toEqual(['plan-estimate.json']);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(h.env['TEST_COMPLIANCE_KEY']);
    const estimate = JSON.parse(text) as PlanEstimateFile;
    const printed = JSON.parse(plan.stdout) as { estimate: { requests: number } };
    expect(estimate.spec_sha256).toBe(sha);
    expect(estimate.requests.total).toBe(printed.estimate.requests);
    expect(Object.keys(estimate.listed).sort()).toEqual(['activities', 'chats']);

    const { result, lines } = await runCaptured(h, state);
    expect(result.exitCode).toBe(EXIT.ok);
    for (const stage of ['preflight', 'collect']) {
      const first = stageLine(lines, stage);
      expect(first.requests).toMatchObject({ estimated_total: estimate.requests.total, source: 'plan' });
      expect(first.totals).toEqual({
        chats: { done: 0, listed: 0, total: estimate.listed['chats'], source: 'plan' },
        activities: { done: 0, listed: 0, total: estimate.listed['activities'], source: 'plan' },
      });
    }
    const later = stageLine(lines, 'quiesce');
    expect(later.requests.source).toBe('listing');
    for (const kind of ['chats', 'activities'])
      expect(later.totals[kind]).toEqual({
        done: estimate.listed[kind],
        listed: estimate.listed[kind],
        total: estimate.listed[kind],
        source: 'listing',
      });
    // shipped and verified: the estimate was this export's, the next run is not counted by it
    await expect(access(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('plan leaves a folder alone while a real second process holds its lock, and says so', async () => {
    const state = join(h.dir, 'state-b');
    const dir = join(state, 'test-job');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const go = join(h.dir, 'go-b');
    const release = join(h.dir, 'release-b');
    await writeFile(go, '');
    const holder = spawn(process.execPath, ['--import', 'tsx', CONTENDER, join(dir, 'lock'), go, release], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((r) => holder.on('close', () => r()));
    try {
      await new Promise<void>((resolve) => {
        let out = '';
        holder.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('took\n')) resolve();
        });
      });
      const held = await runCli(['plan', h.specPath, '--state-dir', state], { env: h.env });
      expect(held.code).toBe(EXIT.ok);
      const said = held.err
        .split('\n')
        .find((l) => l.startsWith('compliance-export: plan estimate not saved: '));
      expect(said).toContain(join(dir, 'lock'));
      expect(said).toContain(`pid ${holder.pid}`);
      expect(await readdir(dir)).toEqual(['lock']);
    } finally {
      await writeFile(release, '');
      await exited;
    }
    const free = await runCli(['plan', h.specPath, '--state-dir', state], { env: h.env });
    expect([free.code, free.err]).toEqual([EXIT.ok, '']);
    expect(await readdir(dir)).toEqual(['plan-estimate.json']);
  });

  it("plan leaves a folder holding another spec's work alone; --no-save writes nothing", async () => {
    const state = join(h.dir, 'state-c');
    const dir = join(state, 'test-job');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const bound = {
      format: 1,
      job: 'test-job',
      spec_sha256: 'cd'.repeat(32),
      created_at: '2026-01-01T00:00:00Z',
    };
    await writeFile(join(dir, 'state.json'), JSON.stringify(bound));
    await writeFile(join(dir, 'journal.jsonl'), '{"type":"meta"}\n');
    const other = await runCli(['plan', h.specPath, '--state-dir', state], { env: h.env });
    expect(other.code).toBe(EXIT.ok);
    expect(other.err).toMatch(/^compliance-export: plan estimate not saved: .*different job spec/mu);
    expect((await readdir(dir)).sort()).toEqual(['journal.jsonl', 'state.json']);

    const none = join(h.dir, 'state-none');
    const skipped = await runCli(['plan', h.specPath, '--no-save', '--state-dir', none], { env: h.env });
    expect([skipped.code, skipped.err]).toEqual([EXIT.ok, '']);
    await expect(access(none)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a hostile plan-estimate.json is ignored with a warning naming the file and the cause; the run completes', async () => {
    // Each case ships to its own destination: two runs whose cuts fall in the same second share a
    // run id, and the second would rightly refuse to overwrite the first's archive.
    const loaded = await loadSpecFile(h.specPath, { env: h.env });
    let caseSha = sha;
    const valid = (createdAt: string, spec = caseSha): PlanEstimateFile => ({
      format: 1,
      job: 'test-job',
      spec_sha256: spec,
      created_at: createdAt,
      as_of_cut: createdAt,
      listed: { chats: 1, activities: 1 },
      requests: { total: 10, by_kind: { chats: 5 }, lower_bound: false },
    });
    const cases: { name: string; write: (path: string) => Promise<void>; cause: RegExp }[] = [
      { name: 'garbage', write: (p) => writeFile(p, '\u0000\u00ff{"format":1'), cause: /^not JSON$/u },
      {
        name: 'huge',
        write: (p) => writeFile(p, Buffer.alloc(10 * 1024 * 1024, 0x20)),
        cause: /^10485760 bytes, more than/u,
      },
      {
        name: 'other-spec',
        write: (p) => writeFile(p, JSON.stringify(valid(new Date().toISOString(), 'cd'.repeat(32)))),
        cause: /^made for another spec/u,
      },
      {
        name: 'stale',
        write: (p) =>
          writeFile(p, JSON.stringify(valid(new Date(Date.now() - 8 * 86_400_000).toISOString()))),
        cause: /^stale: /u,
      },
      {
        name: 'fifo',
        write: async (p) => {
          const made = spawn('mkfifo', [p]);
          await new Promise<void>((r) => made.on('close', () => r()));
        },
        cause: /^not a regular file$/u,
      },
      {
        // Not removable after the ship either (unlink: EISDIR): said, and the shipped run still ends ok.
        name: 'folder',
        write: async (p) => {
          await mkdir(p);
          await writeFile(join(p, 'inside'), 'x');
        },
        cause: /^not a regular file$/u,
      },
    ];
    for (const c of cases) {
      const state = join(h.dir, `state-${c.name}`);
      const overrides = { destination_uri: join(h.dir, `out-${c.name}`) };
      caseSha = applyOverrides(loaded, overrides, { env: h.env }).sha256;
      const file = join(state, 'test-job', 'plan-estimate.json');
      await mkdir(join(state, 'test-job'), { recursive: true, mode: 0o700 });
      await c.write(file);
      const { result, lines, plain } = await runCaptured(h, state, { overrides });
      expect([result.exitCode, result.archive !== null], c.name).toEqual([EXIT.ok, true]);
      const warnings = plain.filter((l) => l.startsWith(`compliance-export: ignoring ${file}: `));
      expect(warnings, c.name).toHaveLength(1);
      expect(warnings[0]!.slice(`compliance-export: ignoring ${file}: `.length), c.name).toMatch(c.cause);
      expect(
        lines.filter((l) => l.requests.source === 'plan'),
        c.name,
      ).toEqual([]);
      expect(stageLine(lines, 'preflight').totals, c.name).toEqual({});
      const notRemoved = plain.filter((l) => l.startsWith(`compliance-export: could not remove ${file} (`));
      expect(notRemoved, c.name).toHaveLength(c.name === 'folder' ? 1 : 0);
    }
  }, 180_000);
});

describe('plan → a resumed run', () => {
  let h: Harness;
  beforeAll(async () => {
    // latency on, so the interrupt lands mid-collection
    h = await harness({
      include: ['chats'],
      scenario: { faults: { latency: { minMs: 100, maxMs: 200 } } },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("takes what the interrupted run did off plan's figures", async () => {
    const state = join(h.dir, 'state');
    const plan = await runCli(['plan', h.specPath, '--state-dir', state], { env: h.env });
    expect([plan.code, plan.err]).toEqual([EXIT.ok, '']);
    const estimate = JSON.parse(
      await readFile(join(state, 'test-job', 'plan-estimate.json'), 'utf8'),
    ) as PlanEstimateFile;
    const controller = new AbortController();
    const journal = join(state, 'test-job', 'journal.jsonl');
    const watch = setInterval(() => {
      readFile(journal, 'utf8').then(
        (text) => {
          if ((text.match(/"type":"record","kind":"chat"/gu) ?? []).length >= 10) controller.abort();
        },
        () => undefined,
      );
    }, 10);
    const first = await runCaptured(h, state, { stopAfter: 'quiesce', signal: controller.signal }).finally(
      () => clearInterval(watch),
    );
    expect(first.result.status).toBe('interrupted');
    const ledger = (await readFile(join(state, 'test-job', 'requests.jsonl'), 'utf8')).split('\n').length - 1;
    const store = await openStore({
      stateDir: state,
      jobName: 'test-job',
      specSha256: estimate.spec_sha256,
    });
    const held = store.idsOf('chat').length;
    await store.close();
    expect(held).toBeGreaterThanOrEqual(10);
    expect(held).toBeLessThan(estimate.listed['chats']!);

    const resumed = await runCaptured(h, state, { stopAfter: 'quiesce' });
    expect([resumed.result.exitCode, resumed.result.resumed]).toEqual([EXIT.ok, true]);
    const start = stageLine(resumed.lines, 'preflight');
    expect(start.totals['chats']).toEqual({
      done: 0,
      listed: 0,
      total: estimate.listed['chats']! - held,
      source: 'plan',
    });
    expect(start.requests.source).toBe('plan');
    expect(start.requests.estimated_total).toBe(estimate.requests.total - ledger);
  });
});
