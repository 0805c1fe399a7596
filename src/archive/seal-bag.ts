/**
 * Seal: stream a BagIt bag (RFC 8493) into a deterministic zip. The zip is never held in memory
 * nor written to disk here: `sealBag` returns a stream of the zip's bytes for the caller to pipe
 * straight into a sink, and a promise for what was sealed. The stream is pulled: each byte is
 * produced when the reader asks for it (zip-writer.ts), so a slow sink slows the seal and at most
 * one output chunk plus the read-ahead of entry-source.ts is held, whatever the bag's size.
 *
 * Determinism (same BagInput → byte-identical zip): entries in byte order of their path, no
 * directory entries, every mtime = the as-of cut (UTC DOS time), mode 0644, no comments, and a
 * compression method chosen from the bytes at a fixed deflate level. Payload hashes come from the
 * input (the store computed them when it wrote the blobs), so payload bytes are read exactly
 * once and never rehashed here; sizes are checked on the way through.
 *
 * Memory does not grow with the payload when it comes sorted (BagInput `payload`): each pass over
 * it (the payload entries, manifest-sha256.txt, manifest-md5.txt, the central directory's names)
 * streams the list again, and the zip writer keeps 32 bytes of numbers per entry.
 */
import { Readable } from 'node:stream';
import { ExportError } from '../errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { runIdFromCut } from './bag-input.js';
import type { BagInput, SortedPayloadFiles, TagFile } from './bag-input.js';
import { BAGIT_TXT, SEALER_TAG_FILES, manifestLine, renderBagInfo } from './bag-text.js';
import { byteOrder } from './byte-order.js';
import { prepareAhead, prepareEntry, type Entry, type Prepared } from './entry-source.js';
import { inByteOrder, sortInMemory } from './payload-list.js';
import { unsafePathReason } from './safe-name.js';
import { volumeLabel } from './volume-plan.js';
import { ZipWriter } from './zip-writer.js';

/**
 * zlib level 1. Measured on chat-like JSONL on this 2-core class of machine: level 1 costs ~0.6×
 * the CPU of level 3 and ~0.25× level 6, for output ~17% / ~35% larger on the text part (binaries
 * are stored anyway). The seal must keep pace with hashing (bench/seal.ts), so speed wins.
 */
export const DEFAULT_DEFLATE_LEVEL = 1;
/**
 * zlib's output buffer. The default 16 KiB means one thread-pool round trip per 16 KiB of
 * output; 256 KiB cuts that overhead. It does not change the compressed bytes (flush points
 * depend only on the input), so determinism holds.
 */
const ZLIB_CHUNK = 256 * 1024;
/**
 * Headers, descriptors and small files are joined into chunks of at least this size before they
 * leave the seal: downstream buffers (hash pass-through, file stream, upload part) count bytes,
 * and a few thousand 30-byte chunks would cost far more heap than their bytes.
 */
const OUTPUT_CHUNK = 64 * 1024;

export interface SealOptions {
  /** Deflate level 1–9. Part of the determinism contract: the same level gives the same bytes. */
  readonly deflateLevel?: number;
  /** Rehash every payload while sealing and fail on a mismatch (costs a SHA-256 + MD5 pass). */
  readonly verifyPayloadHashes?: boolean;
}

export interface SealResult {
  readonly name: string;
  readonly runId: string;
  /** The one top-level folder in the zip, `<name>-<run-id>`. */
  readonly folder: string;
  /** `<name>-<run-id>.zip`. */
  readonly zipName: string;
  readonly payloadFiles: number;
  readonly payloadBytes: number;
  /** `Payload-Oxum` as written: `<bytes>.<files>`. */
  readonly payloadOxum: string;
  readonly tagFiles: number;
  readonly entries: number;
  readonly stored: number;
  readonly deflated: number;
  /** Bytes of zip produced. */
  readonly zipBytes: number;
  /** SHA-256 of `manifest-sha256.txt` and `tagmanifest-sha256.txt` as sealed. */
  readonly manifestSha256: string;
  readonly tagManifestSha256: string;
}

export interface SealedBag {
  readonly folder: string;
  readonly zipName: string;
  readonly runId: string;
  /** The zip bytes. Pipe it into exactly one consumer; sealing advances as it is read. */
  readonly stream: Readable;
  /** Settles when the last byte has been handed to `stream`; rejects on any seal error. */
  readonly done: Promise<SealResult>;
}

/** Archive names: `<name>-<run-id>` folder and `.zip` file (a volume's: `<name>-<run-id>.vol001-of-003`). */
export function archiveNames(
  name: string,
  asOfCut: string,
  volume?: BagInput['volume'],
): { runId: string; folder: string; zipName: string } {
  const runId = runIdFromCut(asOfCut);
  const folder = `${name}-${runId}${volume === undefined ? '' : `.${volumeLabel(volume.index, volume.count)}`}`;
  return { runId, folder, zipName: `${folder}.zip` };
}

export function sealBag(input: BagInput, options: SealOptions = {}): SealedBag {
  if (!/^[a-z0-9][a-z0-9._-]{0,99}$/iu.test(input.name) || input.name.includes('..')) {
    throw new ExportError('archive_error', `bag name ${JSON.stringify(input.name)} is not a safe slug`);
  }
  if (Number.isNaN(new Date(input.asOfCut).getTime())) {
    throw new ExportError('archive_error', `as-of cut ${JSON.stringify(input.asOfCut)} is not a date`);
  }
  const names = archiveNames(input.name, input.asOfCut, input.volume);
  const zip = new ZipWriter({
    level: options.deflateLevel ?? DEFAULT_DEFLATE_LEVEL,
    chunkSize: ZLIB_CHUNK,
    date: new Date(input.asOfCut),
  });
  let settle: { resolve: (r: SealResult) => void; reject: (e: unknown) => void } | undefined;
  const done = new Promise<SealResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may only await `stream`, so keep a rejection of `done` from going unhandled.
  done.catch(() => undefined);
  async function* sealing(): AsyncGenerator<Buffer> {
    let sealed = false;
    try {
      const result = yield* writeBag(input, zip, names.folder, options);
      sealed = true;
      settle?.resolve({ name: input.name, ...names, ...result });
    } catch (error) {
      // Thrown on, it also fails `stream` (Readable.from destroys it), so the sink aborts its upload.
      settle?.reject(error);
      throw error;
    } finally {
      // The reader destroyed the stream before the end: nothing more will be sealed.
      if (!sealed)
        settle?.reject(new ExportError('archive_error', 'zip stream closed before the seal finished'));
    }
  }
  const stream = Readable.from(coalesce(sealing(), OUTPUT_CHUNK), { objectMode: false });
  // A failure is `done`'s rejection too; a caller that reads the stream without listening for
  // its errors (and awaits `done`) must not crash the process with the same error.
  stream.on('error', () => undefined);
  // Destroyed before its first read (the sink refused the write up front): the generator never
  // ran, so settle `done` here, or a caller waiting for both ends would wait forever.
  stream.on('close', () =>
    settle?.reject(new ExportError('archive_error', 'zip stream closed before the seal finished')),
  );
  return { ...names, stream, done };
}

/** Yields the zip's bytes; returns what was sealed. */
async function* writeBag(
  input: BagInput,
  zip: ZipWriter,
  folder: string,
  options: SealOptions,
): AsyncGenerator<Buffer, Omit<SealResult, 'name' | 'runId' | 'folder' | 'zipName'>> {
  // An unsorted payload is sorted in memory; a sorted one is only ever streamed.
  const payload = typeof input.payload === 'function' ? await sortInMemory(input.payload()) : input.payload;
  checkTagFiles(input.tagFiles);
  const entries = bagEntries(input, payload, options);
  const counts = { stored: 0, deflated: 0 };
  const tagHashes: TagHash[] = [];
  const policy = input.compression ?? 'auto';
  // `auto` decides from each entry's bytes; `deflate` / `store` apply to every entry.
  const method = (p: Prepared): Prepared => (policy === 'auto' ? p : { ...p, method: policy });
  for await (const prepared of prepareAhead(entries('first'))) {
    yield* addEntry(zip, folder, method(prepared), counts, tagHashes);
  }
  const tagManifests = tagManifestEntries(tagHashes);
  for (const entry of tagManifests)
    yield* addEntry(zip, folder, method(await prepareEntry(entry)), counts, tagHashes);
  yield* zip.centralDirectory(entryNames(folder, entries, tagManifests));

  const hashOf = (path: string): string => tagHashes.find((t) => t.path === path)?.sha256 ?? '';
  return {
    payloadFiles: payload.fileCount,
    payloadBytes: payload.totalBytes,
    payloadOxum: `${payload.totalBytes}.${payload.fileCount}`,
    tagFiles: tagHashes.length, // every tag file, the two tag manifests included
    entries: zip.entries,
    ...counts,
    zipBytes: zip.offset,
    manifestSha256: hashOf('manifest-sha256.txt'),
    tagManifestSha256: hashOf('tagmanifest-sha256.txt'),
  };
}

interface TagHash {
  readonly path: string;
  readonly sha256: string;
  readonly md5: string;
}

/**
 * One entry under the bag's folder, counting its compression method and keeping a tag file's
 * digests (known once its last byte has passed).
 */
async function* addEntry(
  zip: ZipWriter,
  folder: string,
  prepared: Prepared,
  counts: { stored: number; deflated: number },
  tagHashes: TagHash[],
): AsyncGenerator<Buffer> {
  const { entry, source, method, digests } = prepared;
  if (method === 'store') counts.stored += 1;
  else counts.deflated += 1;
  yield* zip.entry(`${folder}/${entry.path}`, method, source);
  const d = digests();
  if (entry.tag && d !== null) tagHashes.push({ path: entry.path, ...d });
}

/** Every name in the zip, in the order the entries were written (for the central directory). */
async function* entryNames(
  folder: string,
  entries: (pass: PayloadPass) => AsyncIterable<Entry>,
  last: readonly Entry[],
): AsyncGenerator<string> {
  for await (const entry of entries('again')) yield `${folder}/${entry.path}`;
  for (const entry of last) yield `${folder}/${entry.path}`;
}

/** Joins chunks smaller than `size` (headers, small files) so each chunk leaving is >= `size`. */
async function* coalesce(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of source) {
    if (chunk.length >= size && bytes === 0) {
      yield chunk;
      continue;
    }
    pending.push(chunk);
    bytes += chunk.length;
    if (bytes >= size) {
      yield Buffer.concat(pending, bytes);
      pending = [];
      bytes = 0;
    }
  }
  if (bytes > 0) yield Buffer.concat(pending, bytes);
}

/**
 * Which walk over the payload list: the `first` writes the payload entries and checks each file
 * (path, size, digests); every walk `again` (both manifests, the central directory's names)
 * checks the order and the totals, which is what ties it to the first.
 */
type PayloadPass = 'first' | 'again';

/**
 * Every entry of the bag but the tag manifests, in byte order of path, as a fresh iteration each
 * call (the central directory walks the names again). The payload list is sorted and every
 * payload path starts with `data/`, which no other entry's does (checkTagFiles), so each other
 * entry sorts before or after the whole payload block: one payload Entry exists at a time.
 */
function bagEntries(
  input: BagInput,
  payload: SortedPayloadFiles,
  options: SealOptions,
): (pass: PayloadPass) => AsyncGenerator<Entry> {
  const bagInfo = renderBagInfo({
    name: input.name,
    asOfCut: input.asOfCut,
    payloadBytes: payload.totalBytes,
    payloadFiles: payload.fileCount,
    toolAgent: `${TOOL_NAME} ${TOOL_VERSION}`,
    extra: [...input.bagInfo, ...volumeFields(input)],
  });
  const others = [
    textEntry('bagit.txt', BAGIT_TXT),
    textEntry('bag-info.txt', bagInfo),
    manifestEntry(payload, 'sha256'),
    manifestEntry(payload, 'md5'),
    ...input.tagFiles.map((t): Entry => ({ path: t.path, size: t.size, tag: true, open: () => t.open() })),
  ].sort((a, b) => byteOrder(a.path, b.path));
  const before = others.filter((e) => byteOrder(e.path, 'data/') < 0);
  const after = others.filter((e) => byteOrder(e.path, 'data/') > 0);
  const verify = options.verifyPayloadHashes === true;
  return async function* (pass) {
    yield* before;
    for await (const f of inByteOrder(payload, pass === 'first')) {
      yield {
        path: `data/${f.path}`,
        size: f.size,
        tag: false,
        open: () => f.open(),
        ...(verify ? { expected: { sha256: f.sha256, md5: f.md5 } } : {}),
      };
    }
    yield* after;
  };
}

/** RFC 8493 §2.2.2: a volume names its set and its place in it. */
function volumeFields(input: BagInput): [string, string][] {
  const v = input.volume;
  if (v === undefined) return [];
  return [
    ['Bag-Group-Identifier', `${input.name}-${runIdFromCut(input.asOfCut)}`],
    ['Bag-Count', `${v.index} of ${v.count}`],
  ];
}

function textEntry(path: string, body: string): Entry {
  return { path, tag: true, open: () => Readable.from([Buffer.from(body)]) };
}

function manifestEntry(payload: SortedPayloadFiles, algo: 'sha256' | 'md5'): Entry {
  return {
    path: `manifest-${algo}.txt`,
    tag: true,
    open: () => Readable.from(manifestChunks(payload, algo)),
  };
}

/**
 * Tag manifests list every tag file but themselves; they sort last ("t" after "r", "m", "d",
 * "b"), so they go in after everything else.
 */
function tagManifestEntries(tagHashes: readonly TagHash[]): Entry[] {
  const tagSorted = [...tagHashes].sort((a, b) => byteOrder(a.path, b.path));
  const tagMd5 = tagSorted.map((t) => manifestLine(t.md5, t.path)).join('');
  const tagSha = tagSorted.map((t) => manifestLine(t.sha256, t.path)).join('');
  return [textEntry('tagmanifest-md5.txt', tagMd5), textEntry('tagmanifest-sha256.txt', tagSha)];
}

function checkTagFiles(tagFiles: readonly TagFile[]): void {
  const seen = new Set<string>();
  for (const t of tagFiles) {
    const reason = unsafePathReason(t.path);
    const reserved = (SEALER_TAG_FILES as readonly string[]).includes(t.path) || t.path.startsWith('data/');
    // Anything sorting after "tagmanifest-" would land behind the tag manifests that must list it.
    if (reason !== null || reserved || byteOrder(t.path, 'tagmanifest-') >= 0 || seen.has(t.path)) {
      throw new ExportError(
        'archive_error',
        `tag file path ${JSON.stringify(t.path)} is not allowed (${reason ?? (reserved ? 'reserved' : seen.has(t.path) ? 'duplicate' : 'must sort before tagmanifest-*')})`,
      );
    }
    seen.add(t.path);
  }
}

async function* manifestChunks(payload: SortedPayloadFiles, algo: 'sha256' | 'md5'): AsyncGenerator<Buffer> {
  // Batches of lines keep chunk counts low without building one string for a huge manifest.
  let batch = '';
  for await (const f of inByteOrder(payload, false)) {
    batch += manifestLine(f[algo], `data/${f.path}`);
    if (batch.length >= 64 * 1024) {
      yield Buffer.from(batch);
      batch = '';
    }
  }
  if (batch !== '') yield Buffer.from(batch);
}
