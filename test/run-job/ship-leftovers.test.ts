/**
 * A run killed while writing its archive to a local destination leaves a `.partial` temp file
 * (private data) behind. Temp files name their owner, so the next run's preflight removes the
 * dead writer's temp files and the empty run folders of earlier runs of the job, never a live
 * writer's temp or a folder that holds anything, and completes.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_TAG } from '../../src/local-files.js';
import type { RunJobResult } from '../../src/run-job.js';
import { spawnCli } from './cli-process.js';
import { harness, type Harness } from './helpers.js';

const KILLER = fileURLToPath(new URL('./fixtures/kill-while-shipping.ts', import.meta.url));

describe('a kill while shipping to a local destination', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ include: ['directory', 'chats'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('leaves a temp file the next run removes (with empty earlier run folders) before it completes', async () => {
    const state = join(h.dir, 'state');
    const jobDest = join(h.dir, 'out', 'test-job');
    const killed = await new Promise<{ signal: NodeJS.Signals | null; pid: number }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', KILLER, h.specPath, state, jobDest], {
        env: h.env,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('close', (_code, signal) => resolve({ signal, pid: child.pid! }));
    });
    expect(killed.signal).toBe('SIGKILL');
    const [runId] = await readdir(jobDest);
    const runFolder = join(jobDest, runId!);
    const leftover = (await readdir(runFolder)).filter((n) => n.endsWith('.partial'));
    expect(leftover).toHaveLength(1);
    expect(leftover[0]).toContain(`.${HOST_TAG}-${killed.pid}-`);
    expect((await stat(join(runFolder, leftover[0]!))).mode & 0o777).toBe(0o600);

    // Beside it: an empty folder of an earlier run, one that holds a file, and the temp file of a
    // live writer (this test process).
    await mkdir(join(jobDest, '20200101T000000Z'));
    await mkdir(join(jobDest, '20200102T000000Z'));
    await writeFile(join(jobDest, '20200102T000000Z', 'notes.txt'), 'keep me');
    const live = `.test-job-x.zip.${HOST_TAG}-${process.pid}-0badc0de-12345678.partial`;
    await writeFile(join(runFolder, live), 'a live writer');

    const rerun = await spawnCli(['run', h.specPath, '--state-dir', state, '--json', '--progress', 'off'], {
      env: h.env,
    }).exited;
    expect(rerun.code, rerun.stderr).toBe(0);
    const result = JSON.parse(rerun.stdout) as RunJobResult;
    expect([result.resumed, result.archive?.verified, result.archive?.adopted]).toEqual([true, true, false]);
    expect((await readdir(jobDest)).sort()).toEqual(['20200102T000000Z', runId]);
    expect((await readdir(runFolder)).sort()).toEqual(
      [live, `test-job-${runId}.zip`, `test-job-${runId}.zip.sha256`, 'custody.jsonl', 'summary.json'].sort(),
    );
  }, 120_000);
});
