/**
 * A pull-driven, deterministic zip writer: every method is a generator of the zip's bytes, so
 * nothing is produced before the reader asks for it and a slow destination slows the seal
 * instead of queueing its bytes (the seal → sink path's backpressure rests on this).
 *
 * It writes exactly the bytes archiver 7 (zip-stream / compress-commons) wrote for the sealer's
 * entries, so archives stay byte-identical across the change (test/archive/zip-writer.test.ts pins
 * them): Unix mode 0644, the cut as UTC DOS time, the UTF-8 flag only for non-ASCII names, no
 * comments or extra fields (but the Zip64 ones), a data descriptor after every deflated or
 * streamed entry, and a Zip64 end record once the archive has more than 65,535 entries or passes
 * 4 GiB. archiver kept an object per entry and wrote the central directory in 17 small writes per
 * entry, all at once; here each entry keeps 32 bytes of numbers (its name is given again to
 * `centralDirectory`) and the directory is produced as it is read.
 */
import { promisify } from 'node:util';
import { createDeflateRaw, deflateRaw } from 'node:zlib';
import { pipeline } from 'node:stream';
import { ExportError } from '../errors.js';
import { crc32 } from './crc32.js';

export type ZipMethod = 'store' | 'deflate';

export interface ZipWriterOptions {
  /** zlib deflate level (part of the determinism contract). */
  readonly level: number;
  /** zlib output buffer; changes chunking only, never the bytes. */
  readonly chunkSize: number;
  /** Modification time of every entry (written as UTC DOS time). */
  readonly date: Date;
}

const SIG_LFH = 0x04034b50;
const SIG_DD = 0x08074b50;
const SIG_CFH = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_EOCD_LOC = 0x07064b50;
const MAGIC32 = 0xffffffff;
const MAGIC16 = 0xffff;
const VERSION_MADE_BY = (3 << 8) | 45; // Unix, spec 4.5
const VERSION_PLAIN = 10;
const VERSION_DESCRIPTOR = 20;
const VERSION_ZIP64 = 45;
const FLAG_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
/** (S_IFREG | 0644) << 16 | DOS archive bit. */
const EXTERNAL_ATTRIBUTES = (((0o100000 | 0o644) << 16) | 0x20) >>> 0;
const METHOD_CODE: Record<ZipMethod, number> = { store: 0, deflate: 8 };

const deflateRawAsync = promisify(deflateRaw);

/** MS-DOS date and time in UTC, clamped to 1980–2043 (two-second resolution). */
function dosTime(date: Date): number {
  const year = date.getUTCFullYear();
  if (year < 1980) return 2162688;
  if (year >= 2044) return 2141175677;
  return (
    ((year - 1980) << 25) |
    ((date.getUTCMonth() + 1) << 21) |
    (date.getUTCDate() << 16) |
    (date.getUTCHours() << 11) |
    (date.getUTCMinutes() << 5) |
    (date.getUTCSeconds() / 2)
  );
}

function eight(buffer: Buffer, value: number, at: number): void {
  buffer.writeUInt32LE(value % 0x100000000, at);
  buffer.writeUInt32LE(Math.floor(value / 0x100000000), at + 4);
}

/** Per entry, in write order: flags (method, descriptor, UTF-8), CRC, sizes, header offset. */
class EntryRecords {
  count = 0;
  private flags = new Uint16Array(1024);
  private crcs = new Uint32Array(1024);
  private numbers = new Float64Array(3 * 1024);
  private nameBytes = new Uint16Array(1024);

  push(
    flags: number,
    crc: number,
    size: number,
    compressed: number,
    offset: number,
    nameBytes: number,
  ): void {
    if (this.count === this.flags.length) this.grow();
    const i = this.count;
    this.flags[i] = flags;
    this.crcs[i] = crc;
    this.numbers.set([size, compressed, offset], 3 * i);
    this.nameBytes[i] = nameBytes;
    this.count += 1;
  }

  at(i: number): {
    flags: number;
    crc: number;
    size: number;
    compressed: number;
    offset: number;
    nameBytes: number;
  } {
    const n = this.numbers;
    return {
      flags: this.flags[i] ?? 0,
      crc: this.crcs[i] ?? 0,
      size: n[3 * i] ?? 0,
      compressed: n[3 * i + 1] ?? 0,
      offset: n[3 * i + 2] ?? 0,
      nameBytes: this.nameBytes[i] ?? 0,
    };
  }

  private grow(): void {
    const size = this.flags.length * 2;
    const copy = <T extends Uint16Array | Uint32Array | Float64Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.flags = copy(this.flags, new Uint16Array(size));
    this.crcs = copy(this.crcs, new Uint32Array(size));
    this.numbers = copy(this.numbers, new Float64Array(3 * size));
    this.nameBytes = copy(this.nameBytes, new Uint16Array(size));
  }
}

const F_DEFLATE = 1;
const F_DESCRIPTOR = 2;
const F_UTF8 = 4;

export class ZipWriter {
  /** Bytes produced so far. */
  offset = 0;
  private readonly time: number;
  private readonly records = new EntryRecords();

  constructor(private readonly options: ZipWriterOptions) {
    this.time = dosTime(options.date);
  }

  get entries(): number {
    return this.records.count;
  }

  /**
   * One entry: local header, data, and a data descriptor when the sizes were not known up front
   * (deflated or streamed). A Buffer is held whole (small files); a stream is read as pulled.
   */
  async *entry(
    name: string,
    method: ZipMethod,
    source: Buffer | AsyncIterable<Buffer>,
  ): AsyncGenerator<Buffer> {
    const nameBuffer = Buffer.from(name);
    if (nameBuffer.length > MAGIC16)
      throw new ExportError('archive_error', `zip entry name too long: ${name}`);
    const whole = Buffer.isBuffer(source);
    const descriptor = method === 'deflate' || !whole;
    // archiver stores an empty buffer whatever was asked, keeping the descriptor it had set.
    const stored = method === 'store' || (whole && source.length === 0);
    const flags =
      (stored ? 0 : F_DEFLATE) |
      (descriptor ? F_DESCRIPTOR : 0) |
      (nameBuffer.length !== name.length ? F_UTF8 : 0);
    const offset = this.offset;
    let crc = 0;
    let size = 0;
    let compressed = 0;
    if (whole) {
      crc = crc32(source);
      size = source.length;
    }
    const header = this.localHeader(nameBuffer, flags, descriptor ? null : { crc, size });
    if (whole) {
      // Small and whole: header, data and descriptor leave as one chunk.
      const data = stored ? source : await deflateRawAsync(source, this.zlibOptions(source.length));
      compressed = data.length;
      const parts = [header, data];
      if (descriptor) parts.push(dataDescriptor(crc, size, compressed));
      yield this.take(Buffer.concat(parts));
    } else {
      yield this.take(header);
      const counted = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of source) {
          crc = crc32(chunk, crc);
          size += chunk.length;
          yield chunk;
        }
      };
      const output = stored
        ? counted()
        : pipeline(counted(), createDeflateRaw(this.zlibOptions()), () => undefined);
      for await (const chunk of output as AsyncIterable<Buffer>) {
        compressed += chunk.length;
        yield this.take(chunk);
      }
      yield this.take(dataDescriptor(crc, size, compressed));
    }
    this.records.push(flags, crc, size, compressed, offset, nameBuffer.length);
  }

  /**
   * The central directory and end records. `names` are the entries' names again, in the order
   * they were written (checked by count and byte length), streamed: a sealer reads them back from
   * its payload list rather than keeping one per entry.
   */
  async *centralDirectory(names: AsyncIterable<string> | Iterable<string>): AsyncGenerator<Buffer> {
    const start = this.offset;
    let i = 0;
    for await (const name of names) {
      if (i >= this.records.count)
        throw mismatch(`more names than the ${this.records.count} entries written`);
      yield this.take(this.centralHeader(i, Buffer.from(name)));
      i += 1;
    }
    if (i !== this.records.count) throw mismatch(`${i} names for ${this.records.count} entries written`);
    const length = this.offset - start;
    const zip64 = i > MAGIC16 || length > MAGIC32 || start > MAGIC32;
    if (zip64) yield this.take(zip64End(i, length, start));
    yield this.take(end(zip64 ? MAGIC16 : i, zip64 ? MAGIC32 : length, zip64 ? MAGIC32 : start));
  }

  private take(chunk: Buffer): Buffer {
    this.offset += chunk.length;
    return chunk;
  }

  /** For a whole buffer, an output buffer near its size (zlib allocates one per call). */
  private zlibOptions(inputBytes = Infinity): { level: number; chunkSize: number } {
    return { level: this.options.level, chunkSize: Math.min(this.options.chunkSize, inputBytes + 1024) };
  }

  private localHeader(name: Buffer, flags: number, known: { crc: number; size: number } | null): Buffer {
    const h = Buffer.alloc(30 + name.length);
    h.writeUInt32LE(SIG_LFH, 0);
    h.writeUInt16LE(flags & F_DESCRIPTOR ? VERSION_DESCRIPTOR : VERSION_PLAIN, 4);
    h.writeUInt16LE(generalPurpose(flags), 6);
    h.writeUInt16LE(METHOD_CODE[flags & F_DEFLATE ? 'deflate' : 'store'], 8);
    h.writeUInt32LE(this.time >>> 0, 10);
    if (known !== null) {
      h.writeUInt32LE(known.crc, 14);
      h.writeUInt32LE(known.size, 18);
      h.writeUInt32LE(known.size, 22);
    }
    h.writeUInt16LE(name.length, 26);
    name.copy(h, 30);
    return h;
  }

  private centralHeader(i: number, name: Buffer): Buffer {
    const r = this.records.at(i);
    if (name.length !== r.nameBytes)
      throw mismatch(`entry ${i}: name is ${name.length} bytes, ${r.nameBytes} written`);
    const zip64 = r.size > MAGIC32 || r.compressed > MAGIC32 || r.offset > MAGIC32;
    const extra = zip64 ? 28 : 0;
    const h = Buffer.alloc(46 + name.length + extra);
    h.writeUInt32LE(SIG_CFH, 0);
    h.writeUInt16LE(VERSION_MADE_BY, 4);
    h.writeUInt16LE(zip64 ? VERSION_ZIP64 : r.flags & F_DESCRIPTOR ? VERSION_DESCRIPTOR : VERSION_PLAIN, 6);
    h.writeUInt16LE(generalPurpose(r.flags), 8);
    h.writeUInt16LE(METHOD_CODE[r.flags & F_DEFLATE ? 'deflate' : 'store'], 10);
    h.writeUInt32LE(this.time >>> 0, 12);
    h.writeUInt32LE(r.crc, 16);
    h.writeUInt32LE(zip64 ? MAGIC32 : r.compressed, 20);
    h.writeUInt32LE(zip64 ? MAGIC32 : r.size, 24);
    h.writeUInt16LE(name.length, 28);
    h.writeUInt16LE(extra, 30);
    h.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
    h.writeUInt32LE(zip64 ? MAGIC32 : r.offset, 42);
    name.copy(h, 46);
    if (zip64) {
      const at = 46 + name.length;
      h.writeUInt16LE(1, at); // Zip64 extended information
      h.writeUInt16LE(24, at + 2);
      eight(h, r.size, at + 4);
      eight(h, r.compressed, at + 12);
      eight(h, r.offset, at + 20);
    }
    return h;
  }
}

function generalPurpose(flags: number): number {
  return (flags & F_DESCRIPTOR ? FLAG_DESCRIPTOR : 0) | (flags & F_UTF8 ? FLAG_UTF8 : 0);
}

function dataDescriptor(crc: number, size: number, compressed: number): Buffer {
  const zip64 = size > MAGIC32 || compressed > MAGIC32;
  const d = Buffer.alloc(zip64 ? 24 : 16);
  d.writeUInt32LE(SIG_DD, 0);
  d.writeUInt32LE(crc, 4);
  if (zip64) {
    eight(d, compressed, 8);
    eight(d, size, 16);
  } else {
    d.writeUInt32LE(compressed, 8);
    d.writeUInt32LE(size, 12);
  }
  return d;
}

function zip64End(entries: number, length: number, start: number): Buffer {
  const b = Buffer.alloc(56 + 20);
  b.writeUInt32LE(SIG_ZIP64_EOCD, 0);
  eight(b, 44, 4);
  b.writeUInt16LE(VERSION_ZIP64, 12);
  b.writeUInt16LE(VERSION_ZIP64, 14);
  eight(b, entries, 24);
  eight(b, entries, 32);
  eight(b, length, 40);
  eight(b, start, 48);
  b.writeUInt32LE(SIG_ZIP64_EOCD_LOC, 56);
  eight(b, start + length, 64);
  b.writeUInt32LE(1, 72);
  return b;
}

function end(entries: number, length: number, start: number): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(SIG_EOCD, 0);
  b.writeUInt16LE(entries, 8);
  b.writeUInt16LE(entries, 10);
  b.writeUInt32LE(length, 12);
  b.writeUInt32LE(start, 16);
  return b;
}

function mismatch(what: string): ExportError {
  return new ExportError('archive_error', `zip central directory: ${what}`);
}
