/**
 * SIGTERM after collection: at 100,000 chats the review copy takes minutes and the seal as long
 * again, longer than a service manager waits before SIGKILL. A real run sent SIGTERM once the
 * collection is over (as production starts; as the seal starts, where the stop ends it once its
 * reports are rendered, before the destination is touched) stops at a clean checkpoint: exit 143,
 * the resume command, nothing at the destination, no temp files in the state. Rerunning it ships
 * the same payload (its manifest hash) as an uninterrupted run.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJobResult } from '../../src/run-job.js';
import { runJob } from '../../src/run-job.js';
import { spawnCli, specVariant } from './cli-process.js';
import { harness, instantSleep, type Harness } from './helpers.js';

interface CustodyEntry {
  readonly event: string;
  readonly data?: { readonly stage?: string; readonly manifestSha256?: string };
}

async function custody(stateDir: string): Promise<CustodyEntry[]> {
  const text = await readFile(join(stateDir, 'test-job', 'custody.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CustodyEntry);
}

/** Polls the run's custody log until an entry matches (the run is in flight). */
async function custodyReaches(stateDir: string, match: (e: CustodyEntry) => boolean): Promise<void> {
  for (;;) {
    if ((await custody(stateDir)).some(match)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Every file (not folder) under `dir`, relative, sorted; [] when it does not exist. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

const uploaded = (entries: readonly CustodyEntry[]): string[] =>
  entries.filter((e) => e.event === 'upload').map((e) => e.data?.manifestSha256 ?? '');

describe('SIGTERM after collection', () => {
  let h: Harness;
  let cleanManifest: string;
  beforeAll(async () => {
    h = await harness();
    const clean = await runJob({
      specPath: await specVariant(h, 'clean', join(h.dir, 'clean-out')),
      stateDir: join(h.dir, 'clean'),
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
    });
    expect([clean.status, clean.archive?.verified]).toEqual(['complete', true]);
    [cleanManifest] = uploaded(await custody(join(h.dir, 'clean'))) as [string];
    expect(cleanManifest).toMatch(/^[0-9a-f]{64}$/u);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['as production starts', (e: CustodyEntry) => e.event === 'stage_end' && e.data?.stage === 'quiesce'],
    ['as the seal starts', (e: CustodyEntry) => e.event === 'seal'],
  ])(
    '%s: exit 143 at a clean checkpoint; the rerun ships the same payload',
    async (label, when) => {
      const name = label.includes('production') ? 'production' : 'seal';
      const state = join(h.dir, `state-${name}`);
      const out = join(h.dir, `out-${name}`);
      const spec = await specVariant(h, name, out);
      const args = ['run', spec, '--state-dir', state, '--progress', 'off'];
      const first = spawnCli(args, { env: h.env });
      await Promise.race([
        custodyReaches(state, when),
        first.exited.then((e) => {
          throw new Error(`run ended before the signal (code ${e.code}): ${e.stderr}`);
        }),
      ]);
      first.child.kill('SIGTERM');
      const stopped = await first.exited;
      expect([stopped.code, stopped.signal], stopped.stderr).toEqual([143, null]);
      expect(stopped.stderr).toContain(
        `Resume with:\n  compliance-export run ${spec} --state-dir ${state}\n`,
      );
      // Nothing shipped, nothing half-written at the destination or left in the state's temp folder.
      expect(uploaded(await custody(state))).toEqual([]);
      expect(await filesUnder(out)).toEqual([]);
      expect(await filesUnder(join(state, 'test-job', 'tmp'))).toEqual([]);

      const again = await spawnCli([...args, '--json'], { env: h.env }).exited;
      expect(again.code, again.stderr).toBe(0);
      const result = JSON.parse(again.stdout) as RunJobResult;
      expect([result.status, result.resumed, result.archive?.verified]).toEqual(['complete', true, true]);
      expect(uploaded(await custody(state))).toEqual([cleanManifest]);
      expect((await filesUnder(out)).filter((f) => f.endsWith('.zip'))).toHaveLength(1);
    },
    120_000,
  );
});
