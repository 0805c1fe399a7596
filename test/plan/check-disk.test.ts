/** checkDisk is pure: the run's own arithmetic (stage + floor, then the zip) against given free space. */
import { describe, expect, it } from 'vitest';
import { checkDisk } from '../../src/plan/check-disk.js';
import { renderPlan, type ByteEstimate, type DiskReading } from '../../src/plan/index.js';
import { spec, survey } from './hand-survey.js';
import { buildPlan } from '../../src/plan/index.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const bytes = { staged: 300 * MiB, shipped: 100 * MiB } as ByteEstimate;
const at = (path: string, free: number | null, device: number | null): DiskReading => ({
  path,
  free,
  total: free === null ? null : 2 * free + GiB,
  device,
});

describe('checkDisk', () => {
  it('one filesystem for state and destination: stage + zip + floor, one warning when short', () => {
    const d = checkDisk(
      bytes,
      { state: at('/s', 1 * GiB, 7), destination: at('/out', 1 * GiB, 7), alreadyStaged: 0 },
      GiB,
    );
    expect(d.checks.map((c) => [c.filesystem, c.need, c.fits])).toEqual([
      ['state_and_destination', 400 * MiB + GiB, false],
    ]);
    expect(d.warnings).toEqual([
      {
        code: 'disk_short',
        filesystem: 'state_and_destination',
        path: '/s',
        free: GiB,
        need: 400 * MiB + GiB,
        short: 400 * MiB,
      },
    ]);
  });

  it('two filesystems: the state side needs stage + floor, the destination the zip only', () => {
    const d = checkDisk(
      bytes,
      { state: at('/s', 2 * GiB, 1), destination: at('/out', 50 * MiB, 2), alreadyStaged: 0 },
      GiB,
    );
    expect(d.checks.map((c) => [c.filesystem, c.need, c.fits])).toEqual([
      ['state', 300 * MiB + GiB, true],
      ['destination', 100 * MiB, false],
    ]);
    expect(d.warnings.map((w) => [w.filesystem, w.path, w.short])).toEqual([
      ['destination', '/out', 50 * MiB],
    ]);
  });

  it('an S3 destination has no check; what is already staged is not needed again', () => {
    const d = checkDisk(
      bytes,
      { state: at('/s', GiB + 200 * MiB, 1), destination: null, alreadyStaged: 120 * MiB },
      GiB,
    );
    expect([d.destination, d.toStage, d.alreadyStaged]).toEqual(['s3', 180 * MiB, 120 * MiB]);
    expect(d.checks.map((c) => [c.filesystem, c.need, c.fits])).toEqual([['state', 180 * MiB + GiB, true]]);
    expect(d.warnings).toEqual([]);
    const over = checkDisk(
      bytes,
      { state: at('/s', GiB, 1), destination: null, alreadyStaged: 900 * MiB },
      GiB,
    );
    expect(over.toStage).toBe(0);
  });

  it('leaves a check open, without a warning, when the free space could not be read', () => {
    const d = checkDisk(
      bytes,
      { state: { ...at('/s', null, null), error: 'statfs /s: EACCES' }, destination: null, alreadyStaged: 0 },
      GiB,
    );
    expect(d.checks.map((c) => [c.fits, c.error])).toEqual([[null, 'statfs /s: EACCES']]);
    expect(d.warnings).toEqual([]);
  });

  it('prints one WARNING line per short filesystem, none when it fits', () => {
    const short = survey({
      disk: { state: at('/state', 10 * MiB, 3), destination: null, alreadyStaged: 0 },
    });
    const p = buildPlan({ spec: spec(), specSha256: 'ab'.repeat(32), file: 'job.yaml', survey: short });
    expect(p.disk.warnings.map((w) => [w.path, w.free, w.need])).toEqual([
      ['/state', 10 * MiB, p.bytes.staged + GiB],
    ]);
    const lines = renderPlan(p).split('\n');
    expect(lines.filter((l) => l.startsWith('WARNING: ')).length).toBe(1);
    expect(lines.find((l) => l.startsWith('WARNING: '))).toContain('/state');
    const fits = buildPlan({ spec: spec(), specSha256: 'ab'.repeat(32), file: 'job.yaml', survey: survey() });
    expect(
      renderPlan(fits)
        .split('\n')
        .filter((l) => l.startsWith('WARNING: ')),
    ).toEqual([]);
  });
});
