/**
 * The bag-level checks both ways of verifying a bag share (verify-bag.ts holds every entry,
 * ordered-zip.ts merges an ordered zip with its manifests): bagit.txt, bag-info.txt,
 * Payload-Oxum, the folder name, the custody log, and which algorithms to hash with.
 */
import type { BagSource, VerifyProblem } from './bag-source.js';
import { bagCountOf, volumeLabelOf } from './bag-count.js';
import { SUPPORTED, TAG_MANIFEST } from './check-manifests.js';
import { checkCustodyChain } from './custody-chain.js';
import { parseBagInfo } from './parse-tag-files.js';

const REQUIRED_INFO = ['Payload-Oxum', 'Bagging-Date', 'Bag-Size', 'External-Identifier'];
/** Fields this tool writes; their absence means the bag was not sealed by it (or was edited). */
const TOOL_INFO = ['As-Of-Cut', 'Tool-Version', 'Job-Spec-SHA256'];
export const CUSTODY = 'reports/custody.jsonl';
/**
 * Tag files whose text we keep (everything else is only hashed). Payload manifests are not kept:
 * they have a line per payload file and are read again, line by line, when checked.
 */
export const keepText = (path: string): boolean =>
  path === 'bagit.txt' || path === 'bag-info.txt' || TAG_MANIFEST.test(path) || path === CUSTODY;

/** The algorithms to hash with: sha256 always, plus every supported one a manifest names. */
export function checkAlgorithms(manifestNames: readonly string[], problems: VerifyProblem[]): Set<string> {
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

/** bagit.txt: present, a known BagIt version, UTF-8 tag files. */
export function checkBagitTxt(bagit: string | undefined, problems: VerifyProblem[]): void {
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
export function checkBagInfo(text: string | undefined, problems: VerifyProblem[]): Map<string, string> {
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
export function checkPayloadOxum(
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
export function checkFolderName(
  kind: BagSource['kind'],
  folder: string,
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
  if (kind !== 'dir' && folder !== expected) {
    problems.push({
      code: 'layout',
      message: `top-level folder is "${folder}", expected "${expected}"`,
    });
  }
}

/** The custody log: present, newline-terminated, an intact chain. Returns its entry count. */
export function checkCustody(
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
