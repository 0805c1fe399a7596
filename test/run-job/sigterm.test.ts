/**
 * SIGTERM (systemd, Kubernetes, `timeout`) is a stop request like Ctrl-C: a real run sent SIGTERM
 * mid-collection stops at a clean checkpoint, prints the resume command and exits 143; running
 * that command again completes with the same records as an uninterrupted run.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJobResult } from '../../src/run-job.js';
import { runJob } from '../../src/run-job.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { currentRecords, openStore } from '../../src/store/index.js';
import { chatsJournaled, spawnCli } from './cli-process.js';
import { harness, instantSleep, type Harness } from './helpers.js';

async function snapshot(stateDir: string, specSha: string): Promise<[string, string][]> {
  const store = await openStore({ stateDir, jobName: 'test-job', specSha256: specSha });
  const out: [string, string][] = [];
  for await (const r of currentRecords(store)) out.push([`${r.kind}\t${r.id}`, r.hash]);
  await store.close();
  return out.sort();
}

describe('SIGTERM', () => {
  let h: Harness;
  beforeAll(async () => {
    // Latency on every response, so the signal lands mid-collection even on a loaded machine
    // (the journal reaches the disk in groups, so the run is ahead of what the test can see).
    h = await harness({
      include: ['directory', 'chats'],
      scenario: { faults: { latency: { minMs: 100, maxMs: 200 } } },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('stops at a clean checkpoint with exit 143 and the resume command; rerunning it completes', async () => {
    const { sha256: specSha } = await loadSpecFile(h.specPath, { env: h.env });
    const clean = await runJob({
      specPath: h.specPath,
      stateDir: join(h.dir, 'clean'),
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
      stopAfter: 'quiesce',
    });
    expect(clean.exitCode).toBe(0);

    const state = join(h.dir, 'state');
    const args = ['run', h.specPath, '--state-dir', state, '--progress', 'off'];
    const first = spawnCli(args, { env: h.env });
    await Promise.race([
      chatsJournaled(join(state, 'test-job', 'journal.jsonl'), 10),
      first.exited.then((e) => {
        throw new Error(`run ended before the signal (code ${e.code}): ${e.stderr}`);
      }),
    ]);
    first.child.kill('SIGTERM');
    const stopped = await first.exited;
    expect([stopped.code, stopped.signal]).toEqual([143, null]);
    expect(stopped.stderr).toContain(
      `Resume with:\n  compliance-export run ${h.specPath} --state-dir ${state}\n`,
    );
    const held = (await snapshot(state, specSha)).filter(([k]) => k.startsWith('chat\t')).length;
    expect(held).toBeGreaterThanOrEqual(10);
    expect(held).toBeLessThan(60);

    const again = await spawnCli([...args, '--json'], { env: h.env }).exited;
    expect(again.code, again.stderr).toBe(0);
    const result = JSON.parse(again.stdout) as RunJobResult;
    expect([result.status, result.resumed, result.archive?.verified]).toEqual(['complete', true, true]);
    expect(await snapshot(state, specSha)).toEqual(await snapshot(join(h.dir, 'clean'), specSha));
  }, 120_000);
});
