/**
 * A small deterministic zip writer for `rsmf.zip`: entries in the order given, a fixed timestamp
 * (1980-01-01 00:00, the earliest a zip can say), UTF-8 names (flag bit 11), no extra fields, no
 * comments. Each entry is deflated at a fixed level, or stored when deflate does not make it
 * smaller. The same entries give the same bytes (given the same zlib build, as within one run
 * and one tool version). No zip64: an rsmf.zip past 4 GiB or 65,535 entries is refused.
 */
import { deflateRawSync } from 'node:zlib';
import CRC32 from 'crc-32';
import { ExportError } from '../../errors.js';

/** An entry whose bytes are read when the writer reaches it (one attachment in memory raw at a time). */
export interface ZipEntry {
  readonly name: string;
  readonly read: () => Promise<Buffer>;
}

/**
 * A zip held as its pieces (headers, names, entry bodies) in order, never joined: the message
 * around it is written from them straight into its own buffer, so the zip's bytes are held once.
 */
export interface ZipPieces {
  readonly chunks: readonly Buffer[];
  readonly size: number;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const VERSION = 20;
const UTF8_NAMES = 0x0800;
const DOS_TIME = 0;
/** 1980-01-01: day 1, month 1, year 0 (since 1980). */
const DOS_DATE = (1 << 5) | 1;
const DEFLATE_LEVEL = 6;
const MAX_ENTRIES = 0xffff;
const MAX_OFFSET = 0xffffffff;

interface Packed {
  readonly name: Buffer;
  readonly method: 0 | 8;
  readonly crc: number;
  readonly size: number;
  readonly body: Buffer;
  readonly offset: number;
}

/** The zip file holding `entries` (names must be unique; the caller guarantees it), as pieces. */
export async function zipPieces(entries: readonly ZipEntry[], where: string): Promise<ZipPieces> {
  if (entries.length > MAX_ENTRIES) {
    throw new ExportError(
      'archive_error',
      `${where}: rsmf.zip would hold ${entries.length} entries, over 65,535`,
    );
  }
  const chunks: Buffer[] = [];
  const packed: Packed[] = [];
  let offset = 0;
  for (const entry of entries) {
    // Read, packed, and let go: only the body kept (the deflated bytes, or the data when stored).
    const data = await entry.read();
    const deflated = deflateRawSync(data, { level: DEFLATE_LEVEL });
    const stored = deflated.length >= data.length;
    const p: Packed = {
      name: Buffer.from(entry.name, 'utf8'),
      method: stored ? 0 : 8,
      crc: CRC32.buf(data) >>> 0,
      size: data.length,
      body: stored ? data : deflated,
      offset,
    };
    const header = Buffer.alloc(30);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(UTF8_NAMES, 6);
    header.writeUInt16LE(p.method, 8);
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    header.writeUInt32LE(p.crc, 14);
    header.writeUInt32LE(p.body.length, 18);
    header.writeUInt32LE(p.size, 22);
    header.writeUInt16LE(p.name.length, 26);
    header.writeUInt16LE(0, 28);
    chunks.push(header, p.name, p.body);
    packed.push(p);
    offset += header.length + p.name.length + p.body.length;
    if (offset > MAX_OFFSET || p.size > MAX_OFFSET) {
      throw new ExportError(
        'archive_error',
        `${where}: rsmf.zip would pass 4 GiB (this writer has no zip64)`,
      );
    }
  }
  const centralStart = offset;
  for (const p of packed) {
    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(VERSION, 6);
    header.writeUInt16LE(UTF8_NAMES, 8);
    header.writeUInt16LE(p.method, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(p.crc, 16);
    header.writeUInt32LE(p.body.length, 20);
    header.writeUInt32LE(p.size, 24);
    header.writeUInt16LE(p.name.length, 28);
    // Extra field, comment, disk number, internal and external attributes: all zero.
    header.writeUInt32LE(p.offset, 42);
    chunks.push(header, p.name);
    offset += header.length + p.name.length;
  }
  if (offset > MAX_OFFSET) {
    throw new ExportError('archive_error', `${where}: rsmf.zip would pass 4 GiB (this writer has no zip64)`);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL, 0);
  end.writeUInt16LE(packed.length, 8);
  end.writeUInt16LE(packed.length, 10);
  end.writeUInt32LE(offset - centralStart, 12);
  end.writeUInt32LE(centralStart, 16);
  chunks.push(end);
  return { chunks, size: offset + end.length };
}
