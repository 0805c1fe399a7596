/**
 * BagIt (RFC 8493) completeness and validity, plus this tool's own promises: every payload file
 * listed in every manifest with the right hash and nothing unlisted, Payload-Oxum, the required
 * bag-info fields, every tag file listed in the tag manifest with the right hash, and an intact
 * custody chain. Every file's bytes are read once, in storage order, hashing all algorithms the
 * manifests use at the same time. Every problem is collected and named; nothing stops at the
 * first.
 */
import { createHash } from 'node:crypto';
import type { BagSource, ProblemCode, SourceFile, VerifyProblem } from './bag-source.js';
import { checkCustodyChain } from './custody-chain.js';
import { parseBagInfo, parseManifest } from './parse-tag-files.js';

const SUPPORTED = new Set(['md5', 'sha1', 'sha256', 'sha512']);
const REQUIRED_INFO = ['Payload-Oxum', 'Bagging-Date', 'Bag-Size', 'External-Identifier'];
/** Fields this tool writes; their absence means the bag was not sealed by it (or was edited). */
const TOOL_INFO = ['As-Of-Cut', 'Tool-Version', 'Job-Spec-SHA256'];
const CUSTODY = 'reports/custody.jsonl';
const MANIFEST = /^manifest-([a-z0-9]+)\.txt$/u;
const TAG_MANIFEST = /^tagmanifest-([a-z0-9]+)\.txt$/u;
/** Tag files whose text we need (everything else is only hashed). */
const keepText = (path: string): boolean =>
  path === 'bagit.txt' ||
  path === 'bag-info.txt' ||
  /^(tag)?manifest-[a-z0-9]+\.txt$/u.test(path) ||
  path === CUSTODY;

/** The codes a manifest entry's problems carry, payload or tag. */
interface ListedCodes {
  readonly missing: ProblemCode;
  readonly mismatch: ProblemCode;
}
const PAYLOAD_CODES: ListedCodes = { missing: 'file_missing', mismatch: 'hash_mismatch' };
const TAG_CODES: ListedCodes = { missing: 'tag_missing', mismatch: 'tag_hash_mismatch' };

export interface BagFacts {
  readonly folder: string;
  readonly payloadFiles: number;
  readonly payloadBytes: number;
  readonly payloadOxum: string | null;
  readonly bagInfo: Readonly<Record<string, string>>;
  readonly manifests: readonly string[];
  readonly tagFiles: number;
  readonly custodyEntries: number;
}

export interface BagCheck {
  readonly problems: VerifyProblem[];
  readonly facts: BagFacts;
  /** The bag's custody log text, for comparing with the fuller log kept beside the archive. */
  readonly custodyText: string | null;
}

interface Digests {
  readonly size: number;
  /** Hex digest by algorithm: a plain record, not a Map (one per file of the bag). */
  readonly hashes: Readonly<Record<string, string>>;
}

/** What the one pass over the bag's bytes gave; every check below reads from it. */
interface BagRead {
  /** Every path the source lists, read or not. */
  readonly names: ReadonlySet<string>;
  /** Size and digests of every file that could be read. */
  readonly seen: ReadonlyMap<string, Digests>;
  /** The text of the tag files `keepText` names. */
  readonly texts: ReadonlyMap<string, string>;
}

async function digest(
  source: BagSource,
  file: SourceFile,
  algorithms: readonly string[],
  keep: boolean,
): Promise<{ d: Digests; text: string | null }> {
  const hashes = algorithms.map((a) => [a, createHash(a)] as const);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await source.open(file)) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    for (const [, h] of hashes) h.update(buffer);
    if (keep) chunks.push(buffer);
  }
  return {
    d: { size, hashes: Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')])) },
    text: keep ? Buffer.concat(chunks).toString('utf8') : null,
  };
}

export async function verifyBag(source: BagSource): Promise<BagCheck> {
  const problems: VerifyProblem[] = [...source.problems];
  const names = new Set(source.files.map((f) => f.path));
  const manifestNames = [...names].filter((n) => MANIFEST.test(n)).sort();
  const tagManifestNames = [...names].filter((n) => TAG_MANIFEST.test(n)).sort();
  const algorithms = checkAlgorithms([...manifestNames, ...tagManifestNames], problems);
  const read: BagRead = { names, ...(await readEveryFile(source, algorithms, problems)) };
  const payload = source.files.filter((f) => f.path.startsWith('data/'));
  const payloadBytes = payload.reduce((s, f) => s + (read.seen.get(f.path)?.size ?? f.size), 0);
  const tagFiles = source.files.filter((f) => !f.path.startsWith('data/') && !TAG_MANIFEST.test(f.path));

  checkBagitTxt(read.texts.get('bagit.txt'), problems);
  const bagInfo = checkBagInfo(read.texts.get('bag-info.txt'), problems);
  const oxum = bagInfo.get('Payload-Oxum') ?? null;
  checkPayloadOxum(oxum, payloadBytes, payload.length, problems);
  checkFolderName(source, bagInfo, problems);
  checkPayloadManifests(read, manifestNames, payload, problems);
  checkTagManifests(read, tagManifestNames, tagFiles, problems);
  const custody = read.texts.get(CUSTODY);
  const custodyEntries = checkCustody(custody, names, problems);

  return {
    problems,
    custodyText: custody ?? null,
    facts: {
      folder: source.folder,
      payloadFiles: payload.length,
      payloadBytes,
      payloadOxum: oxum,
      bagInfo: Object.fromEntries(bagInfo),
      manifests: [...manifestNames, ...tagManifestNames],
      tagFiles: tagFiles.length,
      custodyEntries,
    },
  };
}

/** The algorithms to hash with: sha256 always, plus every supported one a manifest names. */
function checkAlgorithms(manifestNames: readonly string[], problems: VerifyProblem[]): Set<string> {
  const algorithms = new Set<string>(['sha256']);
  for (const n of manifestNames) {
    const algo = /manifest-([a-z0-9]+)\.txt$/u.exec(n)?.[1] ?? '';
    if (SUPPORTED.has(algo)) algorithms.add(algo);
    else
      problems.push({
        code: 'unsupported_algorithm',
        path: n,
        message: `checksum algorithm "${algo}" is not supported`,
      });
  }
  return algorithms;
}

/** One pass over every file's bytes; a file that cannot be read is named and left out. */
async function readEveryFile(
  source: BagSource,
  algorithms: ReadonlySet<string>,
  problems: VerifyProblem[],
): Promise<Omit<BagRead, 'names'>> {
  const seen = new Map<string, Digests>();
  const texts = new Map<string, string>();
  for (const file of source.files) {
    try {
      const { d, text } = await digest(source, file, [...algorithms], keepText(file.path));
      seen.set(file.path, d);
      if (text !== null) texts.set(file.path, text);
    } catch (error) {
      const e = error as Error & { code?: string };
      problems.push({
        code: e.code === 'zip_crc' ? 'zip_crc' : 'unreadable',
        path: file.path,
        message: e.message,
      });
    }
  }
  return { seen, texts };
}

/** bagit.txt: present, a known BagIt version, UTF-8 tag files. */
function checkBagitTxt(bagit: string | undefined, problems: VerifyProblem[]): void {
  if (bagit === undefined) {
    problems.push({ code: 'bagit_txt', path: 'bagit.txt', message: 'missing: not a BagIt bag' });
    return;
  }
  const info = parseBagInfo(bagit);
  if (!/^(1\.0|0\.9[0-9])$/u.test(info.get('BagIt-Version') ?? '')) {
    problems.push({
      code: 'bagit_txt',
      path: 'bagit.txt',
      message: `BagIt-Version is "${info.get('BagIt-Version') ?? ''}"`,
    });
  }
  if ((info.get('Tag-File-Character-Encoding') ?? '').toUpperCase() !== 'UTF-8') {
    problems.push({
      code: 'bagit_txt',
      path: 'bagit.txt',
      message: 'Tag-File-Character-Encoding must be UTF-8',
    });
  }
}

/** bag-info.txt: present, with the RFC's fields and this tool's; returns its fields (empty if missing). */
function checkBagInfo(text: string | undefined, problems: VerifyProblem[]): Map<string, string> {
  const bagInfo = parseBagInfo(text ?? '');
  if (text === undefined) {
    problems.push({ code: 'bag_info', path: 'bag-info.txt', message: 'missing' });
    return bagInfo;
  }
  for (const label of [...REQUIRED_INFO, ...TOOL_INFO]) {
    if ((bagInfo.get(label) ?? '') === '')
      problems.push({ code: 'bag_info', path: 'bag-info.txt', message: `field ${label} is missing` });
  }
  return bagInfo;
}

/** Payload-Oxum, when given, is `<bytes>.<files>` of the payload as read. */
function checkPayloadOxum(
  oxum: string | null,
  payloadBytes: number,
  payloadFiles: number,
  problems: VerifyProblem[],
): void {
  if (oxum !== null && oxum !== `${payloadBytes}.${payloadFiles}`) {
    problems.push({
      code: 'payload_oxum',
      path: 'bag-info.txt',
      message: `Payload-Oxum is ${oxum}, the payload is ${payloadBytes}.${payloadFiles}`,
    });
  }
}

/** A zip's one top-level folder is `<External-Identifier>-<run id from As-Of-Cut>`. */
function checkFolderName(
  source: BagSource,
  bagInfo: ReadonlyMap<string, string>,
  problems: VerifyProblem[],
): void {
  const identifier = bagInfo.get('External-Identifier');
  const cut = bagInfo.get('As-Of-Cut');
  if (identifier === undefined || cut === undefined || Number.isNaN(Date.parse(cut))) return;
  const runId = new Date(cut)
    .toISOString()
    .replace(/[-:]/gu, '')
    .replace(/\.\d{3}/u, '');
  if (source.kind !== 'dir' && source.folder !== `${identifier}-${runId}`) {
    problems.push({
      code: 'layout',
      message: `top-level folder is "${source.folder}", expected "${identifier}-${runId}"`,
    });
  }
}

/** Payload manifests: complete (both directions) and valid. */
function checkPayloadManifests(
  read: BagRead,
  manifestNames: readonly string[],
  payload: readonly SourceFile[],
  problems: VerifyProblem[],
): void {
  if (manifestNames.length === 0)
    problems.push({ code: 'manifest_missing', message: 'no manifest-<algorithm>.txt' });
  for (const name of manifestNames) {
    const manifest = readManifest(read, name, MANIFEST, problems);
    if (manifest === null) continue;
    for (const [path, expected] of manifest.listed) {
      if (!path.startsWith('data/')) {
        problems.push({ code: 'manifest_syntax', path: name, message: `${path} is outside data/` });
        continue;
      }
      checkListedFile(read, name, manifest.algo, path, expected, PAYLOAD_CODES, problems);
    }
    for (const f of payload) {
      if (!manifest.listed.has(f.path))
        problems.push({ code: 'file_unlisted', path: f.path, message: `payload file not listed in ${name}` });
    }
  }
}

/** Tag manifests: every tag file listed (sha256 required), every listed one present and matching. */
function checkTagManifests(
  read: BagRead,
  tagManifestNames: readonly string[],
  tagFiles: readonly SourceFile[],
  problems: VerifyProblem[],
): void {
  if (!tagManifestNames.includes('tagmanifest-sha256.txt')) {
    problems.push({ code: 'manifest_missing', path: 'tagmanifest-sha256.txt', message: 'missing' });
  }
  for (const name of tagManifestNames) {
    const manifest = readManifest(read, name, TAG_MANIFEST, problems);
    if (manifest === null) continue;
    for (const [path, expected] of manifest.listed) {
      checkListedFile(read, name, manifest.algo, path, expected, TAG_CODES, problems);
    }
    if (name !== 'tagmanifest-sha256.txt') continue;
    for (const f of tagFiles) {
      if (!manifest.listed.has(f.path))
        problems.push({ code: 'tag_unlisted', path: f.path, message: `tag file not listed in ${name}` });
    }
  }
}

/**
 * A manifest's algorithm and entries; null when its text was not read or its algorithm is not
 * supported (both already reported).
 */
function readManifest(
  read: BagRead,
  name: string,
  pattern: RegExp,
  problems: VerifyProblem[],
): { algo: string; listed: Map<string, string> } | null {
  const algo = pattern.exec(name)?.[1] ?? '';
  const text = read.texts.get(name);
  if (text === undefined || !SUPPORTED.has(algo)) return null;
  return { algo, listed: parseManifest(name, text, problems) };
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
  const got = read.seen.get(path);
  if (got === undefined) {
    if (!read.names.has(path))
      problems.push({ code: codes.missing, path, message: `listed in ${manifest} but not in the bag` });
  } else if (got.hashes[algo] !== expected) {
    problems.push({
      code: codes.mismatch,
      path,
      message: `${algo} is ${got.hashes[algo] ?? '?'}, ${manifest} says ${expected}`,
    });
  }
}

/** The custody log: present, newline-terminated, an intact chain. Returns its entry count. */
function checkCustody(
  custody: string | undefined,
  names: ReadonlySet<string>,
  problems: VerifyProblem[],
): number {
  if (custody === undefined) {
    // In the bag but unreadable: already reported when reading.
    if (!names.has(CUSTODY)) problems.push({ code: 'custody_missing', path: CUSTODY, message: 'missing' });
    return 0;
  }
  const chain = checkCustodyChain(custody);
  if (!custody.endsWith('\n') && custody !== '') {
    problems.push({
      code: 'custody_chain',
      path: CUSTODY,
      message: 'last entry is not terminated by a newline',
    });
  }
  for (const p of chain.problems) problems.push({ code: 'custody_chain', path: CUSTODY, message: p.message });
  return chain.entries;
}
