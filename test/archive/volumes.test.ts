/**
 * Archive volumes end to end against the sandbox: the same store and cut exported once as one bag
 * and once with `archive.max_volume_size`, the volumes read back by the project's verifier and by
 * yauzl, their payload compared with the single bag's, a deleted volume named by verify, and a
 * rerun after a kill between two volumes adopting the first and writing the rest.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportError } from '../../src/errors.js';
import type { RunJobOptions, RunJobResult } from '../../src/run-job.js';
import type { FinishStep } from '../../src/ship/ship-step.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { verifyVolumeSet } from '../../src/verify/volume-group.js';
import { runCli } from '../cli/run-cli.js';
import { harness, runIsolated, type Harness } from '../run-job/helpers.js';
import { readZip } from './zip-entries.js';

const LIMIT = 3 * 1024 * 1024;
const NOW = new Date();

class SimulatedKill extends Error {}

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** Manifest lines (`<sha256>  data/<path>`) of a bag's manifest-sha256.txt. */
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

const bagInfo = (text: string): Map<string, string> =>
  new Map(lines(text).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));

describe('archive volumes', () => {
  let h: Harness;
  let volumeSpec: string;
  let single: RunJobResult;
  let split: RunJobResult;
  let splitErr = '';

  const custodyOf = async (name: string): Promise<{ event: string; data: Record<string, unknown> }[]> =>
    lines(await readFile(join(h.dir, name, 'state', 'test-job', 'custody.jsonl'), 'utf8')).map(
      (l) => JSON.parse(l) as { event: string; data: Record<string, unknown> },
    );

  const run = (name: string, specPath: string, extra: Partial<RunJobOptions> = {}): Promise<RunJobResult> =>
    runIsolated(h, name, { specPath, now: () => NOW, ...extra });

  beforeAll(async () => {
    h = await harness();
    volumeSpec = join(h.dir, 'volumes.yaml');
    const yaml = await readFile(h.specPath, 'utf8');
    await writeFile(volumeSpec, `${yaml}archive:\n  max_volume_size: 3MiB\n`);
    single = await run('single', h.specPath);
    const stderr: string[] = [];
    const sink = { write: (chunk: string) => stderr.push(chunk) } as unknown as NodeJS.WritableStream;
    split = await run('split', volumeSpec, { stderr: sink });
    splitErr = stderr.join('');
  }, 240_000);
  afterAll(async () => {
    await h?.close();
  });

  it('without the key one bag is written, as before', async () => {
    expect(single.exitCode).toBe(0);
    expect(single.archive?.volumes).toBeUndefined();
    const runId = single.archive?.location.split('/').at(-2) ?? '';
    expect(single.archive?.location.endsWith(`/test-job-${runId}.zip`)).toBe(true);
    const zip = await readZip(single.archive?.location ?? '');
    expect(bagInfo(zip.text('bag-info.txt')).has('Bag-Count')).toBe(false);
  });

  it('writes several complete bags named vol00i-of-00N, each verifying on its own', async () => {
    expect(split.exitCode).toBe(0);
    const volumes = split.archive?.volumes ?? [];
    expect(volumes.length).toBeGreaterThan(2);
    const folder = join(h.dir, 'split', 'out', 'test-job');
    const [runId] = await readdir(folder);
    const n = String(volumes.length).padStart(3, '0');
    const names = volumes.map((_, i) => `test-job-${runId}.vol${String(i + 1).padStart(3, '0')}-of-${n}.zip`);
    expect(volumes.map((v) => v.location)).toEqual(names.map((f) => join(folder, runId ?? '', f)));
    const files = await readdir(join(folder, runId ?? ''));
    expect(files.sort()).toEqual(
      [...names, ...names.map((f) => `${f}.sha256`), 'custody.jsonl', 'summary.json'].sort(),
    );
    const singleZip = await readZip(single.archive?.location ?? '');
    const singleTags = singleZip.paths.filter((p) => !p.startsWith('data/'));
    for (const [i, v] of volumes.entries()) {
      const report = await verifyArchive(v.location);
      expect(report.problems).toEqual([]);
      const zip = await readZip(v.location);
      expect(zip.folder).toBe(names[i]?.replace(/\.zip$/u, ''));
      const info = bagInfo(zip.text('bag-info.txt'));
      expect(info.get('Bag-Group-Identifier')).toBe(`test-job-${runId}`);
      expect(info.get('Bag-Count')).toBe(`${i + 1} of ${volumes.length}`);
      expect(info.get('Job-Spec-SHA256')).toMatch(/^[0-9a-f]{64}$/u);
      // Every tag file of the single bag, the reports included, is in every volume.
      expect(zip.paths.filter((p) => !p.startsWith('data/'))).toEqual(singleTags);
      expect(zip.text('reports/items.csv')).toBe(
        await readZip(volumes[0]?.location ?? '').then((z) => z.text('reports/items.csv')),
      );
    }
  });

  it('splits the same payload: the volumes manifests together are the one-bag manifest of the same store', async () => {
    const union: string[] = [];
    for (const v of split.archive?.volumes ?? [])
      union.push(...lines((await readZip(v.location)).text('manifest-sha256.txt')));
    expect(union.length).toBe(new Set(union).size); // no file in two volumes
    // What one bag of the same store and cut would seal (the seal step's payload manifest hash).
    const plan = (await custodyOf('split')).find((e) => e.event === 'volumes');
    const sorted = [...union].sort((a, b) =>
      Buffer.compare(Buffer.from(a.slice(66)), Buffer.from(b.slice(66))),
    );
    expect(sha256(sorted.map((l) => `${l}\n`).join(''))).toBe(plan?.data['manifestSha256']);
    // And the collected payload (the review copy aside: its DOCIDs follow collection) is the single export's.
    const collected = (ls: string[]): string[] =>
      ls.filter((l) => !l.slice(66).startsWith('data/review/')).sort();
    const singleLines = lines((await readZip(single.archive?.location ?? '')).text('manifest-sha256.txt'));
    expect(collected(union)).toEqual(collected(singleLines));
    expect(union.length).toBe(singleLines.length);
    expect(split.archive?.payloadFiles).toBe(single.archive?.payloadFiles);
  });

  it("puts every item's files in one volume, and a unit larger than the limit alone", async () => {
    const volumes = split.archive?.volumes ?? [];
    const where = new Map<string, number>();
    const sizes = new Map<string, number>();
    for (const [i, v] of volumes.entries()) {
      const zip = await readZip(v.location);
      for (const e of zip.entries) {
        if (!e.path.startsWith('data/')) continue;
        where.set(e.path, i + 1);
        sizes.set(e.path, e.size);
      }
    }
    const items = (await readZip(volumes[0]?.location ?? '')).csv('reports/items.csv');
    let oversized = 0;
    for (const row of items) {
      const paths = [row['native_path'], row['text_path'], row['record_path']].filter(
        (p) => p !== '' && p !== undefined,
      );
      const at = new Set(paths.map((p) => where.get(p ?? '')));
      expect([...at], row['docid']).toHaveLength(1);
      const bytes = paths.reduce((sum, p) => sum + (sizes.get(p ?? '') ?? 0), 0);
      if (bytes <= LIMIT) continue;
      oversized += 1;
      // Alone: every payload file of that volume belongs to this item.
      const volume = [...at][0];
      const inVolume = [...where].filter(([, v]) => v === volume).map(([p]) => p);
      expect(inVolume.sort()).toEqual([...paths].sort());
    }
    expect(oversized).toBeGreaterThan(0);
    const custody = await custodyOf('split');
    expect(custody.filter((e) => e.event === 'volume_oversized')).toHaveLength(oversized);
    expect(splitErr.match(/more than archive\.max_volume_size/gu)).toHaveLength(oversized);
  });

  it('a rerun after a kill between two volumes adopts the first and writes the rest', async () => {
    let uploads = 0;
    const killSecond = (s: FinishStep): void => {
      if (s === 'upload' && ++uploads === 1) throw new SimulatedKill('killed after the first volume');
    };
    await expect(run('killed', volumeSpec, { afterFinishStep: killSecond })).rejects.toBeInstanceOf(
      SimulatedKill,
    );
    const first = await readdir(join(h.dir, 'killed', 'out', 'test-job')).then(async ([runId]) =>
      readdir(join(h.dir, 'killed', 'out', 'test-job', runId ?? '')),
    );
    expect(first.filter((f) => f.endsWith('.zip'))).toHaveLength(1);
    const rerun = await run('killed', volumeSpec);
    expect(rerun.exitCode).toBe(0);
    const volumes = rerun.archive?.volumes ?? [];
    expect(volumes.map((v) => v.adopted)).toEqual(volumes.map((_, i) => i === 0));
    // The killed run's plan, kept: each volume (adopted or written) holds exactly its planned payload.
    const custody = await custodyOf('killed');
    const plans = custody.filter((e) => e.event === 'volumes');
    expect(plans).toHaveLength(2); // one per run, the same
    expect(plans[1]?.data).toEqual(plans[0]?.data);
    const planned = (plans[0]?.data['volumes'] as { manifestSha256: string }[]).map((v) => v.manifestSha256);
    const found = await Promise.all(
      volumes.map(async (v) => sha256((await readZip(v.location)).text('manifest-sha256.txt'))),
    );
    expect(found).toEqual(planned);
    expect(custody.filter((e) => e.event === 'ship_adopted').map((e) => e.data['location'])).toEqual([
      volumes[0]?.location,
    ]);
    expect((await verifyVolumeSet(volumes[0]?.location ?? '')).ok).toBe(true);
  });

  it("refuses a leftover volume that is not this run's evidence, and leaves it as it is", async () => {
    let uploads = 0;
    const killSecond = (s: FinishStep): void => {
      if (s === 'upload' && ++uploads === 1) throw new SimulatedKill('killed after the first volume');
    };
    await expect(run('foreign', volumeSpec, { afterFinishStep: killSecond })).rejects.toBeInstanceOf(
      SimulatedKill,
    );
    const folder = join(h.dir, 'foreign', 'out', 'test-job');
    const [runId] = await readdir(folder);
    const [leftover] = (await readdir(join(folder, runId ?? ''))).filter((f) => f.endsWith('.zip'));
    const path = join(folder, runId ?? '', leftover ?? '');
    // Another volume's bag (a valid zip of the same run id, another payload) in its place.
    const other = await readFile(split.archive?.volumes?.[2]?.location ?? '');
    await writeFile(path, other);
    const refused = await run('foreign', volumeSpec).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ExportError);
    expect((refused as ExportError).code).toBe('destination_exists');
    expect((refused as ExportError).message).toContain(path);
    expect(sha256(await readFile(path))).toBe(sha256(other));
    expect((await readdir(join(folder, runId ?? ''))).filter((f) => f.endsWith('.zip'))).toEqual([leftover]);
  });

  it('a fresh run finding a volume of its name at the destination refuses it, and keeps it', async () => {
    const [runId] = await readdir(join(h.dir, 'split', 'out', 'test-job'));
    const source = split.archive?.volumes?.[1]?.location ?? '';
    const target = join(
      h.dir,
      'squatted',
      'out',
      'test-job',
      runId ?? '',
      source.slice(source.lastIndexOf('/') + 1),
    );
    await mkdir(join(target, '..'), { recursive: true });
    await copyFile(source, target);
    const refused = await run('squatted', volumeSpec).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ExportError);
    expect((refused as ExportError).code).toBe('destination_exists');
    expect((refused as ExportError).message).toContain(target);
    expect(sha256(await readFile(target))).toBe(sha256(await readFile(source)));
  });

  it('verify of one volume checks the set and names a deleted volume; --no-group checks one', async () => {
    const volumes = split.archive?.volumes ?? [];
    const whole = await verifyVolumeSet(volumes[0]?.location ?? '');
    expect(whole.ok).toBe(true);
    expect(whole.volumes.map((v) => v.target)).toEqual(volumes.map((v) => v.location));
    const gone = volumes[1]?.location ?? '';
    await rm(gone);
    const broken = await verifyVolumeSet(volumes[0]?.location ?? '');
    expect(broken.ok).toBe(false);
    expect(broken.problems.map((p) => [p.code, p.path])).toEqual([['volume_missing', gone]]);
    const cli = await runCli(['verify', volumes[2]?.location ?? '', '--json']);
    expect(cli.code).toBe(1);
    expect((JSON.parse(cli.out) as { problems: { code: string; path: string }[] }).problems).toEqual([
      expect.objectContaining({ code: 'volume_missing', path: gone }),
    ]);
    const alone = await runCli(['verify', volumes[2]?.location ?? '', '--no-group', '--json']);
    expect(alone.code).toBe(0);
  });
});
