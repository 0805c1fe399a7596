/**
 * A bag inside a zip, read with yauzl over a BlockReader (local file or S3 ranged GETs). yauzl
 * refuses absolute and `..` entry names; we add: exactly one top-level folder, no symlinks, and a
 * CRC-32 check of every entry's bytes.
 */
import { open as openFile, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { ExportError } from '../errors.js';
import type { BagSource, SourceFile, VerifyProblem } from './bag-source.js';
import { BlockReader } from './block-reader.js';

class BlockRandomAccessReader extends yauzl.RandomAccessReader {
  private readonly blocks: BlockReader;
  constructor(blocks: BlockReader) {
    super();
    this.blocks = blocks;
  }
  override _readStreamForRange(start: number, end: number): Readable {
    return this.blocks.stream(start, end);
  }
}

/**
 * What reading an entry's bytes needs of its central-directory record. yauzl's Entry keeps every
 * field, three raw buffers and the parsed extra fields; a bag holds an entry per payload file, so
 * only this much is kept and a yauzl Entry is rebuilt from it when the file is opened.
 */
type EntryPosition = Pick<
  Entry,
  | 'crc32'
  | 'compressedSize'
  | 'uncompressedSize'
  | 'compressionMethod'
  | 'generalPurposeBitFlag'
  | 'relativeOffsetOfLocalHeader'
>;

function positionOf(entry: Entry): EntryPosition {
  return {
    crc32: entry.crc32,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    compressionMethod: entry.compressionMethod,
    generalPurposeBitFlag: entry.generalPurposeBitFlag,
    relativeOffsetOfLocalHeader: entry.relativeOffsetOfLocalHeader,
  };
}

function entryAt(position: EntryPosition): Entry {
  return Object.assign(new yauzl.Entry(), position);
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

class CrcCheck extends Transform {
  private crc = 0;
  constructor(
    private readonly expected: number,
    private readonly name: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    if (this.crc >>> 0 !== this.expected >>> 0) {
      callback(Object.assign(new Error(`${this.name}: CRC-32 mismatch`), { code: 'zip_crc' }));
    } else callback();
  }
}

async function openZipSource(
  blocks: BlockReader,
  kind: 'zip' | 's3',
  onClose: () => Promise<void>,
): Promise<BagSource> {
  const problems: VerifyProblem[] = [];
  const files: SourceFile[] = [];
  const entries = new Map<string, EntryPosition>();
  const tops = new Set<string>();
  let zip: ZipFile | undefined;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new BlockRandomAccessReader(blocks), blocks.size, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: true,
      validateEntrySizes: true,
      strictFileNames: true,
    });
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      const slash = name.indexOf('/');
      if (slash <= 0) {
        problems.push({ code: 'layout', path: name, message: 'entry outside the one top-level folder' });
        continue;
      }
      tops.add(name.slice(0, slash));
      if (name.endsWith('/')) continue; // directory entry
      const rel = name.slice(slash + 1);
      if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
        problems.push({ code: 'unsafe_entry', path: rel, message: 'symbolic link in the zip' });
        continue;
      }
      if (entries.has(rel)) {
        problems.push({ code: 'unsafe_entry', path: rel, message: 'entry appears twice in the zip' });
        continue;
      }
      entries.set(rel, positionOf(entry));
      files.push({ path: rel, size: entry.uncompressedSize });
    }
  } catch (error) {
    problems.push({
      code: 'unsafe_entry',
      message: `zip cannot be read safely: ${(error as Error).message}`,
    });
  }
  if (tops.size > 1) {
    problems.push({
      code: 'layout',
      message: `${tops.size} top-level folders (${[...tops].slice(0, 5).join(', ')}); expected exactly one`,
    });
  }
  const folder = tops.values().next().value ?? '';
  return {
    kind,
    folder,
    problems,
    files,
    open: async (file): Promise<Readable> => {
      const entry = entries.get(file.path);
      if (entry === undefined || zip === undefined) throw new Error(`${file.path}: no such entry`);
      const stream = await zip.openReadStreamPromise(entryAt(entry));
      const check = new CrcCheck(entry.crc32, file.path);
      stream.on('error', (error) => check.destroy(error));
      return stream.pipe(check);
    },
    archiveSha256: () => blocks.sha256(),
    close: async () => {
      zip?.close();
      await onClose();
    },
  };
}

export async function openLocalZip(path: string): Promise<BagSource> {
  const { size } = await stat(path);
  const handle = await openFile(path, 'r');
  const blocks = new BlockReader(size, 4 * 1024 * 1024, async (start, end) => {
    const buffer = Buffer.alloc(end - start);
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  });
  return openZipSource(blocks, 'zip', () => handle.close());
}

/** An S3 object, read with ranged GETs pinned to the ETag seen first (a changing object fails). */
export async function openS3Zip(client: S3Client, bucket: string, key: string): Promise<BagSource> {
  let head;
  try {
    head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    throw new ExportError(
      'verify_failed',
      `s3://${bucket}/${key}: ${e.name ?? 'error'}${e.$metadata?.httpStatusCode === undefined ? ` (${(error as Error).message})` : ` (HTTP ${e.$metadata.httpStatusCode})`}`,
      { cause: error },
    );
  }
  const size = head.ContentLength ?? 0;
  const etag = head.ETag;
  const blocks = new BlockReader(size, 8 * 1024 * 1024, async (start, end) => {
    const object = await client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        Range: `bytes=${start}-${end - 1}`,
        ...(etag === undefined ? {} : { IfMatch: etag }),
      }),
    );
    if (object.Body === undefined)
      throw new Error(`s3://${bucket}/${key}: empty body for bytes ${start}-${end - 1}`);
    return Buffer.from(await object.Body.transformToByteArray());
  });
  return openZipSource(blocks, 's3', async () => undefined);
}
