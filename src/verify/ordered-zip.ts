/**
 * verify of a zip in the order this tool writes it (src/archive: payload entries in byte order of
 * their path, manifests listing them in the same order), holding nothing per payload file: the
 * payload manifests are read line by line beside the walk of the central directory (a merge join,
 * manifest-cursor.ts), each entry hashed when met and compared at once. At 100,000 chats a bag has
 * ~415,000 entries; the map-based check (verify-bag.ts) holds a path, a size, a map slot, six
 * numbers and the digests of each.
 *
 * Anything unusual, found before a problem is reported, hands the bag to the map-based check
 * (the caller does, on a null answer): entries outside one folder, a symbolic link, payload
 * entries out of order or named twice, many tag files, a payload manifest with a malformed,
 * duplicate, out-of-order or non-payload line, a tag manifest listing payload, an unreadable
 * manifest, or one that reads differently twice. What remains gives the same problems, in the same
 * order, as the map-based check would (test/verify/ordered-zip.test.ts runs both).
 */
import { createHash } from 'node:crypto';
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
import { byteOrder, hashing, ManifestCursor } from './manifest-cursor.js';
import { manifestLines, manifestLinesOf } from './parse-tag-files.js';
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

/**
 * A manifest fit for the merge join: every line `<hex> data/...` in strictly rising byte order
 * (payload), or no line naming payload (tag). Returns the SHA-256 of its bytes, null if unfit.
 */
async function scanManifest(zip: ZipFile, tag: TagEntry, payload: boolean): Promise<string | null> {
  const hash = createHash('sha256');
  let previous: string | null = null;
  try {
    for await (const { checksum, path } of manifestLinesOf(
      hashing(await openEntry(zip, tag.entry, tag.path), hash),
    )) {
      if (!payload) {
        if (path.startsWith('data/')) return null;
        continue;
      }
      if (checksum === null || !path.startsWith('data/')) return null;
      if (previous !== null && byteOrder(previous, path) >= 0) return null;
      previous = path;
    }
  } catch {
    return null;
  }
  return hash.digest('hex');
}

async function mergeJoin(zip: ZipFile, scan: OrderedScan, kind: 'zip' | 's3'): Promise<BagCheck | null> {
  const problems: VerifyProblem[] = [];
  const index = new Map(scan.tags.map((t, i) => [t.path, i]));
  const names = scan.tags.map((t) => t.path);
  const manifestNames = names.filter((n) => MANIFEST.test(n)).sort();
  const tagManifestNames = names.filter((n) => TAG_MANIFEST.test(n)).sort();
  const algorithms = checkAlgorithms([...manifestNames, ...tagManifestNames], problems);
  const tagOf = (name: string): TagEntry => scan.tags[index.get(name) ?? -1]!;

  const cursors: ManifestCursor[] = [];
  const firstSha = new Map<string, string>();
  for (const name of manifestNames) {
    const algo = MANIFEST.exec(name)?.[1] ?? '';
    if (!SUPPORTED.has(algo)) continue;
    const sha = await scanManifest(zip, tagOf(name), true);
    if (sha === null) return null;
    firstSha.set(name, sha);
    cursors.push(new ManifestCursor(name, algo, await openEntry(zip, tagOf(name).entry, name)));
  }
  for (const name of tagManifestNames)
    if ((await scanManifest(zip, tagOf(name), false)) === null) return null;
  for (const cursor of cursors) await cursor.start();

  // The walk: every entry read in storage order, as the map-based check reads them.
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
  // Each payload manifest read three times (checked, walked, merged) must hash the same.
  for (const cursor of cursors) {
    const sha = await cursor.finish();
    if (sha !== firstSha.get(cursor.name) || sha !== digests.hex('sha256', index.get(cursor.name) ?? -1))
      return null;
  }

  checkBagitTxt(texts.get('bagit.txt'), problems);
  const bagInfo = checkBagInfo(texts.get('bag-info.txt'), problems);
  const oxum = bagInfo.get('Payload-Oxum') ?? null;
  checkPayloadOxum(oxum, payloadBytes, payloadFiles, problems);
  checkFolderName(kind, scan.folder, bagInfo, problems);
  if (manifestNames.length === 0)
    problems.push({ code: 'manifest_missing', message: 'no manifest-<algorithm>.txt' });
  for (const cursor of cursors) problems.push(...cursor.listed, ...cursor.unlisted);
  const files: SourceFile[] = scan.tags.map((t) => ({ path: t.path, size: t.entry.uncompressedSize }));
  const lines = (path: string): ReturnType<typeof manifestLines> | null => {
    const text = texts.get(path);
    return text === undefined ? null : manifestLines(text);
  };
  await checkTagManifests(
    { index, digests, texts, lines: (p) => toAsync(lines(p)) },
    tagManifestNames,
    files,
    problems,
  );
  const custody = texts.get(CUSTODY);
  const custodyEntries = checkCustody(custody, index, problems);
  return {
    problems,
    custodyText: custody ?? null,
    facts: {
      folder: scan.folder,
      payloadFiles,
      payloadBytes,
      payloadOxum: oxum,
      bagInfo: Object.fromEntries(bagInfo),
      manifests: [...manifestNames, ...tagManifestNames],
      tagFiles: files.filter((f) => !TAG_MANIFEST.test(f.path)).length,
      custodyEntries,
    },
  };
}

function toAsync<T>(items: Iterable<T> | null): AsyncIterable<T> | null {
  if (items === null) return null;
  return (async function* (): AsyncGenerator<T> {
    yield* items;
  })();
}
