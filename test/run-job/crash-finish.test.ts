/**
 * A run killed after its archive landed but before it recorded it as shipped: the rerun must
 * adopt the archive (never overwrite it) when it is this run's evidence, finish the beside files
 * and exit 0; and refuse, naming the object, when it is not. The kill is simulated by throwing
 * from the finish-step hook, right after the step completed.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withS3rverCredentials } from '../../demo/local-s3.js';
import { runJob, type RunJobOptions } from '../../src/run-job.js';
import type { FinishStep } from '../../src/ship/ship-step.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { startS3rver, type S3rverHandle } from '../sink/s3rver-harness.js';
import { harness, instantSleep, runIsolated, s3JobSpec, type Harness } from './helpers.js';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

class SimulatedKill extends Error {}

function killAfter(step: FinishStep): (s: FinishStep) => void {
  return (s) => {
    if (s === step) throw new SimulatedKill(`killed after ${step}`);
  };
}

async function custodyEvents(stateDir: string): Promise<string[]> {
  const text = await readFile(join(stateDir, 'test-job', 'custody.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { event: string }).event);
}

/** The one run folder under `<out>/test-job/`. */
async function runFolder(out: string): Promise<string> {
  const runs = await readdir(join(out, 'test-job'));
  expect(runs).toHaveLength(1);
  return join(out, 'test-job', runs[0]!);
}

describe('finish is idempotent across a kill (local destination)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ include: ['directory', 'chats'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  const run = (name: string, extra: Partial<RunJobOptions> = {}) => runIsolated(h, name, extra);

  it('adopts the archive a run killed after read-back left behind, and exits 0', async () => {
    await expect(run('readback', { afterFinishStep: killAfter('readback') })).rejects.toBeInstanceOf(
      SimulatedKill,
    );
    const folder = await runFolder(join(h.dir, 'readback', 'out'));
    const zipName = (await readdir(folder)).find((f) => f.endsWith('.zip'))!;
    const zip = join(folder, zipName);
    const before = await readFile(zip);
    const inode = (await stat(zip)).ino;
    const summaryBefore = await readFile(join(folder, 'summary.json'));

    const result = await run('readback');
    expect(result.exitCode).toBe(0);
    expect(result.archive?.adopted).toBe(true);
    expect(result.archive?.location).toBe(zip);
    expect(result.archive?.zipSha256).toBe(sha256(before));
    // Never rewritten: same bytes, same file.
    expect(sha256(await readFile(zip))).toBe(sha256(before));
    expect((await stat(zip)).ino).toBe(inode);
    expect(sha256(await readFile(join(folder, 'summary.json')))).toBe(sha256(summaryBefore));
    expect((await readdir(folder)).sort()).toEqual(
      ['custody.jsonl', 'summary.json', zipName, `${zipName}.sha256`].sort(),
    );
    const report = await verifyArchive(zip);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.custodyBeside?.entries).toBeGreaterThan(0);
    const events = await custodyEvents(join(h.dir, 'readback', 'state'));
    expect(events.filter((e) => e === 'upload')).toHaveLength(1);
    expect(events.filter((e) => e === 'ship_adopted')).toHaveLength(1);
    expect(events.indexOf('ship_adopted')).toBeGreaterThan(events.indexOf('run_resume'));

    // A third run finds it shipped and does nothing more.
    const again = await run('readback');
    expect(again.exitCode).toBe(0);
    expect(again.archive?.zipSha256).toBe(sha256(before));
  });

  it('writes the missing sidecar and beside files after a kill between the zip and its sidecar', async () => {
    await expect(run('sidecar', { afterFinishStep: killAfter('upload') })).rejects.toBeInstanceOf(
      SimulatedKill,
    );
    // The state a kill right after the zip was linked in leaves: the zip alone.
    const folder = await runFolder(join(h.dir, 'sidecar', 'out'));
    const zipName = (await readdir(folder)).find((f) => f.endsWith('.zip'))!;
    const zip = join(folder, zipName);
    const sidecarBefore = await readFile(`${zip}.sha256`, 'utf8');
    await rm(`${zip}.sha256`);
    expect(await readdir(folder)).toEqual([zipName]);

    const result = await run('sidecar');
    expect(result.exitCode).toBe(0);
    expect(result.archive?.adopted).toBe(true);
    expect(await readFile(`${zip}.sha256`, 'utf8')).toBe(sidecarBefore);
    expect((await readdir(folder)).sort()).toEqual(
      ['custody.jsonl', 'summary.json', zipName, `${zipName}.sha256`].sort(),
    );
    const report = await verifyArchive(zip);
    expect(report.problems).toEqual([]);
    // The summary beside is the one sealed in the bag, not a rerun's.
    const summary = JSON.parse(await readFile(join(folder, 'summary.json'), 'utf8')) as { runId: string };
    expect(zipName).toContain(summary.runId);
  });

  it('refuses an archive at the destination that is not this run’s evidence, naming it', async () => {
    await expect(run('foreign', { afterFinishStep: killAfter('upload') })).rejects.toBeInstanceOf(
      SimulatedKill,
    );
    const folder = await runFolder(join(h.dir, 'foreign', 'out'));
    const zipName = (await readdir(folder)).find((f) => f.endsWith('.zip'))!;
    const zip = join(folder, zipName);
    await rm(zip);
    await writeFile(zip, 'not a zip at all');
    const error = await run('foreign').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'destination_exists' });
    expect((error as Error).message).toContain(zip);
    expect((error as Error).message).toContain('cannot be adopted');
    expect(await readFile(zip, 'utf8')).toBe('not a zip at all');
  });
});

describe('finish is idempotent across a kill (S3 destination, s3rver)', () => {
  let h: Harness;
  let s3: S3rverHandle;
  let restore: () => void;
  let specPath: string;
  beforeAll(async () => {
    h = await harness({ include: ['directory', 'chats'] });
    s3 = await startS3rver(['archive']);
    restore = withS3rverCredentials();
    specPath = await s3JobSpec(h, s3.endpoint, 's3-job');
  });
  afterAll(async () => {
    restore?.();
    await s3?.close();
    await h?.close();
  });

  it('adopts the zip after a kill between the zip and its sidecar, and exits 0', async () => {
    const run = (extra: Partial<RunJobOptions> = {}) =>
      runJob({ specPath, env: h.env, sleep: instantSleep, progress: 'off', ...extra });
    await expect(run({ afterFinishStep: killAfter('upload') })).rejects.toBeInstanceOf(SimulatedKill);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'archive', Prefix: 'exports/' }));
    const zipKey = (listed.Contents ?? []).map((o) => o.Key!).find((k) => k.endsWith('.zip'))!;
    expect(zipKey).toMatch(/^exports\/test-job\/\d{8}T\d{6}Z\/test-job-\d{8}T\d{6}Z\.zip$/u);
    const body = async (key: string): Promise<Buffer> =>
      Buffer.from(
        await (
          await s3.client.send(new GetObjectCommand({ Bucket: 'archive', Key: key }))
        ).Body!.transformToByteArray(),
      );
    const zipBefore = sha256(await body(zipKey));
    await s3.client.send(new DeleteObjectCommand({ Bucket: 'archive', Key: `${zipKey}.sha256` }));

    const result = await run();
    expect(result.exitCode).toBe(0);
    expect(result.archive?.adopted).toBe(true);
    expect(result.archive?.location).toBe(`s3://archive/${zipKey}`);
    expect(sha256(await body(zipKey))).toBe(zipBefore);
    expect((await body(`${zipKey}.sha256`)).toString('utf8')).toMatch(new RegExp(`^${zipBefore}  `, 'u'));
    const folder = zipKey.slice(0, zipKey.lastIndexOf('/') + 1);
    for (const name of ['summary.json', 'custody.jsonl']) {
      await s3.client.send(new HeadObjectCommand({ Bucket: 'archive', Key: `${folder}${name}` }));
    }
    const report = await verifyArchive(`s3://archive/${zipKey}`, { client: s3.client });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
