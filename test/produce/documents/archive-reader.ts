/**
 * Independent readers of a sealed archive for the production tests: the zip through yauzl (not
 * our zip code), the load file through csv-parse (not our writer), the manifest as sha256sum reads
 * it. Nothing here imports the product.
 */
import { parse } from 'csv-parse/sync';
import yauzl from 'yauzl';

/** Every entry of a zip, by name relative to the bag folder (`data/...`, `reports/...`). */
export function readZip(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err !== null || zip === undefined) return reject(err ?? new Error(`${path}: unreadable`));
      const entries = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e !== null || stream === undefined) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.set(entry.fileName.slice(entry.fileName.indexOf('/') + 1), Buffer.concat(chunks));
            zip.readEntry();
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** `manifest-sha256.txt` as path → sha256 (paths as written: no payload name here needs decoding). */
export function manifestOf(entries: Map<string, Buffer>): Map<string, string> {
  const text = entries.get('manifest-sha256.txt')!.toString('utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const at = line.indexOf('  ');
    out.set(line.slice(at + 2), line.slice(0, at));
  }
  return out;
}

/** A Concordance DAT (þ-qualified, DC4-separated, CRLF rows) as header → value objects. */
export function parseDat(bytes: Buffer): Record<string, string>[] {
  return parse<Record<string, string>>(bytes.toString('utf8'), {
    delimiter: '\u0014',
    quote: '\u00fe',
    escape: null,
    record_delimiter: '\r\n',
    columns: true,
    relax_column_count: false,
  });
}

/** An RFC 4180 CSV as header → value objects. */
export function parseCsv(bytes: Buffer): Record<string, string>[] {
  return parse<Record<string, string>>(bytes.toString('utf8'), { columns: true });
}
