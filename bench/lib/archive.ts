/**
 * Read a sealed archive the way a recipient would: find the zip a local destination received,
 * list its entries and read them through the verifier's zip reader (CRC-checked).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openLocalZip } from '../../src/verify/zip-source.js';

export interface OpenArchive {
  readonly zipPath: string;
  /** Entry paths relative to the bag root (`manifest-sha256.txt`, `data/…`, `reports/…`). */
  readonly paths: readonly string[];
  text(path: string): Promise<string>;
  close(): Promise<void>;
}

/** The one `.zip` under a local destination folder. */
export async function findZip(outDir: string): Promise<string> {
  const entries = await readdir(outDir, { recursive: true });
  const zips = entries.filter((e) => e.endsWith('.zip'));
  if (zips.length !== 1) throw new Error(`${outDir}: expected one .zip, found ${zips.length}`);
  return join(outDir, zips[0]!);
}

export async function openArchive(outDir: string): Promise<OpenArchive> {
  return openZip(await findZip(outDir));
}

/** The archive at `zipPath` (a destination holding a series has several zips). */
export async function openZip(zipPath: string): Promise<OpenArchive> {
  const source = await openLocalZip(zipPath);
  if (source.problems.length > 0) {
    await source.close();
    throw new Error(`${zipPath}: ${source.problems.map((p) => p.message).join('; ')}`);
  }
  const byPath = new Map(source.files.map((f) => [f.path, f]));
  return {
    zipPath,
    paths: source.files.map((f) => f.path),
    text: async (path) => {
      const file = byPath.get(path);
      if (file === undefined) throw new Error(`${zipPath}: no entry ${path}`);
      const chunks: Buffer[] = [];
      for await (const chunk of await source.open(file)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    close: () => source.close(),
  };
}

/** The payload manifest of the archive under `outDir`. */
export async function readManifest(outDir: string): Promise<string> {
  const archive = await openArchive(outDir);
  try {
    return await archive.text('manifest-sha256.txt');
  } finally {
    await archive.close();
  }
}
