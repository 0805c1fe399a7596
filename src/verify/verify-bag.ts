/**
 * BagIt (RFC 8493) completeness and validity, plus this tool's own promises: every payload file
 * listed in every manifest with the right hash and nothing unlisted, Payload-Oxum, the required
 * bag-info fields, every tag file listed in the tag manifest with the right hash, and an intact
 * custody chain. Every file's bytes are read once, in storage order, hashing all algorithms the
 * manifests use at the same time. Every problem is collected and named; nothing stops at the
 * first.
 */
import { createHash } from 'node:crypto';
import type { BagSource, SourceFile, VerifyProblem } from './bag-source.js';
import {
  checkPayloadManifests,
  checkTagManifests,
  MANIFEST,
  SUPPORTED,
  TAG_MANIFEST,
  type BagRead,
} from './check-manifests.js';
import { checkCustodyChain } from './custody-chain.js';
import { FileDigests } from './file-digests.js';
import { manifestLines, manifestLinesOf, parseBagInfo, type ManifestLine } from './parse-tag-files.js';
import { bagCountOf, volumeLabelOf } from './bag-count.js';

const REQUIRED_INFO = ['Payload-Oxum', 'Bagging-Date', 'Bag-Size', 'External-Identifier'];
/** Fields this tool writes; their absence means the bag was not sealed by it (or was edited). */
const TOOL_INFO = ['As-Of-Cut', 'Tool-Version', 'Job-Spec-SHA256'];
const CUSTODY = 'reports/custody.jsonl';
/**
 * Tag files whose text we keep (everything else is only hashed). Payload manifests are not kept:
 * they have a line per payload file and are read again, line by line, when checked.
 */
const keepText = (path: string): boolean =>
  path === 'bagit.txt' || path === 'bag-info.txt' || TAG_MANIFEST.test(path) || path === CUSTODY;

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

async function digest(
  source: BagSource,
  file: SourceFile,
  algorithms: readonly string[],
  keep: boolean,
): Promise<{ size: number; digests: Map<string, Buffer>; text: string | null }> {
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
    size,
    digests: new Map(hashes.map(([a, h]) => [a, h.digest()])),
    text: keep ? Buffer.concat(chunks).toString('utf8') : null,
  };
}

export async function verifyBag(source: BagSource): Promise<BagCheck> {
  const problems: VerifyProblem[] = [...source.problems];
  const index = source.index;
  const manifestNames = [...index.keys()].filter((n) => MANIFEST.test(n)).sort();
  const tagManifestNames = [...index.keys()].filter((n) => TAG_MANIFEST.test(n)).sort();
  const algorithms = checkAlgorithms([...manifestNames, ...tagManifestNames], problems);
  const firstRead = await readEveryFile(source, algorithms, problems);
  const read: BagRead = {
    index,
    ...firstRead,
    lines: manifestReader(source, index, firstRead, problems),
  };
  const payload = source.files.filter((f) => f.path.startsWith('data/'));
  const payloadBytes = source.files.reduce(
    (sum, f, i) => (f.path.startsWith('data/') ? sum + (read.digests.size(i) ?? f.size) : sum),
    0,
  );
  const tagFiles = source.files.filter((f) => !f.path.startsWith('data/') && !TAG_MANIFEST.test(f.path));

  checkBagitTxt(read.texts.get('bagit.txt'), problems);
  const bagInfo = checkBagInfo(read.texts.get('bag-info.txt'), problems);
  const oxum = bagInfo.get('Payload-Oxum') ?? null;
  checkPayloadOxum(oxum, payloadBytes, payload.length, problems);
  checkFolderName(source, bagInfo, problems);
  await checkPayloadManifests(read, manifestNames, source.files, problems);
  await checkTagManifests(read, tagManifestNames, source.files, problems);
  const custody = read.texts.get(CUSTODY);
  const custodyEntries = checkCustody(custody, index, problems);

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
): Promise<Omit<BagRead, 'index' | 'lines'>> {
  const digests = new FileDigests(source.files.length, algorithms);
  const texts = new Map<string, string>();
  for (const [i, file] of source.files.entries()) {
    try {
      const read = await digest(source, file, [...algorithms], keepText(file.path));
      digests.set(i, read.size, read.digests);
      if (read.text !== null) texts.set(file.path, read.text);
    } catch (error) {
      const e = error as Error & { code?: string };
      problems.push({
        code: e.code === 'zip_crc' ? 'zip_crc' : 'unreadable',
        path: file.path,
        message: e.message,
      });
    }
  }
  return { digests, texts };
}

/**
 * A manifest's lines: a kept text, or the file read again from the bag. The bytes read again must
 * hash as they did the first time (a file changed in between is named, `unreadable`).
 */
function manifestReader(
  source: BagSource,
  index: ReadonlyMap<string, number>,
  first: Omit<BagRead, 'index' | 'lines'>,
  problems: VerifyProblem[],
): BagRead['lines'] {
  const reported = new Set<string>();
  const report = (path: string, message: string): void => {
    if (reported.has(path)) return;
    reported.add(path);
    problems.push({ code: 'unreadable', path, message });
  };
  return (path) => {
    const text = first.texts.get(path);
    if (text !== undefined) return asAsync(manifestLines(text));
    const i = index.get(path);
    const file = i === undefined ? undefined : source.files[i];
    const sha256 = i === undefined ? undefined : first.digests.hex('sha256', i);
    if (file === undefined || sha256 === undefined) return null;
    return (async function* (): AsyncGenerator<ManifestLine> {
      const hash = createHash('sha256');
      async function* hashed(): AsyncGenerator<Buffer> {
        for await (const chunk of await source.open(file!)) {
          hash.update(chunk as Buffer);
          yield chunk as Buffer;
        }
      }
      try {
        yield* manifestLinesOf(hashed());
      } catch (error) {
        report(path, `read again: ${(error as Error).message}`);
        return;
      }
      if (hash.digest('hex') !== sha256) report(path, 'changed while the bag was being verified');
    })();
  };
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
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

/**
 * A zip's one top-level folder is `<External-Identifier>-<run id from As-Of-Cut>`, and for one
 * volume of a set (`Bag-Count: 2 of 3`) that name and `.vol002-of-003`.
 */
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
  const count = bagCountOf(bagInfo);
  const expected = `${identifier}-${runId}${count === null ? '' : `.${volumeLabelOf(count)}`}`;
  if (source.kind !== 'dir' && source.folder !== expected) {
    problems.push({
      code: 'layout',
      message: `top-level folder is "${source.folder}", expected "${expected}"`,
    });
  }
}

/** The custody log: present, newline-terminated, an intact chain. Returns its entry count. */
function checkCustody(
  custody: string | undefined,
  names: ReadonlyMap<string, number>,
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
