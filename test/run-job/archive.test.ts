import { execFileSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIdFromCut } from '../../src/archive/bag-input.js';
import { runJob, type RunJobResult } from '../../src/run-job.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { harness, instantSleep, type Harness } from './helpers.js';

describe('run → seal → ship → verify to a local destination', () => {
  let h: Harness;
  let result: RunJobResult;
  beforeAll(async () => {
    h = await harness();
    result = await runJob({ specPath: h.specPath, env: h.env, sleep: instantSleep, progress: 'off' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('writes <name>/<run-id>/<name>-<run-id>.zip with its sidecar, summary and custody log, verified', async () => {
    expect(result.exitCode).toBe(0);
    const runId = runIdFromCut(result.asOfCut!);
    const dir = join(h.dir, 'out', 'test-job', runId);
    expect(result.archive!.location).toBe(join(dir, `test-job-${runId}.zip`));
    expect(result.archive!.verified).toBe(true);
    const sidecar = await readFile(join(dir, `test-job-${runId}.zip.sha256`), 'utf8');
    expect(sidecar).toBe(`${result.archive!.zipSha256}  test-job-${runId}.zip\n`);
    expect((await stat(join(dir, 'summary.json'))).size).toBeGreaterThan(0);
    const custody = (await readFile(join(dir, 'custody.jsonl'), 'utf8')).trim().split('\n');
    expect(custody.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual([
      'run_start',
      'preflight',
      'stage_start',
      'stage_end',
      'stage_end',
      'requests',
      'seal',
      'upload',
      'readback',
      'verify',
    ]);
    const report = await verifyArchive(result.archive!.location);
    expect([report.ok, report.problems]).toEqual([true, []]);
    // An independent zip reader agrees.
    execFileSync('unzip', ['-tq', result.archive!.location]);
  });

  it('lists every payload file in items.csv and reports no gaps', async () => {
    const unzip = (name: string) =>
      execFileSync(
        'unzip',
        ['-p', result.archive!.location, `test-job-${runIdFromCut(result.asOfCut!)}/${name}`],
        {
          maxBuffer: 64 << 20,
        },
      ).toString('utf8');
    const summary = JSON.parse(unzip('reports/summary.json')) as {
      status: string;
      counts: { exceptions: number };
    };
    expect([summary.status, summary.counts.exceptions]).toEqual(['complete', 0]);
    const manifest = unzip('manifest-sha256.txt').trim().split('\n');
    const items = unzip('reports/items.csv').trim().split('\n').slice(1);
    const itemPaths = new Set(items.map((l) => l.split(',')[2]));
    // Manifests percent-encode %, CR and LF in paths (RFC 8493 §2.1.3).
    const decode = (p: string) => p.replace(/%0D/giu, '\r').replace(/%0A/giu, '\n').replace(/%25/gu, '%');
    const unlisted = manifest.map((l) => decode(l.split('  ')[1]!)).filter((p) => !itemPaths.has(p));
    expect(unlisted).toEqual([]);
    expect(manifest.some((l) => l.endsWith('data/directory/users.jsonl'))).toBe(true);
    expect(manifest.some((l) => l.endsWith('data/activities/activities.jsonl'))).toBe(true);
  });

  it('does not ship twice when the finished job is run again', async () => {
    const again = await runJob({ specPath: h.specPath, env: h.env, sleep: instantSleep, progress: 'off' });
    expect(again.exitCode).toBe(0);
    expect(again.archive).toEqual(result.archive);
  });
});
