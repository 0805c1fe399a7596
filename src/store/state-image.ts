/**
 * The state image (`state.image` in the job folder): everything the journal's replay builds, as of
 * a line boundary of the journal, so opening the state reads the image and replays only the lines
 * after it. At 100,000 chats the journal is ~600 MB and its replay took most of a restart's time.
 *
 * The image is a cache of the journal, never the record: it is written only over lines already
 * written and fsynced, and an image that is missing, damaged, of another format, or that does not
 * match the journal it claims to cover is ignored (with its reason) and the whole journal is
 * replayed, which gives the same state.
 *
 * Layout: `CXIMAGE1`, a 4-byte little-endian header length, the header (JSON: the journal bytes
 * covered and hashes of their first and last 64 KiB, the store's tables, the index's entry count
 * and kind names), the index arrays (fp, offLow, len, offHigh, flags: little-endian), and the
 * SHA-256 of everything before it.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ExportError } from '../errors.js';
import { readRegularFile, writePrivateFile } from '../local-files.js';
import type { BaseImage } from './base-records.js';
import { isFingerprintKey } from './item-fingerprint.js';
import type { IndexImage } from './item-index-layout.js';
import type { JournalLine, StoreStats } from './types.js';

/** What replay built besides the index: tables as the journal lines that rebuild them. */
export interface StoreTables {
  readonly stats: StoreStats;
  /** Exception, drift, checkpoint and meta lines, in the order that rebuilds each table's order. */
  readonly lines: readonly JournalLine[];
  readonly base: BaseImage;
}

/** A state as of `upTo`: every journal line before that byte, none after. */
export interface StateImage {
  readonly upTo: number;
  readonly tables: StoreTables;
  readonly index: IndexImage;
}

export type ImageRead =
  | { readonly status: 'absent' }
  | { readonly status: 'ignored'; readonly cause: string }
  | { readonly status: 'used'; readonly image: StateImage };

const MAGIC = Buffer.from('CXIMAGE1', 'latin1');
const FORMAT = 1;
/** Bytes at each end of the covered journal whose hashes tie the image to that journal. */
const WINDOW = 64 * 1024;
/** An image larger than this is not read (the index of ~40 million items). */
const MAX_IMAGE_BYTES = 1024 * 1024 * 1024;

interface Header {
  readonly format: number;
  readonly journal: { readonly upTo: number; readonly head: string; readonly tail: string };
  readonly key: string | null;
  readonly count: number;
  readonly kinds: readonly string[];
  readonly tables: StoreTables;
}

const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

/** SHA-256 of the journal's first and last WINDOW bytes below `upTo` (null: the file is shorter). */
async function journalWindows(
  journalPath: string,
  upTo: number,
): Promise<{ head: string; tail: string } | null> {
  const fh = await open(journalPath, 'r');
  try {
    if ((await fh.stat()).size < upTo) return null;
    const read = async (from: number, length: number): Promise<Buffer> => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, from);
      return buf.subarray(0, bytesRead);
    };
    const head = await read(0, Math.min(WINDOW, upTo));
    const tail = await read(Math.max(0, upTo - WINDOW), Math.min(WINDOW, upTo));
    // The image ends on a line boundary.
    if (upTo > 0 && tail[tail.byteLength - 1] !== 0x0a) return null;
    return { head: sha256(head), tail: sha256(tail) };
  } finally {
    await fh.close();
  }
}

const ARRAYS = ['fp', 'offLow', 'len', 'offHigh', 'flags'] as const;

/**
 * Write `image` to `path` (0600) through `temp` in the same file system: written, fsynced, renamed,
 * the folder fsynced. The journal must already hold (written and fsynced) every byte below
 * `image.upTo`. Returns the image's size in bytes.
 */
export async function writeStateImage(
  path: string,
  temp: string,
  journalPath: string,
  image: StateImage,
): Promise<number> {
  const windows = await journalWindows(journalPath, image.upTo);
  if (windows === null)
    throw new ExportError('internal', `${journalPath}: shorter than the image it would cover`);
  const header: Header = {
    format: FORMAT,
    journal: { upTo: image.upTo, ...windows },
    key: image.index.key,
    count: image.index.count,
    kinds: image.index.kinds,
    tables: image.tables,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.byteLength);
  const parts = [MAGIC, length, headerBytes, ...ARRAYS.map((name) => littleEndian(image.index[name]))];
  const total = parts.reduce((sum, part) => sum + part.byteLength, 32);
  if (total > MAX_IMAGE_BYTES)
    throw new ExportError('internal', `a state image of ${total} bytes would not be read`);
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  parts.push(hash.digest());
  return writePrivateFile(path, temp, parts);
}

/** A typed array's bytes in little-endian order (a copy only on a big-endian machine). */
function littleEndian(a: Uint32Array | Uint16Array | Uint8Array): Buffer {
  const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  if (a.BYTES_PER_ELEMENT === 1 || IS_LITTLE_ENDIAN) return bytes;
  const copy = Buffer.from(bytes);
  return a.BYTES_PER_ELEMENT === 4 ? copy.swap32() : copy.swap16();
}

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Read the image at `path` and check it against the journal: `absent`, `ignored` with the cause
 * (anything wrong with the image, including a file that is not a regular one or cannot be read),
 * or `used`. Only a journal that cannot be read is an error. A torn journal tail, cut later by the
 * replay, lies after the bytes an image covers.
 */
export async function readStateImage(path: string, journalPath: string): Promise<ImageRead> {
  const read = await readRegularFile(path, MAX_IMAGE_BYTES);
  if ('absent' in read) return { status: 'absent' };
  if ('tooLarge' in read) return { status: 'ignored', cause: `${read.tooLarge} bytes, over the limit` };
  if ('cause' in read) return { status: 'ignored', cause: read.cause };
  const buf = read.bytes;
  const parsed = parseImage(buf);
  if (typeof parsed === 'string') return { status: 'ignored', cause: parsed };
  const { header, arrays } = parsed;
  let windows: { head: string; tail: string } | null;
  try {
    windows = await journalWindows(journalPath, header.journal.upTo);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'ignored', cause: 'no journal' };
    throw new ExportError('store_corrupt', `${journalPath}: unreadable journal`, { cause: error });
  }
  if (windows === null || windows.head !== header.journal.head || windows.tail !== header.journal.tail) {
    return {
      status: 'ignored',
      cause: `the journal does not hold the ${header.journal.upTo} bytes it covers`,
    };
  }
  return {
    status: 'used',
    image: {
      upTo: header.journal.upTo,
      tables: header.tables,
      index: { key: header.key, count: header.count, kinds: header.kinds, ...arrays },
    },
  };
}

type ParsedImage = { header: Header; arrays: Pick<IndexImage, (typeof ARRAYS)[number]> };

/** The image's header and arrays, or what is wrong with it. */
function parseImage(buf: Buffer): ParsedImage | string {
  if (buf.byteLength < MAGIC.byteLength + 4 + 32 || !buf.subarray(0, MAGIC.byteLength).equals(MAGIC)) {
    return 'not a state image of this format';
  }
  const body = buf.subarray(0, buf.byteLength - 32);
  if (!createHash('sha256').update(body).digest().equals(buf.subarray(body.byteLength))) {
    return 'its checksum does not match (damaged or cut short)';
  }
  const headerLength = body.readUInt32LE(MAGIC.byteLength);
  const headerEnd = MAGIC.byteLength + 4 + headerLength;
  if (headerEnd > body.byteLength) return 'its header runs past its end';
  let header: Header;
  try {
    header = JSON.parse(body.subarray(MAGIC.byteLength + 4, headerEnd).toString('utf8')) as Header;
  } catch {
    return 'its header is not JSON';
  }
  const problem = headerProblem(header);
  if (problem !== null) return problem;
  const n = header.count;
  if (body.byteLength - headerEnd !== n * 12) return `its arrays do not hold ${n} entries`;
  let at = headerEnd;
  // Copied into fresh arrays: aligned whatever the offset in the file, and not views of `buf`.
  const take = <T extends Uint32Array | Uint16Array | Uint8Array>(make: (n: number) => T): T => {
    const a = make(n);
    const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    body.copy(bytes, 0, at, at + a.byteLength);
    at += a.byteLength;
    if (!IS_LITTLE_ENDIAN && a.BYTES_PER_ELEMENT === 4) bytes.swap32();
    if (!IS_LITTLE_ENDIAN && a.BYTES_PER_ELEMENT === 2) bytes.swap16();
    return a;
  };
  const fp = take((k) => new Uint32Array(k));
  const offLow = take((k) => new Uint32Array(k));
  const len = take((k) => new Uint16Array(k));
  const offHigh = take((k) => new Uint8Array(k));
  const flags = take((k) => new Uint8Array(k));
  return { header, arrays: { fp, offLow, len, offHigh, flags } };
}

function headerProblem(h: Header): string | null {
  if (typeof h !== 'object' || h === null) return 'its header is not an object';
  if (h.format !== FORMAT) return `format ${String(h.format)}, this version reads ${FORMAT}`;
  const j = h.journal as Partial<Header['journal']> | undefined;
  if (
    typeof j !== 'object' ||
    j === null ||
    !Number.isSafeInteger(j.upTo) ||
    (j.upTo as number) < 0 ||
    typeof j.head !== 'string' ||
    typeof j.tail !== 'string'
  ) {
    return 'its header does not say which journal bytes it covers';
  }
  if (!Number.isSafeInteger(h.count) || h.count < 0) return 'its header has no entry count';
  if (!isFingerprintKey(h.key)) return 'its header has no fingerprint key';
  if (!Array.isArray(h.kinds) || h.kinds.some((k) => typeof k !== 'string')) return 'its header has no kinds';
  const t = h.tables as Partial<StoreTables> | undefined;
  if (typeof t !== 'object' || t === null || !Array.isArray(t.lines) || typeof t.base !== 'object') {
    return 'its header has no tables';
  }
  const s = t.stats as Partial<Record<keyof StoreStats, unknown>> | undefined;
  const counts = ['records', 'versions', 'duplicates', 'stale', 'excluded'] as const;
  if (typeof s !== 'object' || s === null || counts.some((c) => !Number.isSafeInteger(s[c]))) {
    return 'its header has no store counts';
  }
  return null;
}
