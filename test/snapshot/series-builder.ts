/**
 * Real archives of a snapshot series for tests: sealed by the project's sealer (with a
 * `reports/inventory.jsonl` tag file, so the tag manifest covers it) and shipped to a real sink.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { sealBag } from '../../src/archive/seal-bag.js';
import { bufferTagFile } from '../../src/archive/render-reports.js';
import { shipArchive } from '../../src/sink/ship-archive.js';
import type { Sink, WrittenArchive } from '../../src/sink/sink.js';
import type { InventoryHeader, InventoryRecord } from '../../src/snapshot/types.js';
import { INVENTORY_JSONL } from '../../src/snapshot/types.js';
import { bagInput } from '../archive/fixtures.js';

export const NAME = 'hold';
export const SPEC = 'ab'.repeat(32);

/** `2026-11-22T10:13:00Z` → `20261122T101300Z`. */
export const runIdOf = (cut: string): string => cut.replace(/[-:]/gu, '').replace(/\.\d+/u, '');

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

export function record(id: string, heldBy: string, extra: Partial<InventoryRecord> = {}): InventoryRecord {
  const body = `chat ${id}\n`;
  return {
    type: 'record',
    kind: 'chat',
    id,
    updatedAt: '2026-11-01T00:00:00Z',
    createdAt: '2026-10-01T00:00:00Z',
    deletedAt: null,
    custodian: 'user_1',
    originalName: null,
    parent: null,
    refs: [],
    signals: null,
    hash: sha256(body),
    files: [
      {
        path: `chats/${id}.json`,
        sha256: sha256(body),
        md5: createHash('md5').update(body).digest('hex'),
        size: body.length,
      },
    ],
    row: null,
    endpoint: '/v1/compliance/apps/chats',
    heldBy,
    ...extra,
  };
}

export function header(
  runId: string,
  records: number,
  extra: Partial<InventoryHeader> = {},
): InventoryHeader {
  return {
    type: 'inventory',
    format: 1,
    name: NAME,
    runId,
    asOfCut: '2026-11-22T10:13:00Z',
    previous: null,
    specSha256: SPEC,
    records,
    ...extra,
  };
}

/** The JSONL text of an inventory of `ids` (all held by `runId`). */
export function inventoryText(runId: string, ids: string[]): string {
  const lines = [header(runId, ids.length), ...ids.map((id) => record(id, runId))];
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}

/**
 * Seals a run of job NAME at `cut` into `sink`: a payload file per id, and the inventory text
 * given (default: an inventory of `ids`; null: no inventory, an archive from before snapshots).
 */
export async function sealRun(
  sink: Sink,
  cut: string,
  ids: string[] = ['c1', 'c2'],
  inventory: string | null = inventoryText(runIdOf(cut), ids),
): Promise<{ runId: string; written: WrittenArchive; inventory: string | null }> {
  const runId = runIdOf(cut);
  const files = Object.fromEntries(ids.map((id) => [`chats/${id}.json`, Buffer.from(`chat ${id}\n`)]));
  const tags = [bufferTagFile('reports/summary.json', '{"status":"complete"}\n')];
  if (inventory !== null) tags.push(bufferTagFile(INVENTORY_JSONL, inventory));
  const input = { ...bagInput(files, tags, NAME), asOfCut: cut };
  const { written } = await shipArchive(sink, { name: NAME, runId }, sealBag(input));
  return { runId, written, inventory };
}

/**
 * Rewrites one entry of a zip in place with Python's zipfile (fresh CRC, so the zip stays sound):
 * the bag's manifests are left as they were, as a forger who cannot re-seal would.
 */
export function replaceEntry(zipPath: string, entry: string, bytes: string): void {
  execFileSync(
    'python3',
    [
      '-c',
      `
import shutil, sys, zipfile
src, entry, text = sys.argv[1], sys.argv[2], sys.argv[3]
tmp = src + ".tmp"
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w") as zout:
  for info in zin.infolist():
    data = zin.read(info.filename)
    if info.filename.split("/", 1)[1] == entry:
      data = text.encode()
    zout.writestr(info, data)
shutil.move(tmp, src)
`,
      zipPath,
      entry,
      bytes,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}
