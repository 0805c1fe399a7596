/**
 * A real snapshot chain against the sandbox over loopback: a full snapshot, live mutations (a new
 * chat, a new message, a new file, a new project), an incremental snapshot (a delta), and a
 * full export of another job with the same scope taken at the same cut (both runs' clocks pinned to
 * one instant). `materialize` of the delta must give the full export's payload manifest byte for
 * byte, read from both archives of the chain; `verify --chain` must pass the delta and name the
 * base when it is gone.
 *
 * One request at a time: a file two chats share records as its parent whichever chat reached it
 * first (src/store/types.ts RecordInput.parent), and the review copy's families follow the parent,
 * so two full exports agree on the review copy only when they fetch in the same order.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type RunJobResult } from '../../src/run-job.js';
import { runCli } from '../cli/run-cli.js';
import { readZip } from '../produce/documents/archive-reader.js';
import { fastClock, harness, instantSleep, type Harness } from '../run-job/helpers.js';

let h: Harness;
let fullSpec: string;
let base: RunJobResult;
let delta: RunJobResult;
let fullAtCut: RunJobResult;

const location = (r: RunJobResult): string => {
  if (r.archive === null) throw new Error(`no archive (exit ${r.exitCode})`);
  return r.archive.location;
};

async function run(specPath: string, at?: Date): Promise<RunJobResult> {
  return runJob({
    specPath,
    env: h.env,
    progress: 'off',
    sleep: instantSleep,
    client: { clock: fastClock },
    stderr: { write: () => true } as unknown as NodeJS.WritableStream,
    ...(at === undefined ? {} : { now: () => at }),
  });
}

beforeAll(async () => {
  h = await harness({ extra: 'snapshot:\n  mode: incremental\n' });
  // The harness's max_concurrency (8): fetch order varies, the review copy must not.
  const yaml = await readFile(h.specPath, 'utf8');
  // Another job with the same scope, full, its own destination and state.
  fullSpec = join(h.dir, 'full.yaml');
  await writeFile(
    fullSpec,
    yaml
      .replace('mode: incremental', 'mode: full')
      .replace(`uri: ${join(h.dir, 'out')}`, `uri: ${join(h.dir, 'out-full')}`)
      .replace(`state_dir: ${join(h.dir, 'state')}`, `state_dir: ${join(h.dir, 'state-full')}`),
  );
  base = await run(h.specPath);
  // Deletions included: a soft-deleted chat takes its files with it, shared ones too, so a chat
  // whose listing did not move may read differently (the delta fetches such chats again).
  for (const kind of [
    'new_chat',
    'new_message',
    'new_file',
    'new_project',
    'soft_delete_chat',
    'soft_delete_chat',
    'hard_delete_chat',
    'new_code_artifact_version',
  ]) {
    const res = await fetch(`${h.sandbox.baseUrl}/_sandbox/mutate?kind=${kind}`, { method: 'POST' });
    expect(res.status).toBe(200);
  }
  // A cut after every mutation (the spec's indexing lag is 1 s), the same for both runs.
  await new Promise((r) => setTimeout(r, 2_100));
  const at = new Date();
  delta = await run(h.specPath, at);
  fullAtCut = await run(fullSpec, at);
}, 240_000);
afterAll(async () => {
  await h?.close();
});

describe('materialize of a delta', () => {
  it('gives the payload manifest of a full export at the same cut, from both archives', async () => {
    expect(delta.asOfCut).toBe(fullAtCut.asOfCut);
    const deltaEntries = await readZip(location(delta));
    const info = deltaEntries.get('bag-info.txt')!.toString('utf8');
    const baseRun = basename(dirname(location(base)));
    const deltaRun = basename(dirname(location(delta)));
    expect(info).toContain('Snapshot-Type: delta\n');
    expect(info).toContain(`Snapshot-Previous: ${baseRun}\n`);
    expect([...deltaEntries.keys()].some((p) => p.startsWith('data/review/'))).toBe(false);

    const out = join(h.dir, 'materialized');
    const r = await runCli(['materialize', location(delta), '--out', out]);
    expect(r.code, r.err).toBe(0);
    const path = join(out, `test-job-${deltaRun}-full.zip`);
    expect(r.out).toBe(`${path}\n`);
    const rebuilt = await readZip(path);
    const full = await readZip(location(fullAtCut));
    const lines = (m: Map<string, Buffer>): string[] =>
      m.get('manifest-sha256.txt')!.toString('utf8').split('\n');
    const [mine, theirs] = [lines(rebuilt), lines(full)];
    // Named line by line first (a difference says which file), then byte for byte.
    expect(mine.filter((l) => !theirs.includes(l))).toEqual(theirs.filter((l) => !mine.includes(l)));
    expect(mine.join('\n')).toBe(theirs.join('\n'));
    expect(rebuilt.get('bag-info.txt')!.toString('utf8')).toContain(
      `Snapshot-Materialized-From: ${baseRun},${deltaRun}\n`,
    );
    expect(r.err).toContain('2 archive(s) read');
  });

  it('verify --chain passes the delta, and names the base once it is gone', async () => {
    const ok = await runCli(['verify', location(delta), '--chain', '--json']);
    expect(ok.code, ok.out).toBe(0);
    const baseRun = basename(dirname(location(base)));
    const report = JSON.parse(ok.out) as { chain: { archives: string[] } };
    expect(report.chain.archives).toEqual([baseRun, basename(dirname(location(delta)))]);

    await rename(location(base), `${location(base)}.gone`);
    const v = await runCli(['verify', location(delta), '--chain', '--json']);
    expect(v.code).toBe(1);
    const broken = JSON.parse(v.out) as { problems: { code: string; path?: string }[] };
    expect(broken.problems.map((p) => [p.code, p.path])).toEqual([['chain_missing', location(base)]]);
    const m = await runCli(['materialize', location(delta), '--out', join(h.dir, 'after-loss')]);
    expect(m.code).toBe(1);
    expect(m.err).toContain(`chain_broken: archive ${baseRun} `);
  });
});
