import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/run-job.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { currentRecords, openStore } from '../../src/store/index.js';
import type { SandboxStats } from '@compliance-export/sandbox';
import { harness, instantSleep, type Harness } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

async function snapshot(stateDir: string, specSha: string): Promise<Map<string, string>> {
  const store = await openStore({ stateDir, jobName: 'test-job', specSha256: specSha });
  const out = new Map<string, string>();
  for await (const r of currentRecords(store)) out.set(`${r.kind}\t${r.id}`, r.hash);
  await store.close();
  return out;
}

/** Run the CLI in a child process and signal it once `chats` chat records are journaled. */
function runAndKill(
  h: Harness,
  journal: string,
  chats: number,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', h.specPath, '--progress', 'off'], {
      env: h.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setInterval(() => {
      readFile(journal, 'utf8').then(
        (text) => {
          if ((text.match(/"type":"record","kind":"chat"/g) ?? []).length >= chats && !sent) {
            sent = true;
            child.kill('SIGKILL');
          }
        },
        () => undefined,
      );
    }, 15);
    child.on('exit', (code, got) => {
      clearInterval(timer);
      if (sent) resolve({ code, signal: got, stderr });
      else reject(new Error(`child ended before the signal (code ${code}): ${stderr}`));
    });
  });
}

const messageCalls = (stats: SandboxStats): number =>
  stats.byRoute['/v1/compliance/apps/chats/{claude_chat_id}/messages']?.['200'] ?? 0;

describe('resume after SIGKILL', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ends with the same records as an uninterrupted run, using fewer requests', async () => {
    const { sha256: specSha } = await loadSpecFile(h.specPath, { env: h.env });
    const base = (await h.stats()).total;
    const clean = await runJob({
      specPath: h.specPath,
      stateDir: `${h.dir}/clean`,
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
      stopAfter: 'quiesce',
    });
    expect(clean.exitCode).toBe(0);
    const cleanRequests = (await h.stats()).total - base;

    const killedRun = await runAndKill(h, `${h.dir}/state/test-job/journal.jsonl`, 20);
    expect(killedRun.signal).toBe('SIGKILL');
    const afterKill = (await h.stats()).total;
    const messageCallsAfterKill = messageCalls(await h.stats());
    const killed = await snapshot(`${h.dir}/state`, specSha);
    expect(killed.size).toBeGreaterThan(0);

    const resumed = await runJob({
      specPath: h.specPath,
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
      stopAfter: 'quiesce',
    });
    const resumedRequests = (await h.stats()).total - afterKill;
    expect(resumed.resumed).toBe(true);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.asOfCut).not.toBe(clean.asOfCut); // its own cut, fixed by the killed run

    const a = await snapshot(`${h.dir}/clean`, specSha);
    const b = await snapshot(`${h.dir}/state`, specSha);
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
    expect(resumedRequests).toBeLessThan(cleanRequests);
    // Nothing stored before the kill was fetched again: every chat the killed run held is skipped.
    const killedChats = [...killed.keys()].filter((k) => k.startsWith('chat\t')).length;
    expect(messageCalls(await h.stats()) - messageCallsAfterKill).toBe(60 - killedChats);
  });

  it('stops cleanly on Ctrl-C (exit 130, resume command given) and the same command resumes', async () => {
    // A slower tenant (latency on), so the interrupt lands mid-collection even on a loaded machine.
    const slow = await harness({ scenario: { faults: { latency: { minMs: 100, maxMs: 200 } } } });
    try {
      await interruptAndResume(slow);
    } finally {
      await slow.close();
    }
  });
});

async function interruptAndResume(h: Harness): Promise<void> {
  {
    const stateDir = `${h.dir}/interrupted`;
    const controller = new AbortController();
    const journal = `${stateDir}/test-job/journal.jsonl`;
    const watch = setInterval(() => {
      readFile(journal, 'utf8').then(
        (text) => {
          if ((text.match(/"type":"record","kind":"chat"/g) ?? []).length >= 10) controller.abort();
        },
        () => undefined,
      );
    }, 10);
    const stderr: string[] = [];
    const run = await runJob({
      specPath: h.specPath,
      stateDir,
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
      stopAfter: 'quiesce',
      signal: controller.signal,
      stderr: { write: (s: string) => stderr.push(s) } as unknown as NodeJS.WritableStream,
    }).finally(() => clearInterval(watch));
    expect([run.exitCode, run.status]).toEqual([130, 'interrupted']);
    expect(run.resumeCommand).toBe(`compliance-export run ${h.specPath} --state-dir ${stateDir}`);
    expect(stderr.join('')).toContain(run.resumeCommand!);
    const { sha256: specSha } = await loadSpecFile(h.specPath, { env: h.env });
    const store = await openStore({ stateDir, jobName: 'test-job', specSha256: specSha });
    expect(store.tornBytes).toBe(0);
    // The clean stop left a state image of the whole journal: opening replays nothing.
    expect([store.image.status, store.replayedLines]).toEqual(['used', 0]);
    const held = store.idsOf('chat').length;
    expect(held).toBeGreaterThanOrEqual(10);
    expect(held).toBeLessThan(60);
    await store.close();
    // A damaged image is set aside, said so, and the journal replayed whole: the resume is the same.
    const image = await readFile(`${stateDir}/test-job/state.image`);
    image.writeUInt8(image.readUInt8(100) ^ 1, 100);
    await writeFile(`${stateDir}/test-job/state.image`, image);
    const resumedErr: string[] = [];
    const resumed = await runJob({
      specPath: h.specPath,
      stateDir,
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
      stopAfter: 'quiesce',
      stderr: { write: (s: string) => resumedErr.push(s) } as unknown as NodeJS.WritableStream,
    });
    expect([resumed.exitCode, resumed.resumed, resumed.counts['chat']]).toEqual([0, true, 60]);
    expect(resumedErr.join('')).toContain(
      `ignoring the state image in ${stateDir}/test-job: its checksum does not match`,
    );
  }
}
