/**
 * BagIt (RFC 8493) completeness and validity, plus this tool's own promises: every payload file
 * listed in every manifest with the right hash and nothing unlisted, Payload-Oxum, the required
 * bag-info fields, every tag file listed in the tag manifest with the right hash, and an intact
 * custody chain. Every file's bytes are read once, in storage order, hashing all algorithms the
 * manifests use at the same time. Every problem is collected and named; nothing stops at the
 * first.
 */
import { createHash } from 'node:crypto';
import type { BagSource, VerifyProblem } from './bag-source.js';
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
import {
  checkPayloadManifests,
  checkTagManifests,
  MANIFEST,
  TAG_MANIFEST,
  type BagRead,
} from './check-manifests.js';
import { digestStream, FileDigests } from './file-digests.js';
import { manifestLines, manifestLinesOf, type ManifestLine } from './parse-tag-files.js';

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
  checkFolderName(source.kind, source.folder, bagInfo, problems);
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
      const read = await digestStream(await source.open(file), [...algorithms], keepText(file.path));
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
