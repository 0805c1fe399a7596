/**
 * Manifests against the bytes read (RFC 8493 §3): every listed file present with the listed
 * digest, every file listed, and each line well formed and naming its path once. A manifest is
 * read line by line twice (first its syntax and which line first names each path, then each
 * path's first line against the digests) and never held, as text or as a map: at 100,000 chats a
 * manifest has ~400,000 lines. A path listed twice is a syntax problem; its first line is the one checked.
 */
import type { ProblemCode, SourceFile, VerifyProblem } from './bag-source.js';
import type { FileDigests } from './file-digests.js';
import type { ManifestLine } from './parse-tag-files.js';

export const SUPPORTED = new Set(['md5', 'sha1', 'sha256', 'sha512']);
export const MANIFEST = /^manifest-([a-z0-9]+)\.txt$/u;
export const TAG_MANIFEST = /^tagmanifest-([a-z0-9]+)\.txt$/u;

/** What the one pass over the bag's bytes gave; every check reads from it. */
export interface BagRead {
  /** Every file the source lists, by path, to its number in the source's file list. */
  readonly index: ReadonlyMap<string, number>;
  /** Size and digests of every file that could be read, by number. */
  readonly digests: FileDigests;
  /** The text of the small tag files the checks need (bagit.txt, bag-info.txt, tag manifests, custody). */
  readonly texts: ReadonlyMap<string, string>;
  /**
   * A manifest's lines, read afresh on each call (a payload manifest is read again from the bag,
   * not held: ~400,000 lines at 100,000 chats); null when it could not be read (already reported).
   */
  readonly lines: (path: string) => AsyncIterable<ManifestLine> | null;
}

/** The codes a manifest entry's problems carry, payload or tag. */
interface ListedCodes {
  readonly missing: ProblemCode;
  readonly mismatch: ProblemCode;
  readonly unlisted: ProblemCode;
  /** What the unlisted file is, in the message. */
  readonly what: string;
}
const PAYLOAD_CODES: ListedCodes = {
  missing: 'file_missing',
  mismatch: 'hash_mismatch',
  unlisted: 'file_unlisted',
  what: 'payload file',
};
const TAG_CODES: ListedCodes = {
  missing: 'tag_missing',
  mismatch: 'tag_hash_mismatch',
  unlisted: 'tag_unlisted',
  what: 'tag file',
};

/** Payload manifests: complete (both directions) and valid. */
export async function checkPayloadManifests(
  read: BagRead,
  manifestNames: readonly string[],
  files: readonly SourceFile[],
  problems: VerifyProblem[],
): Promise<void> {
  if (manifestNames.length === 0)
    problems.push({ code: 'manifest_missing', message: 'no manifest-<algorithm>.txt' });
  for (const name of manifestNames) {
    await checkManifest(read, name, MANIFEST, PAYLOAD_CODES, problems, {
      mustList: (f) => f.path.startsWith('data/'),
      outsideData: true,
      files,
    });
  }
}

/** Tag manifests: every tag file listed (sha256 required), every listed one present and matching. */
export async function checkTagManifests(
  read: BagRead,
  tagManifestNames: readonly string[],
  files: readonly SourceFile[],
  problems: VerifyProblem[],
): Promise<void> {
  if (!tagManifestNames.includes('tagmanifest-sha256.txt')) {
    problems.push({ code: 'manifest_missing', path: 'tagmanifest-sha256.txt', message: 'missing' });
  }
  const isTagFile = (f: SourceFile): boolean => !f.path.startsWith('data/') && !TAG_MANIFEST.test(f.path);
  for (const name of tagManifestNames) {
    await checkManifest(read, name, TAG_MANIFEST, TAG_CODES, problems, {
      mustList: (f) => name === 'tagmanifest-sha256.txt' && isTagFile(f),
      outsideData: false,
      files,
    });
  }
}

interface ManifestScope {
  /** The files this manifest must list. */
  readonly mustList: (file: SourceFile) => boolean;
  /** Payload manifests list only paths under data/. */
  readonly outsideData: boolean;
  readonly files: readonly SourceFile[];
}

/**
 * One manifest: syntax, then each path's first line against the bytes read, then the files it
 * should list but does not. Skipped when its text was not read or its algorithm is not supported
 * (both already reported).
 */
async function checkManifest(
  read: BagRead,
  name: string,
  pattern: RegExp,
  codes: ListedCodes,
  problems: VerifyProblem[],
  scope: ManifestScope,
): Promise<void> {
  const algo = pattern.exec(name)?.[1] ?? '';
  const first = read.lines(name);
  if (first === null || !SUPPORTED.has(algo)) return;
  const firstLines = await firstLineOfEachPath(read, name, first, problems);
  for await (const { line, checksum, path } of read.lines(name) ?? []) {
    if (checksum === null || firstLines.of(path) !== line) continue;
    if (scope.outsideData && !path.startsWith('data/')) {
      problems.push({ code: 'manifest_syntax', path: name, message: `${path} is outside data/` });
      continue;
    }
    checkListedFile(read, name, algo, path, checksum, codes, problems);
  }
  scope.files.forEach((f, i) => {
    if (scope.mustList(f) && read.index.get(f.path) === i && firstLines.of(f.path) === undefined)
      problems.push({ code: codes.unlisted, path: f.path, message: `${codes.what} not listed in ${name}` });
  });
}

/**
 * The first pass: malformed lines and paths listed twice are reported; returns, per path, the
 * line that first names it (by file number for the bag's files, in a map only for paths the bag
 * does not hold).
 */
async function firstLineOfEachPath(
  read: BagRead,
  name: string,
  lines: AsyncIterable<ManifestLine>,
  problems: VerifyProblem[],
): Promise<{ of(path: string): number | undefined }> {
  const inBag = new Uint32Array(read.digests.files);
  const elsewhere = new Map<string, number>();
  const of = (path: string): number | undefined => {
    const i = read.index.get(path);
    if (i === undefined) return elsewhere.get(path);
    return inBag[i] === 0 ? undefined : inBag[i];
  };
  for await (const { line, checksum, path } of lines) {
    if (checksum === null) {
      problems.push({
        code: 'manifest_syntax',
        path: name,
        message: `line ${line}: expected "<checksum> <path>"`,
      });
      continue;
    }
    if (of(path) !== undefined) {
      problems.push({ code: 'manifest_syntax', path: name, message: `line ${line}: ${path} listed twice` });
      continue;
    }
    const i = read.index.get(path);
    if (i === undefined) elsewhere.set(path, line);
    else inBag[i] = line;
  }
  return { of };
}

/**
 * One manifest entry against the bytes read: the file is in the bag and its digest matches. A
 * file in the bag that could not be read has no digest and was reported when reading.
 */
function checkListedFile(
  read: BagRead,
  manifest: string,
  algo: string,
  path: string,
  expected: string,
  codes: ListedCodes,
  problems: VerifyProblem[],
): void {
  const i = read.index.get(path);
  if (i === undefined) {
    problems.push({ code: codes.missing, path, message: `listed in ${manifest} but not in the bag` });
    return;
  }
  if (!read.digests.has(i)) return;
  const got = read.digests.hex(algo, i);
  if (got !== expected) {
    problems.push({
      code: codes.mismatch,
      path,
      message: `${algo} is ${got ?? '?'}, ${manifest} says ${expected}`,
    });
  }
}
