/**
 * A stop once the archive has landed (Ctrl-C or SIGTERM while it is read back or verified, which
 * take minutes at 100,000 chats): the run stops at once, records no read-back or verify result,
 * and leaves the archive as it is. The rerun finishes that same archive (adopted, read back,
 * verified, recorded) without collecting, staging or sealing again. Real sandbox over loopback,
 * real local destination; the stop is the run's own abort signal, fired from the finish-step hook.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import type { RunJobOptions } from '../../src/run-job.js';
import type { FinishStep } from '../../src/ship/ship-step.js';
import { sealBag } from '../../src/archive/seal-bag.js';
import { digestFile } from '../../src/sink/hash-stream.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { applyOverrides, loadSpecFile } from '../../src/spec/index.js';
import { openStore } from '../../src/store/index.js';
import { bagInput, collect, noise, sampleFiles } from '../archive/fixtures.js';
import { harness, runIsolated, type Harness } from './helpers.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * What preflight sends for this include (one scope probe for the directory, one for chats and
 * files): all a rerun that finishes a landed archive sends.
 */
const PREFLIGHT_REQUESTS = 2;

interface CustodyEntry {
  readonly event: string;
  readonly data?: { readonly manifestSha256?: string; readonly ok?: boolean };
}

async function custody(stateDir: string): Promise<CustodyEntry[]> {
  const text = await readFile(join(stateDir, 'test-job', 'custody.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CustodyEntry);
}

/** The events after the last `run_resume`: what the rerun did. */
const afterResume = (entries: readonly CustodyEntry[]): string[] => {
  const events = entries.map((e) => e.event);
  return events.slice(events.lastIndexOf('run_resume'));
};

describe('a stop after the archive landed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ include: ['directory', 'chats', 'files'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  const run = (name: string, extra: Partial<RunJobOptions> = {}) =>
    runIsolated(h, name, { stderr: { write: () => true } as unknown as NodeJS.WritableStream, ...extra });

  /** A run whose stop fires right after `step`, so the next step starts stopped. */
  const stoppedAfter = (name: string, step: FinishStep) => {
    const stop = new AbortController();
    return run(name, {
      signal: stop.signal,
      afterFinishStep: (s) => {
        if (s === step) stop.abort();
      },
    });
  };

  it.each([
    ['while it is read back', 'summary', ['upload'], ['readback', 'verify']],
    ['while it is verified', 'readback', ['upload', 'readback'], ['verify']],
  ] as const)(
    '%s: exit 130, nothing recorded for the step cut short; the rerun finishes the same archive alone',
    async (label, step, recorded, notRecorded) => {
      const name = step;
      const state = join(h.dir, name, 'state');
      const first = await stoppedAfter(name, step);
      expect([first.exitCode, first.status, first.archive], label).toEqual([
        EXIT.interrupted,
        'interrupted',
        null,
      ]);
      expect(first.resumeCommand).not.toBeNull();
      const stopped = await custody(state);
      const events = stopped.map((e) => e.event);
      for (const e of recorded)
        expect(
          events.filter((x) => x === e),
          e,
        ).toHaveLength(1);
      for (const e of notRecorded) expect(events, e).not.toContain(e);
      expect(events.at(-1)).toBe('run_end');
      const [uploaded] = stopped.filter((e) => e.event === 'upload');
      const folder = join(h.dir, name, 'out', 'test-job');
      const [runId] = await readdir(folder);
      const zip = join(folder, runId!, `test-job-${runId!}.zip`);
      const zipBefore = sha256(await readFile(zip));

      const again = await run(name);
      expect([again.exitCode, again.status, again.resumed]).toEqual([EXIT.ok, 'complete', true]);
      // preflight's scope probes, and nothing else
      expect(again.requests).toBe(PREFLIGHT_REQUESTS);
      expect(again.archive).toMatchObject({
        location: zip,
        zipSha256: zipBefore,
        adopted: true,
        verified: true,
      });
      // Nothing collected, staged or sealed again: straight from preflight to the landed archive.
      expect(afterResume(await custody(state))).toEqual([
        'run_resume',
        'preflight',
        'ship_adopted',
        'readback',
        'verify',
        'state_retained',
        'run_end',
      ]);
      const adopted = (await custody(state)).find((e) => e.event === 'ship_adopted');
      expect(adopted?.data?.manifestSha256).toBe(uploaded?.data?.manifestSha256);
      expect(sha256(await readFile(zip))).toBe(zipBefore);
      const report = await verifyArchive(zip);
      expect([report.ok, report.problems]).toEqual([true, []]);
      // What it reports is what the stopped run staged and sealed.
      expect(again.archive?.payloadFiles).toBe(report.facts.payloadFiles);
      expect(first.production).not.toBeNull();
      expect(again.counts).toEqual(first.counts);
    },
    120_000,
  );

  it('a landed archive moved aside is shipped again; a kill right after that upload is adopted', async () => {
    const name = 'moved-aside';
    const state = join(h.dir, name, 'state');
    expect((await stoppedAfter(name, 'summary')).status).toBe('interrupted');
    const folder = join(h.dir, name, 'out', 'test-job');
    const [runId] = await readdir(folder);
    await rm(join(folder, runId!), { recursive: true });
    // Shipped again (same payload, a new zip), and killed before that zip is recorded as landed.
    await expect(
      run(name, {
        afterFinishStep: (s) => {
          if (s === 'upload') throw new Error('killed after the upload');
        },
      }),
    ).rejects.toThrow('killed after the upload');
    const zip = join(folder, runId!, `test-job-${runId!}.zip`);
    const second = sha256(await readFile(zip));
    const again = await run(name);
    expect([again.status, again.archive?.adopted, again.archive?.zipSha256]).toEqual([
      'complete',
      true,
      second,
    ]);
    expect((await custody(state)).filter((e) => e.event === 'upload')).toHaveLength(2);
  }, 120_000);

  it('a landed archive replaced at the destination is refused on rerun, naming it', async () => {
    const name = 'replaced';
    const first = await stoppedAfter(name, 'summary');
    expect(first.status).toBe('interrupted');
    const folder = join(h.dir, name, 'out', 'test-job');
    const [runId] = await readdir(folder);
    const zip = join(folder, runId!, `test-job-${runId!}.zip`);
    await writeFile(zip, 'not the archive any more');
    const error = await run(name).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'destination_exists' });
    expect((error as Error).message).toContain(zip);
    expect(await readFile(zip, 'utf8')).toBe('not the archive any more');
  }, 120_000);
});

describe('a later shipping intent than the one that landed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ include: ['directory', 'chats'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends the rerun through staging: the landed record alone does not adopt', async () => {
    const name = 'later-intent';
    const overrides = { state_dir: join(h.dir, name, 'state'), destination_uri: join(h.dir, name, 'out') };
    const quiet = { stderr: { write: () => true } as unknown as NodeJS.WritableStream };
    const stop = new AbortController();
    const first = await runIsolated(h, name, {
      ...quiet,
      signal: stop.signal,
      afterFinishStep: (s) => {
        if (s === 'summary') stop.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    // What a later run's intent looks like: it staged again (after the archive was moved aside)
    // and was killed before its own archive was recorded as landed.
    const loaded = applyOverrides(await loadSpecFile(h.specPath, { env: h.env }), overrides, { env: h.env });
    const store = await openStore({
      stateDir: overrides.state_dir,
      jobName: 'test-job',
      specSha256: loaded.sha256,
    });
    const intent = store.meta('shipping') as { manifestSha256: string };
    store.setMeta('shipping', { ...intent, manifestSha256: 'ab'.repeat(32) });
    await store.close();

    const again = await runIsolated(h, name, quiet);
    expect([again.status, again.archive?.adopted, again.archive?.verified]).toEqual(['complete', true, true]);
    const events = afterResume(await custody(overrides.state_dir));
    expect(events).toContain('requests'); // staged again, then adopted what is there
    expect(events.filter((e) => e === 'ship_adopted')).toHaveLength(1);
    expect(events).not.toContain('upload');
  }, 120_000);
});

describe('digestFile and verifyArchive with a stop', () => {
  it('verifyArchive stopped part way throws the stop, not a report of what it left unread', async () => {
    const path = join(tmpdir(), `verify-stop-${process.pid}.zip`);
    const files = { ...sampleFiles(), 'files/claude_file_9/big.bin': noise(6 * 1024 * 1024, 9) };
    const sealed = sealBag(bagInput(files));
    const [zip] = await Promise.all([collect(sealed.stream), sealed.done]);
    await writeFile(path, zip);
    try {
      // Without a stop, a report (this fixture bag lacks what a run seals, so it has problems).
      expect((await verifyArchive(path, { sidecar: false })).facts.payloadFiles).toBe(
        Object.keys(files).length,
      );
      const stop = new AbortController();
      const checking = verifyArchive(path, { sidecar: false, signal: stop.signal });
      setImmediate(() => stop.abort());
      await expect(checking).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await rm(path, { force: true });
    }
  });

  it('throws the stop before its next read, instead of a digest of part of the file', async () => {
    const path = join(tmpdir(), `digest-stop-${process.pid}.bin`);
    await writeFile(path, Buffer.alloc(32 * 1024 * 1024, 7));
    try {
      expect((await digestFile(path)).bytes).toBe(32 * 1024 * 1024);
      const stop = new AbortController();
      const reading = digestFile(path, stop.signal);
      setImmediate(() => stop.abort());
      await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await rm(path, { force: true });
    }
  });
});
