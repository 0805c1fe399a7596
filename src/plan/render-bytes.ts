/**
 * The byte estimate and the disk checks as `plan` prints them (pure). Every byte figure carries
 * `≈` (bytes per item are assumed); counts carry `≈` only when they are assumed too. A filesystem
 * the run would fill gets one `WARNING:` line.
 */
import type { ByteEstimate, DiskCheck, DiskPlan, DiskWarning, ExportPlan } from './types.js';
import { formatBytes } from '../disk/free-space.js';

const approx = (bytes: number): string => `≈${formatBytes(bytes)}`;
const num = (n: number): string => n.toLocaleString('en-US');

const FILESYSTEM: Record<DiskCheck['filesystem'], string> = {
  state: 'state folder',
  destination: 'local destination',
  state_and_destination: 'state folder and local destination (one filesystem)',
};

function needParts(c: DiskCheck, disk: DiskPlan, shipped: number): string {
  const parts: string[] = [];
  if (c.filesystem !== 'destination') parts.push(`${approx(disk.toStage)} to stage`);
  if (c.filesystem !== 'state') parts.push(`${approx(shipped)} archive`);
  if (c.filesystem !== 'destination') parts.push(`${formatBytes(disk.minFree)} --min-free`);
  return parts.join(' + ');
}

/** The WARNING line of one filesystem the run would fill. */
export function warningLine(w: DiskWarning, disk: DiskPlan, shipped: number): string {
  const c = disk.checks.find((k) => k.filesystem === w.filesystem);
  const parts = c === undefined ? '' : ` (${needParts(c, disk, shipped)})`;
  return (
    `WARNING: ${FILESYSTEM[w.filesystem]} ${w.path} would fill: ${formatBytes(w.free)} free, ` +
    `a run needs ${approx(w.need)}${parts}; short by ${approx(w.short)}`
  );
}

function bytesSection(b: ByteEstimate, table: (rows: string[][]) => string[]): string[] {
  const rows = b.lines.map((l) => [
    l.item,
    `${l.countFrom === 'assumed' ? '≈' : ''}${num(l.count)}`,
    l.basis,
    `${approx(l.payloadPerItem)}${l.sizeFrom === 'assume' ? ' (--assume)' : ''}`,
    approx(l.staged),
    approx(l.shipped),
  ]);
  rows.push(
    ['request ledger', num(b.ledger.requests), 'estimated requests', '', approx(b.ledger.staged), '-'],
    [
      'production',
      '',
      'RSMF, transcripts, DAT: conversations and text-like natives again',
      '',
      approx(b.production.staged),
      approx(b.production.shipped),
    ],
    ['total', '', '', '', approx(b.staged), approx(b.shipped)],
  );
  return [
    '',
    'Estimated bytes (≈: no listing gives sizes; bytes per item assumed, override with --assume item=size):',
    ...table([['item', 'count', 'count from', 'per item', 'staged', 'shipped'], ...rows]).map(
      (l) => `  ${l}`,
    ),
    `  to stage: ${approx(b.staged)} in the state folder at its peak; after a verified ship ` +
      `state.retain ${b.retain} keeps ${approx(b.retained)}`,
    `  to ship: ${approx(b.shipped)} (the zip, compression ${b.compression})`,
    ...b.assumptions.map((a) => `    - ${a}`),
  ];
}

function diskSection(plan: ExportPlan): string[] {
  const disk = plan.disk;
  const out = ['', `Disk (--min-free ${formatBytes(disk.minFree)}):`];
  if (disk.alreadyStaged > 0)
    out.push(
      `  already staged: ${formatBytes(disk.alreadyStaged)} (measured); ${approx(disk.toStage)} left to stage`,
    );
  for (const c of disk.checks) {
    const free =
      c.free === null
        ? `free space unknown (${c.error ?? 'not read'})`
        : `${formatBytes(c.free)} free of ${formatBytes(c.total ?? 0)}`;
    const verdict = c.fits === null ? 'not checked' : c.fits ? 'fits' : 'DOES NOT FIT';
    out.push(
      `  ${FILESYSTEM[c.filesystem]} ${c.paths.join(', ')}: ${free}; needs ${approx(c.need)} ` +
        `(${needParts(c, disk, plan.bytes.shipped)}): ${verdict}`,
    );
  }
  if (disk.destination === 's3')
    out.push('  destination S3: streamed from the state folder, nothing lands locally (no free-space check)');
  for (const w of disk.warnings) out.push(warningLine(w, disk, plan.bytes.shipped));
  return out;
}

export function renderBytes(plan: ExportPlan, table: (rows: string[][]) => string[]): string[] {
  return [...bytesSection(plan.bytes, table), ...diskSection(plan)];
}
