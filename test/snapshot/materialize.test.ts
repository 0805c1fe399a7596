/**
 * `materialize` and `verify --chain` on a real full archive: `compliance-export run` against the
 * small sandbox over loopback, then the archive rebuilt from its inventory and compared with the
 * original by independent readers (yauzl, our hashes of the bytes it hands back), and hostile
 * copies written by Python's zipfile: a payload entry changed (manifests re-hashed, so the copy
 * still passes a bag check), a record held by an archive the destination does not have, an
 * inventory hash the manifest contradicts.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { runCli } from '../cli/run-cli.js';
import { manifestOf, readZip } from '../produce/documents/archive-reader.js';
import { harness, type Harness } from '../run-job/helpers.js';
import { rewriteArchive } from './rewrite-archive.js';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const MISSING_RUN = '20200101T000000Z';

interface InventoryLine {
  type: string;
  kind?: string;
  id?: string;
  files?: { path: string; sha256: string }[];
  row?: { aggregate: string } | null;
  heldBy?: string;
}

let h: Harness;
let zip: string;
let runId: string;
let entries: Map<string, Buffer>;
let inventory: InventoryLine[];
/** The first record with a payload file, and that file's bag path. */
let victim: { index: number; path: string };

const inventoryText = (lines: readonly InventoryLine[]): string =>
  lines.map((l) => `${JSON.stringify(l)}\n`).join('');

beforeAll(async () => {
  h = await harness();
  const run = await runCli(['run', h.specPath, '--progress', 'off'], { env: h.env });
  const location = /^archive: (.+)$/mu.exec(run.out)?.[1];
  if (location === undefined) throw new Error(`no archive in the run summary:\n${run.out}\n${run.err}`);
  zip = location;
  runId = basename(dirname(zip));
  entries = await readZip(zip);
  inventory = entries
    .get('reports/inventory.jsonl')!
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as InventoryLine);
  const index = inventory.findIndex((l) => l.type === 'record' && (l.files?.length ?? 0) > 0);
  victim = { index, path: `data/${inventory[index]!.files![0]!.path}` };
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('materialize of a full archive', () => {
  let out: string;
  let full: string;

  it('writes <name>-<run-id>-full.zip whose payload manifest is the original, verified', async () => {
    out = join(h.dir, 'materialized', 'full');
    const umask = process.umask(0o000); // the modes must not depend on it
    const r = await runCli(['materialize', zip, '--out', out]).finally(() => process.umask(umask));
    expect(r.code, r.err).toBe(0);
    full = join(out, `test-job-${runId}-full.zip`);
    expect(r.out).toBe(`${full}\n`);
    const rebuilt = await readZip(full);
    expect(rebuilt.get('manifest-sha256.txt')!.equals(entries.get('manifest-sha256.txt')!)).toBe(true);
    // Every payload file yauzl hands back hashes to its manifest line, review copy included.
    const manifest = manifestOf(rebuilt);
    expect([...manifest.keys()].some((p) => p.startsWith('data/review/'))).toBe(true);
    for (const [path, hash] of manifest) expect(sha256(rebuilt.get(path)!), path).toBe(hash);
    expect(rebuilt.get('bag-info.txt')!.toString('utf8')).toContain(`Snapshot-Materialized-From: ${runId}\n`);
    // The same records at the same cut: the rebuilt archive's own inventory is the original's.
    expect(rebuilt.get('reports/inventory.jsonl')!.equals(entries.get('reports/inventory.jsonl')!)).toBe(
      true,
    );
    const report = await verifyArchive(full);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(await readFile(`${full}.sha256`, 'utf8')).toBe(
      `${sha256(await readFile(full))}  test-job-${runId}-full.zip\n`,
    );
    expect((await stat(full)).mode & 0o777).toBe(0o600);
    expect((await stat(`${full}.sha256`)).mode & 0o777).toBe(0o600);
    expect((await stat(out)).mode & 0o777).toBe(0o700);
    expect((await stat(dirname(out))).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('refuses to write over an existing output', async () => {
    const before = sha256(await readFile(full));
    const r = await runCli(['materialize', zip, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('destination_exists');
    expect(r.err).toContain(full);
    expect(sha256(await readFile(full))).toBe(before);
  });

  it('refuses when only the sidecar is there', async () => {
    const other = join(h.dir, 'materialized', 'sidecar-only');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, `test-job-${runId}-full.zip.sha256`), 'x');
    const r = await runCli(['materialize', zip, '--out', other]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('destination_exists');
  });
});

describe('usage', () => {
  it('exits 2 and creates nothing for a target that is not there, or without --out', async () => {
    const out = join(h.dir, 'never-created');
    const missing = join(h.dir, 'out', 'test-job', MISSING_RUN, `test-job-${MISSING_RUN}.zip`);
    const r = await runCli(['materialize', missing, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(missing);
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await runCli(['materialize', zip])).code).toBe(2);
  });
});

describe('a broken chain', () => {
  it('a tampered payload entry (manifests re-hashed) → chain_broken naming the archive and path', async () => {
    const original = entries.get(victim.path)!;
    const tampered = Buffer.from(original);
    tampered[0] = tampered[0]! ^ 0x01;
    const root = join(h.dir, 'tampered');
    const copy = await rewriteArchive(
      zip,
      root,
      { name: 'test-job', runId },
      { replace: { [victim.path]: tampered }, rehash: true },
    );
    // The copy is a valid bag: only the inventory can tell.
    expect((await verifyArchive(copy)).problems).toEqual([]);
    const r = await runCli(['materialize', copy, '--out', join(h.dir, 'tampered-out')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('chain_broken');
    expect(r.err).toContain(`archive ${runId}: ${victim.path}:`);
    expect(r.err).toContain(sha256(tampered));
  });

  it('a record held by an archive the destination lacks → chain_broken naming its run-id', async () => {
    const lines = inventory.map((l, i) => (i === victim.index ? { ...l, heldBy: MISSING_RUN } : l));
    const root = join(h.dir, 'orphan');
    const copy = await rewriteArchive(
      zip,
      root,
      { name: 'test-job', runId },
      { replace: { 'reports/inventory.jsonl': inventoryText(lines) }, rehash: true },
    );
    expect((await verifyArchive(copy)).problems).toEqual([]);
    const r = await runCli(['materialize', copy, '--out', join(h.dir, 'orphan-out')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('chain_broken');
    expect(r.err).toContain(`archive ${MISSING_RUN} `);

    const v = await runCli(['verify', copy, '--chain', '--json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.out) as { problems: { code: string; path?: string; message: string }[] };
    const missing = report.problems.filter((p) => p.code === 'chain_missing');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.path).toContain(`/test-job/${MISSING_RUN}/test-job-${MISSING_RUN}.zip`);
  });
});

describe('verify --chain', () => {
  it('passes a full archive: every record listed with its hash', async () => {
    const v = await runCli(['verify', zip, '--chain', '--json']);
    expect(v.code, v.out).toBe(0);
    const report = JSON.parse(v.out) as { ok: boolean; chain: { archives: string[]; records: number } };
    expect(report.chain.archives).toEqual([runId]);
    expect(report.chain.records).toBe(inventory.length - 1);
  });

  it('an inventory hash the manifest contradicts → chain_mismatch naming the path', async () => {
    const wrong = '0'.repeat(64);
    const lines = inventory.map((l, i) =>
      i === victim.index
        ? { ...l, files: l.files!.map((f, j) => (j === 0 ? { ...f, sha256: wrong } : f)) }
        : l,
    );
    const copy = await rewriteArchive(
      zip,
      join(h.dir, 'mismatch'),
      { name: 'test-job', runId },
      { replace: { 'reports/inventory.jsonl': inventoryText(lines) }, rehash: true },
    );
    const v = await runCli(['verify', copy, '--chain', '--json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.out) as { problems: { code: string; path?: string }[] };
    expect(report.problems.map((p) => [p.code, p.path])).toEqual([['chain_mismatch', victim.path]]);
  });

  it('a changed aggregate row → chain_mismatch naming the aggregate', async () => {
    const row = inventory.find((l) => l.type === 'record' && l.row !== null && l.row !== undefined)!;
    const path = `data/${row.row!.aggregate}`;
    // Same size (Payload-Oxum holds), manifests re-hashed: a valid bag whose first line changed.
    const text = entries.get(path)!.toString('utf8');
    const at = text.indexOf('a');
    expect(at).toBeGreaterThan(-1);
    expect(at).toBeLessThan(text.indexOf('\n'));
    const copy = await rewriteArchive(
      zip,
      join(h.dir, 'row'),
      { name: 'test-job', runId },
      { replace: { [path]: `${text.slice(0, at)}b${text.slice(at + 1)}` }, rehash: true },
    );
    const v = await runCli(['verify', copy, '--chain', '--json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.out) as { problems: { code: string; path?: string }[] };
    expect(report.problems.map((p) => [p.code, p.path])).toEqual([['chain_mismatch', path]]);
    const m = await runCli(['materialize', copy, '--out', join(h.dir, 'row-out')]);
    expect(m.code).toBe(1);
    expect(m.err).toContain(`chain_broken: archive ${runId}: ${path}: row ${row.kind} ${row.id}`);
  });
});
