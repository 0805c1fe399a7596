/**
 * verify of a zip in the order this tool writes it (src/archive: payload entries in byte order of
 * their path, manifests listing them in the same order), holding nothing per payload file: the
 * payload manifests are read line by line beside the walk of the central directory (a merge join,
 * manifest-cursor.ts), each entry hashed when met and compared at once. At 100,000 chats a bag has
 * ~415,000 entries; the map-based check (verify-bag.ts) holds a path, a size, a map slot, six
 * numbers and the digests of each.
 *
 * Anything unusual hands the bag to the map-based check (the caller does, on a null answer)
 * before any problem is reported: entries outside one folder, a symbolic link, payload entries
 * out of order or named twice, many tag files (all found by a first walk of the central
 * directory, before any byte is hashed); a payload manifest with a malformed, duplicate,
 * out-of-order or non-payload line, an unreadable one, or one that reads differently twice; a
 * tag manifest listing payload (found on the way; the problems found so far are dropped). What
 * remains gives the same problems, in the same order, as the map-based check would
 * (test/verify/ordered-zip.test.ts runs both). A bag handed over is read again from the start.
 */
import type { Entry, ZipFile } from 'yauzl';
import type { SourceFile, VerifyProblem } from './bag-source.js';
import {
  checkAlgorithms,
  checkBagInfo,
  checkBagitTxt,
  checkCustody,
  checkFolderName,
  checkPayloadOxum,
  CUSTODY,
  keepText,
} from './check-bag-files.js';
import { checkTagManifests, MANIFEST, SUPPORTED, TAG_MANIFEST } from './check-manifests.js';
import type { BlockReader } from './block-reader.js';
import { digestStream, FileDigests } from './file-digests.js';
import { byteOrder, ManifestCursor } from './manifest-cursor.js';
import { manifestLines, type ManifestLine } from './parse-tag-files.js';
import type { BagCheck } from './verify-bag.js';
import { isSymlink, openEntry, openZip } from './zip-source.js';

/** Tag files (everything outside data/) are held, entry and all; a bag has a few dozen. */
const MAX_TAG_FILES = 1000;

interface TagEntry {
  readonly path: string;
  readonly entry: Entry;
}

interface OrderedScan {
  readonly folder: string;
  readonly tags: readonly TagEntry[];
}

/**
 * The bag's check by merge join, or null when the zip is not one it can take (see above): the
 * caller then runs the map-based check. Nothing is reported before that choice is made.
 */
export async function verifyOrderedZip(blocks: BlockReader, kind: 'zip' | 's3'): Promise<BagCheck | null> {
  const scan = await scanOrder(blocks);
  if (scan === null) return null;
  let zip: ZipFile | undefined;
  try {
    zip = await openZip(blocks);
    return await mergeJoin(zip, scan, kind);
  } catch {
    return null;
  } finally {
    zip?.close();
  }
}

/** First walk of the central directory: is the zip in our order? Holds only the tag entries. */
async function scanOrder(blocks: BlockReader): Promise<OrderedScan | null> {
  let zip: ZipFile | undefined;
  try {
    zip = await openZip(blocks);
    let folder: string | null = null;
    let previous: string | null = null;
    const tags: TagEntry[] = [];
    const seen = new Set<string>();
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      const slash = name.indexOf('/');
      if (slash <= 0 || (folder !== null && name.slice(0, slash) !== folder)) return null;
      folder ??= name.slice(0, slash);
      if (name.endsWith('/')) continue;
      if (isSymlink(entry)) return null;
      const path = name.slice(slash + 1);
      if (path.startsWith('data/')) {
        if (previous !== null && byteOrder(previous, path) >= 0) return null;
        previous = path;
      } else {
        if (seen.has(path) || tags.length >= MAX_TAG_FILES) return null;
        seen.add(path);
        tags.push({ path, entry });
      }
    }
    return folder === null ? null : { folder, tags };
  } catch {
    return null;
  } finally {
    zip?.close();
  }
}

async function mergeJoin(zip: ZipFile, scan: OrderedScan, kind: 'zip' | 's3'): Promise<BagCheck | null> {
  const problems: VerifyProblem[] = [];
  const names = scan.tags.map((t) => t.path);
  const manifestNames = names.filter((n) => MANIFEST.test(n)).sort();
  const tagManifestNames = names.filter((n) => TAG_MANIFEST.test(n)).sort();
  const algorithms = checkAlgorithms([...manifestNames, ...tagManifestNames], problems);
  const cursors: ManifestCursor[] = [];
  try {
    for (const name of manifestNames) {
      const algo = MANIFEST.exec(name)?.[1] ?? '';
      const tag = scan.tags.find((t) => t.path === name);
      if (SUPPORTED.has(algo) && tag !== undefined)
        cursors.push(new ManifestCursor(name, algo, await openEntry(zip, tag.entry, name)));
    }
    for (const cursor of cursors) await cursor.start();
    const walked = await walk(zip, scan, algorithms, cursors, problems);
    if (walked === null) return null;
    // A tag manifest listing payload would need the payload's digests, which are not kept.
    for (const name of tagManifestNames)
      for (const { path } of manifestLines(walked.texts.get(name) ?? ''))
        if (path.startsWith('data/')) return null;
    return await finish(scan, kind, { ...walked, manifestNames, tagManifestNames, cursors }, problems);
  } finally {
    for (const cursor of cursors) await cursor.stop();
  }
}

interface Walked {
  /** Tag files by path, numbered as in the scan. */
  readonly index: ReadonlyMap<string, number>;
  /** Size and digests of each tag file read. */
  readonly digests: FileDigests;
  readonly texts: ReadonlyMap<string, string>;
  readonly payloadFiles: number;
  readonly payloadBytes: number;
}

/**
 * Second walk of the central directory: every entry read in storage order (as the map-based
 * check reads them, so read problems come in the same order), payload met by every cursor.
 * Null when the zip or a manifest reads differently than before.
 */
async function walk(
  zip: ZipFile,
  scan: OrderedScan,
  algorithms: ReadonlySet<string>,
  cursors: readonly ManifestCursor[],
  problems: VerifyProblem[],
): Promise<Walked | null> {
  const index = new Map(scan.tags.map((t, i) => [t.path, i]));
  const digests = new FileDigests(scan.tags.length, algorithms);
  const texts = new Map<string, string>();
  let payloadFiles = 0;
  let payloadBytes = 0;
  for await (const entry of zip.eachEntry()) {
    const name = entry.fileName;
    if (name.endsWith('/')) continue;
    const path = name.slice(name.indexOf('/') + 1);
    let read: Awaited<ReturnType<typeof digestStream>> | null = null;
    try {
      read = await digestStream(await openEntry(zip, entry, path), [...algorithms], keepText(path));
    } catch (error) {
      const e = error as Error & { code?: string };
      problems.push({ code: e.code === 'zip_crc' ? 'zip_crc' : 'unreadable', path, message: e.message });
    }
    if (path.startsWith('data/')) {
      payloadFiles += 1;
      payloadBytes += read?.size ?? entry.uncompressedSize;
      for (const cursor of cursors) await cursor.meet(path, read?.digests.get(cursor.algo) ?? null);
      continue;
    }
    const i = index.get(path);
    if (i === undefined) return null; // not the zip the first walk saw
    if (read === null) continue;
    digests.set(i, read.size, read.digests);
    if (read.text !== null) texts.set(path, read.text);
  }
  // Each payload manifest, read twice (in storage order, and merged), must hash the same.
  for (const cursor of cursors)
    if ((await cursor.finish()) !== digests.hex('sha256', index.get(cursor.name) ?? -1)) return null;
  return { index, digests, texts, payloadFiles, payloadBytes };
}

/** The bag-level checks, in the order verify-bag.ts runs them, after the read problems. */
async function finish(
  scan: OrderedScan,
  kind: 'zip' | 's3',
  read: Walked & {
    readonly manifestNames: readonly string[];
    readonly tagManifestNames: readonly string[];
    readonly cursors: readonly ManifestCursor[];
  },
  problems: VerifyProblem[],
): Promise<BagCheck> {
  const { index, texts, manifestNames, tagManifestNames } = read;
  checkBagitTxt(texts.get('bagit.txt'), problems);
  const bagInfo = checkBagInfo(texts.get('bag-info.txt'), problems);
  const oxum = bagInfo.get('Payload-Oxum') ?? null;
  checkPayloadOxum(oxum, read.payloadBytes, read.payloadFiles, problems);
  checkFolderName(kind, scan.folder, bagInfo, problems);
  if (manifestNames.length === 0)
    problems.push({ code: 'manifest_missing', message: 'no manifest-<algorithm>.txt' });
  for (const cursor of read.cursors) problems.push(...cursor.listed, ...cursor.unlisted);
  const files: SourceFile[] = scan.tags.map((t) => ({ path: t.path, size: t.entry.uncompressedSize }));
  const lines = (path: string): AsyncIterable<ManifestLine> | null => {
    const text = texts.get(path);
    return text === undefined ? null : toAsync(manifestLines(text));
  };
  await checkTagManifests({ index, digests: read.digests, texts, lines }, tagManifestNames, files, problems);
  const custody = texts.get(CUSTODY);
  const custodyEntries = checkCustody(custody, index, problems);
  return {
    problems,
    custodyText: custody ?? null,
    facts: {
      folder: scan.folder,
      payloadFiles: read.payloadFiles,
      payloadBytes: read.payloadBytes,
      payloadOxum: oxum,
      bagInfo: Object.fromEntries(bagInfo),
      manifests: [...manifestNames, ...tagManifestNames],
      tagFiles: files.filter((f) => !TAG_MANIFEST.test(f.path)).length,
      custodyEntries,
    },
  };
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
