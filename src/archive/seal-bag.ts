/**
 * Seal: stream a BagIt bag (RFC 8493) into a deterministic zip. The zip is never held in memory
 * nor written to disk here: `sealBag` returns archiver's output stream for the caller to pipe
 * straight into a sink, and a promise for what was sealed.
 *
 * Determinism (same BagInput → byte-identical zip): entries in byte order of their path, no
 * directory entries, every mtime = the as-of cut (UTC DOS time), mode 0644, no comments, and a
 * compression method chosen from the bytes at a fixed deflate level. Payload hashes come from the
 * input (the store computed them when it wrote the blobs), so payload bytes are read exactly
 * once and never rehashed here; sizes are checked on the way through.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import archiver from 'archiver';
import type { Archiver } from 'archiver';
import { ExportError } from '../errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { runIdFromCut } from './bag-input.js';
import type { BagInput, PayloadFile, TagFile } from './bag-input.js';
import { BAGIT_TXT, SEALER_TAG_FILES, manifestLine, renderBagInfo } from './bag-text.js';
import { prepareAhead, prepareEntry, type Entry, type Prepared } from './entry-source.js';
import { useNativeCrc32 } from './native-crc.js';
import { unsafePathReason } from './safe-name.js';

/**
 * zlib level 1. Measured on chat-like JSONL on this 2-core class of machine: level 1 costs ~0.6×
 * the CPU of level 3 and ~0.25× level 6, for output ~17% / ~35% larger on the text part (binaries
 * are stored anyway). The seal must keep pace with hashing (bench/seal.ts), so speed wins.
 */
export const DEFAULT_DEFLATE_LEVEL = 1;
const FILE_MODE = 0o644;
/**
 * zlib's output buffer. The default 16 KiB means one thread-pool round trip per 16 KiB of
 * output; 256 KiB cuts that overhead. It does not change the compressed bytes (flush points
 * depend only on the input), so determinism holds.
 */
const ZLIB_CHUNK = 256 * 1024;

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

/** Archive names: `<name>-<run-id>` folder and `.zip` file. */
export function archiveNames(
  name: string,
  asOfCut: string,
): { runId: string; folder: string; zipName: string } {
  const runId = runIdFromCut(asOfCut);
  return { runId, folder: `${name}-${runId}`, zipName: `${name}-${runId}.zip` };
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function sealBag(input: BagInput, options: SealOptions = {}): SealedBag {
  if (!/^[a-z0-9][a-z0-9._-]{0,99}$/iu.test(input.name) || input.name.includes('..')) {
    throw new ExportError('archive_error', `bag name ${JSON.stringify(input.name)} is not a safe slug`);
  }
  if (Number.isNaN(new Date(input.asOfCut).getTime())) {
    throw new ExportError('archive_error', `as-of cut ${JSON.stringify(input.asOfCut)} is not a date`);
  }
  const level = options.deflateLevel ?? DEFAULT_DEFLATE_LEVEL;
  const names = archiveNames(input.name, input.asOfCut);
  useNativeCrc32();
  const archive = archiver('zip', {
    zlib: { level, chunkSize: ZLIB_CHUNK },
    forceZip64: false,
    statConcurrency: 1,
  });
  const done = writeBag(input, archive, names, options);
  // A seal failure must reach whoever reads `stream` (the sink then aborts its upload); and the
  // caller may only await `stream`, so keep the rejection from going unhandled.
  done.catch((error: unknown) => {
    if (!archive.destroyed) archive.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  return { ...names, stream: archive, done };
}

async function writeBag(
  input: BagInput,
  archive: Archiver,
  names: { runId: string; folder: string; zipName: string },
  options: SealOptions,
): Promise<SealResult> {
  const failed = failureOf(archive);
  const payload = await collectPayload(input.payload());
  const payloadBytes = payload.reduce((sum, f) => sum + f.size, 0);
  checkTagFiles(input.tagFiles);
  const entries = bagEntries(input, payload, payloadBytes, options);
  const zip = new EntryAppender(archive, names.folder, new Date(input.asOfCut), failed);
  for await (const prepared of prepareAhead(entries)) await zip.add(prepared);
  const tagSha = await addTagManifests(zip);
  await Promise.race([archive.finalize(), failed]);

  const manifestSha256 = zip.tagHashes.find((t) => t.path === 'manifest-sha256.txt')?.sha256 ?? '';
  return {
    name: input.name,
    ...names,
    payloadFiles: payload.length,
    payloadBytes,
    payloadOxum: `${payloadBytes}.${payload.length}`,
    tagFiles: zip.tagHashes.length, // every tag file, the two tag manifests included
    entries: entries.length + 2,
    stored: zip.stored,
    deflated: zip.deflated,
    zipBytes: archive.pointer(),
    manifestSha256,
    tagManifestSha256: createHash('sha256').update(tagSha).digest('hex'),
  };
}

/** Rejects on the zip stream's first error or warning, or when it closes before the seal ends. */
function failureOf(archive: Archiver): Promise<never> {
  const failed = new Promise<never>((_, reject) => {
    archive.on('error', reject);
    archive.on('warning', reject);
    archive.once('close', () =>
      reject(new ExportError('archive_error', 'zip stream closed before the seal finished')),
    );
  });
  failed.catch(() => undefined);
  return failed;
}

/** Every entry of the bag but the tag manifests, in byte order of path. */
function bagEntries(
  input: BagInput,
  payload: readonly PayloadFile[],
  payloadBytes: number,
  options: SealOptions,
): Entry[] {
  const bagInfo = renderBagInfo({
    name: input.name,
    asOfCut: input.asOfCut,
    payloadBytes,
    payloadFiles: payload.length,
    toolAgent: `${TOOL_NAME} ${TOOL_VERSION}`,
    extra: input.bagInfo,
  });
  return [
    textEntry('bagit.txt', BAGIT_TXT),
    textEntry('bag-info.txt', bagInfo),
    ...payload.map((f): Entry => ({
      path: `data/${f.path}`,
      size: f.size,
      tag: false,
      open: () => f.open(),
      ...(options.verifyPayloadHashes === true ? { expected: { sha256: f.sha256, md5: f.md5 } } : {}),
    })),
    manifestEntry(payload, 'sha256'),
    manifestEntry(payload, 'md5'),
    ...input.tagFiles.map((t): Entry => ({ path: t.path, size: t.size, tag: true, open: () => t.open() })),
  ].sort((a, b) => byteOrder(a.path, b.path));
}

function textEntry(path: string, body: string): Entry {
  return { path, tag: true, open: () => Readable.from([Buffer.from(body)]) };
}

function manifestEntry(payload: readonly PayloadFile[], algo: 'sha256' | 'md5'): Entry {
  return {
    path: `manifest-${algo}.txt`,
    tag: true,
    open: () => Readable.from(manifestChunks(payload, algo)),
  };
}

/**
 * Tag manifests list every tag file but themselves; they sort last ("t" after "r", "m", "d",
 * "b"), so they go in after everything else. Returns the text of `tagmanifest-sha256.txt`.
 */
async function addTagManifests(zip: EntryAppender): Promise<string> {
  const tagSorted = [...zip.tagHashes].sort((a, b) => byteOrder(a.path, b.path));
  const tagMd5 = tagSorted.map((t) => manifestLine(t.md5, t.path)).join('');
  const tagSha = tagSorted.map((t) => manifestLine(t.sha256, t.path)).join('');
  await zip.add(await prepareEntry(textEntry('tagmanifest-md5.txt', tagMd5)));
  await zip.add(await prepareEntry(textEntry('tagmanifest-sha256.txt', tagSha)));
  return tagSha;
}

/**
 * Appends prepared entries to the zip one at a time, under the bag's folder with the cut as
 * date and a fixed mode, counting compression methods and keeping each tag file's digests.
 */
class EntryAppender {
  stored = 0;
  deflated = 0;
  readonly tagHashes: { path: string; sha256: string; md5: string }[] = [];

  constructor(
    private readonly archive: Archiver,
    private readonly folder: string,
    private readonly date: Date,
    private readonly failed: Promise<never>,
  ) {}

  async add(prepared: Prepared): Promise<void> {
    const { entry, source, method, digests } = prepared;
    if (method === 'store') this.stored += 1;
    else this.deflated += 1;
    const written = new Promise<void>((resolve, reject) => {
      this.archive.once('entry', () => resolve());
      // archiver pipes the source without forwarding its errors: fail the seal and the zip stream.
      if (source instanceof Readable) {
        source.once('error', (error) => {
          reject(error);
          this.archive.destroy(error);
        });
      }
    });
    this.archive.append(source, {
      name: `${this.folder}/${entry.path}`,
      date: this.date,
      mode: FILE_MODE,
      store: method === 'store',
    });
    await Promise.race([written, this.failed]);
    const d = digests();
    if (entry.tag && d !== null) this.tagHashes.push({ path: entry.path, ...d });
  }
}

/**
 * Reads the payload list once, checks every path, sorts it in byte order. Paths were made safe
 * and distinct when collected (safe-name: `safeSegment` is injective); these checks are the last
 * assertion, and `unsafePathReason` refusing `%`, CR and LF is what lets the manifests go
 * unencoded (bagit-python decodes only `%0D`/`%0A`).
 */
async function collectPayload(source: AsyncIterable<PayloadFile>): Promise<PayloadFile[]> {
  const files: PayloadFile[] = [];
  for await (const file of source) {
    const reason = unsafePathReason(file.path);
    if (reason !== null) {
      throw new ExportError(
        'archive_error',
        `payload path ${JSON.stringify(file.path)} is unsafe: ${reason}`,
      );
    }
    if (!Number.isSafeInteger(file.size) || file.size < 0) {
      throw new ExportError('archive_error', `payload ${file.path}: size ${file.size} is not a byte count`);
    }
    if (!/^[0-9a-f]{64}$/u.test(file.sha256) || !/^[0-9a-f]{32}$/u.test(file.md5)) {
      throw new ExportError('archive_error', `payload ${file.path}: sha256/md5 must be lowercase hex`);
    }
    files.push(file);
  }
  files.sort((a, b) => byteOrder(a.path, b.path));
  for (let i = 1; i < files.length; i += 1) {
    if (files[i - 1]?.path === files[i]?.path) {
      throw new ExportError(
        'archive_error',
        `payload path ${JSON.stringify(files[i]?.path ?? '')} appears twice: two items were staged under one name`,
      );
    }
  }
  return files;
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

function* manifestChunks(files: readonly PayloadFile[], algo: 'sha256' | 'md5'): Generator<Buffer> {
  // Batches of lines keep chunk counts low without building one string for a huge manifest.
  let batch = '';
  for (const f of files) {
    batch += manifestLine(f[algo], `data/${f.path}`);
    if (batch.length >= 64 * 1024) {
      yield Buffer.from(batch);
      batch = '';
    }
  }
  if (batch !== '') yield Buffer.from(batch);
}
