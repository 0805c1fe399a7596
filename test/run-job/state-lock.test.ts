/**
 * One run per state folder, with real processes: a second run on the folder is refused with
 * `state_locked` before it touches anything (the first run's journal, state and temp files), so
 * the first run always completes; simultaneous pairs never both fail; a dead holder's lock is
 * taken over.
 */
import { spawnSync } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJobResult } from '../../src/run-job.js';
import { runJob } from '../../src/run-job.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { chatsJournaled, spawnCli, specVariant, type Exited } from './cli-process.js';
import { harness, instantSleep, type Harness } from './helpers.js';

/** The archive a `--json` run shipped, checked by the independent verifier. */
async function verifiedArchive(run: Exited): Promise<boolean> {
  const result = JSON.parse(run.stdout) as RunJobResult;
  if (result.archive === null) return false;
  return (await verifyArchive(result.archive.location)).ok;
}

const lockedBy = (run: Exited): number | null => {
  const m = /state_locked: .*\(pid ([0-9]+) on host ([^)]+)\)/u.exec(run.stderr);
  return m === null ? null : Number(m[1]);
};

describe('a second run on the same state folder', () => {
  let h: Harness;
  beforeAll(async () => {
    // A budget of 1,500 requests a minute: the run takes several seconds.
    h = await harness({ include: ['directory', 'chats'], requestsPerMinute: 1500 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is refused with state_locked mid-run, and the first run completes and verifies', async () => {
    const state = join(h.dir, 'state');
    const args = ['run', h.specPath, '--state-dir', state, '--json', '--progress', 'off'];
    const barrier = join(h.dir, 'go-second');
    const second = spawnCli(args, { env: h.env, barrier });
    await second.ready;
    const first = spawnCli(args, { env: h.env });
    await Promise.race([
      chatsJournaled(join(state, 'test-job', 'journal.jsonl'), 5),
      first.exited.then((e) => {
        throw new Error(`first run ended early (code ${e.code}): ${e.stderr}`);
      }),
    ]);
    await writeFile(barrier, '');
    const refused = await second.exited;
    expect(refused.code).toBe(1);
    expect(lockedBy(refused)).toBe(first.pid);
    expect(refused.stderr).toContain(join(state, 'test-job', 'lock'));

    const done = await first.exited;
    expect(done.code, done.stderr).toBe(0);
    expect(await verifiedArchive(done)).toBe(true);
  });
});

describe('simultaneous runs on one state folder', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ include: ['directory', 'chats'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('in every pair exactly one runs to completion and the other is refused with state_locked', async () => {
    const barrier = join(h.dir, 'go');
    const pairs = await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (i) => {
        // Each pair its own state folder and destination (the runs share a cut second).
        const spec = await specVariant(h, `pair-${i}`, join(h.dir, `out-${i}`));
        const args = ['run', spec, '--state-dir', join(h.dir, `state-${i}`), '--json', '--progress', 'off'];
        return [spawnCli(args, { env: h.env, barrier }), spawnCli(args, { env: h.env, barrier })] as const;
      }),
    );
    await Promise.all(pairs.flat().map((p) => p.ready));
    await writeFile(barrier, '');
    for (const [a, b] of pairs) {
      const [ra, rb] = await Promise.all([a.exited, b.exited]);
      const [winner, loser, winnerPid] = ra.code === 0 ? [ra, rb, a.pid] : [rb, ra, b.pid];
      expect([winner.code, loser.code]).toEqual([0, 1]);
      expect(lockedBy(loser)).toBe(winnerPid);
      expect(await verifiedArchive(winner)).toBe(true);
    }
  }, 180_000);

  it('takes over a lock left by a dead process', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    const folder = join(h.dir, 'stale', 'test-job');
    await mkdir(folder, { recursive: true });
    const lock = join(folder, 'lock');
    await writeFile(lock, JSON.stringify({ pid: deadPid, host: hostname(), token: 'a1b2c3' }));
    const run = await runJob({
      specPath: h.specPath,
      stateDir: join(h.dir, 'stale'),
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
      stopAfter: 'quiesce',
    });
    expect([run.exitCode, run.counts['chat']]).toEqual([0, 60]);
    await expect(access(lock)).rejects.toMatchObject({ code: 'ENOENT' }); // released at the end
  });
});
