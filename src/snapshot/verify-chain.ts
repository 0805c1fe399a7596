/**
 * `verify --chain`: beyond the bag checks of one archive, the chain its inventory names. For every
 * archive holding records of it (`heldBy`, same destination): it is there, it verifies on its own
 * (src/verify/verify-archive.ts), and its `manifest-sha256.txt` lists each referenced `data/<path>`
 * with the inventory's SHA-256; an aggregate's rows are checked line by line against its file.
 * Problems are returned with a code naming the run-id and path, never thrown.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportError } from '../errors.js';
import type { Sink } from '../sink/sink.js';
import type { ProblemCode, VerifyProblem } from '../verify/bag-source.js';
import { manifestLines } from '../verify/parse-tag-files.js';
import { verifyArchive, type VerifyOptions } from '../verify/verify-archive.js';
import { planChain, RowReader, type ChainPlan } from './chain-records.js';
import {
  copyTagFile,
  locateArchive,
  openStoredArchive,
  readInventory,
  type S3Access,
  type StoredArchive,
} from './stored-archive.js';
import { INVENTORY_JSONL } from './types.js';

const MAX_INVENTORY_BYTES = 4 * 1024 ** 3;
/** Problems named per archive before the rest are only counted (a wholly wrong archive). */
const MAX_PROBLEMS_PER_ARCHIVE = 50;

export interface ChainReport {
  /** Run-ids of the archives holding records, oldest first (empty when the inventory is unreadable). */
  readonly archives: readonly string[];
  readonly records: number;
  readonly problems: readonly VerifyProblem[];
}

export async function verifyChain(
  target: string,
  options: S3Access & Pick<VerifyOptions, 'client'>,
): Promise<ChainReport> {
  const { sink, ref } = locateArchive(target, options);
  const problems: VerifyProblem[] = [];
  const archive = await openStoredArchive(sink, ref);
  if (archive === null) {
    problems.push({ code: 'chain_missing', path: target, message: `archive ${ref.runId} is not there` });
    return { archives: [], records: 0, problems };
  }
  const work = await mkdtemp(join(tmpdir(), 'verify-chain-'));
  try {
    const inventoryPath = join(work, 'inventory.jsonl');
    let plan: ChainPlan;
    try {
      await copyTagFile(archive, INVENTORY_JSONL, inventoryPath, MAX_INVENTORY_BYTES);
      plan = await planChain(inventoryPath);
    } catch (error) {
      if (!(error instanceof ExportError) || error.code !== 'chain_broken') throw error;
      problems.push({ code: 'chain_mismatch', path: INVENTORY_JSONL, message: error.message });
      return { archives: [], records: 0, problems };
    }
    for (const runId of plan.archives) {
      const found: VerifyProblem[] = [];
      await checkHolder(sink, archive, runId, inventoryPath, options, found);
      problems.push(...found.slice(0, MAX_PROBLEMS_PER_ARCHIVE));
      if (found.length > MAX_PROBLEMS_PER_ARCHIVE) {
        const more = found.length - MAX_PROBLEMS_PER_ARCHIVE;
        problems.push({ code: 'chain_mismatch', message: `archive ${runId}: ${more} more problem(s)` });
      }
    }
    return { archives: plan.archives, records: plan.records, problems };
  } finally {
    await archive.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** One archive of the chain: there, valid (unless it is the target, already checked), and matching. */
async function checkHolder(
  sink: Sink,
  target: StoredArchive,
  runId: string,
  inventoryPath: string,
  options: S3Access & Pick<VerifyOptions, 'client'>,
  problems: VerifyProblem[],
): Promise<void> {
  const own = runId === target.ref.runId;
  const ref = { name: target.ref.name, runId };
  const archive = own ? target : await openStoredArchive(sink, ref);
  if (archive === null) {
    problems.push({
      code: 'chain_missing',
      path: sink.locationOf(ref),
      message: `archive ${runId} holds records of ${target.ref.runId} and is not there`,
    });
    return;
  }
  try {
    if (!own) {
      const report = await verifyArchive(archive.location, { ...options, sidecar: true });
      for (const p of report.problems) {
        problems.push({
          code: 'chain_invalid',
          path: archive.location,
          message: `archive ${runId}: ${p.code}${p.path === undefined ? '' : ` ${p.path}`}: ${p.message}`,
        });
      }
    }
    await checkListed(archive, inventoryPath, problems);
  } finally {
    if (!own) await archive.close();
  }
}

/** Each record `archive` holds is in its manifest with the inventory's hash; each row in its file. */
async function checkListed(
  archive: StoredArchive,
  inventoryPath: string,
  problems: VerifyProblem[],
): Promise<void> {
  const runId = archive.ref.runId;
  const manifest = await readManifest(archive);
  if (manifest === null) {
    problems.push({
      code: 'chain_missing',
      path: 'manifest-sha256.txt',
      message: `archive ${runId}: no manifest`,
    });
    return;
  }
  const files = new Map(archive.source.files.map((f) => [f.path, f]));
  const rows = new RowReader(archive, files);
  const failed = new Set<string>();
  const problem = (code: ProblemCode, path: string, message: string): void => {
    problems.push({ code, path, message: `archive ${runId}: ${message}` });
  };
  try {
    for await (const line of readInventory(inventoryPath)) {
      if (line.type !== 'record' || line.heldBy !== runId) continue;
      for (const f of line.files) {
        const listed = manifest.get(`data/${f.path}`);
        if (listed === undefined)
          problem('chain_missing', `data/${f.path}`, `${line.kind} ${line.id}: not in the manifest`);
        else if (listed !== f.sha256)
          problem(
            'chain_mismatch',
            `data/${f.path}`,
            `${line.kind} ${line.id}: manifest ${listed}, inventory ${f.sha256}`,
          );
      }
      if (line.row === null || failed.has(line.row.aggregate)) continue;
      const path = `data/${line.row.aggregate}`;
      if (!manifest.has(path)) {
        problem('chain_missing', path, 'aggregate not in the manifest');
        failed.add(line.row.aggregate);
        continue;
      }
      try {
        const bytes = await rows.next(line.row.aggregate, `${line.kind} ${line.id}`);
        const sha256 = createHash('sha256').update(bytes).update('\n').digest('hex');
        if (sha256 !== line.row.sha256 || bytes.length + 1 !== line.row.size)
          problem(
            'chain_mismatch',
            path,
            `row ${line.kind} ${line.id}: line ${sha256}, inventory ${line.row.sha256}`,
          );
      } catch (error) {
        if (!(error instanceof ExportError)) throw error;
        problems.push({ code: 'chain_mismatch', path, message: error.message });
        failed.add(line.row.aggregate);
        await rows.close();
      }
    }
    await rows.finish();
  } catch (error) {
    if (!(error instanceof ExportError) || error.code !== 'chain_broken') throw error;
    problems.push({ code: 'chain_mismatch', message: error.message });
  } finally {
    await rows.close();
  }
}

/** The archive's payload manifest, path → SHA-256 (one archive's at a time). */
async function readManifest(archive: StoredArchive): Promise<Map<string, string> | null> {
  const file = archive.source.files.find((f) => f.path === 'manifest-sha256.txt');
  if (file === undefined) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of await archive.source.open(file)) chunks.push(chunk as Buffer);
  const map = new Map<string, string>();
  for (const l of manifestLines(Buffer.concat(chunks).toString('utf8'))) {
    if (l.checksum !== null) map.set(l.path, l.checksum);
  }
  return map;
}
