/**
 * An independent reader of a sealed zip for the volume tests: yauzl (not our zip code) and
 * csv-parse (not our writer). Nothing here imports the product.
 */
import { parse } from 'csv-parse/sync';
import yauzl from 'yauzl';

export interface ReadZip {
  /** The one top-level folder. */
  readonly folder: string;
  /** Entries relative to the folder, in zip order, with their uncompressed sizes. */
  readonly entries: readonly { path: string; size: number }[];
  readonly paths: readonly string[];
  text(path: string): string;
  csv(path: string): Record<string, string>[];
}

export function readZip(path: string): Promise<ReadZip> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err !== null || zip === undefined) return reject(err ?? new Error(`${path}: unreadable`));
      const bytes = new Map<string, Buffer>();
      const entries: { path: string; size: number }[] = [];
      const folders = new Set<string>();
      zip.on('entry', (entry: yauzl.Entry) => {
        const slash = entry.fileName.indexOf('/');
        folders.add(entry.fileName.slice(0, slash));
        const rel = entry.fileName.slice(slash + 1);
        entries.push({ path: rel, size: entry.uncompressedSize });
        // Only tag files are kept in memory; payload bytes are read and dropped (CRC still checked).
        zip.openReadStream(entry, (e, stream) => {
          if (e !== null || stream === undefined) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => {
            if (!rel.startsWith('data/')) chunks.push(c);
          });
          stream.on('end', () => {
            bytes.set(rel, Buffer.concat(chunks));
            zip.readEntry();
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => {
        if (folders.size !== 1) return reject(new Error(`${path}: ${folders.size} top-level folders`));
        const text = (p: string): string => {
          const b = bytes.get(p);
          if (b === undefined) throw new Error(`${path}: no ${p}`);
          return b.toString('utf8');
        };
        resolve({
          folder: [...folders][0] ?? '',
          entries,
          paths: entries.map((e) => e.path),
          text,
          csv: (p) => parse<Record<string, string>>(text(p), { columns: true }),
        });
      });
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
