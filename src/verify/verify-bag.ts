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
import { checkCustodyChain } from './custody-chain.js';

const SUPPORTED = new Set(['md5', 'sha1', 'sha256', 'sha512']);
const REQUIRED_INFO = ['Payload-Oxum', 'Bagging-Date', 'Bag-Size', 'External-Identifier'];
/** Fields this tool writes; their absence means the bag was not sealed by it (or was edited). */
const TOOL_INFO = ['As-Of-Cut', 'Tool-Version', 'Job-Spec-SHA256'];
const CUSTODY = 'reports/custody.jsonl';
/** Tag files whose text we need (everything else is only hashed). */
const keepText = (path: string): boolean =>
  path === 'bagit.txt' ||
  path === 'bag-info.txt' ||
  /^(tag)?manifest-[a-z0-9]+\.txt$/u.test(path) ||
  path === CUSTODY;

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
  readonly hashes: ReadonlyMap<string, string>;
}

function parseBagInfo(text: string): Map<string, string> {
  const info = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.split(/\r?\n/u)) {
    if (line === '') continue;
    if (/^\s/u.test(line) && last !== null) {
      info.set(last, `${info.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    // Repeated labels are legal; the first wins for our checks.
    if (!info.has(last)) info.set(last, line.slice(colon + 1).trim());
  }
  return info;
}

function decodePath(path: string): string {
  return path.replace(/%0A/giu, '\n').replace(/%0D/giu, '\r').replace(/%25/gu, '%');
}

/** Parses `<hex> <path>` lines; problems name the manifest and the line. */
function parseManifest(name: string, text: string, problems: VerifyProblem[]): Map<string, string> {
  const entries = new Map<string, string>();
  text.split(/\r?\n/u).forEach((line, i) => {
    if (line.trim() === '') return;
    const match = /^([0-9a-fA-F]+)[ \t]+(.+)$/u.exec(line);
    if (match === null) {
      problems.push({
        code: 'manifest_syntax',
        path: name,
        message: `line ${i + 1}: expected "<checksum> <path>"`,
      });
      return;
    }
    const path = decodePath(match[2] ?? '');
    if (entries.has(path)) {
      problems.push({ code: 'manifest_syntax', path: name, message: `line ${i + 1}: ${path} listed twice` });
    }
    entries.set(path, (match[1] ?? '').toLowerCase());
  });
  return entries;
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
    d: { size, hashes: new Map(hashes.map(([a, h]) => [a, h.digest('hex')])) },
    text: keep ? Buffer.concat(chunks).toString('utf8') : null,
  };
}

export async function verifyBag(source: BagSource): Promise<BagCheck> {
  const problems: VerifyProblem[] = [...source.problems];
  const names = new Set(source.files.map((f) => f.path));
  const manifestNames = [...names].filter((n) => /^manifest-[a-z0-9]+\.txt$/u.test(n)).sort();
  const tagManifestNames = [...names].filter((n) => /^tagmanifest-[a-z0-9]+\.txt$/u.test(n)).sort();
  const algorithms = new Set<string>(['sha256']);
  for (const n of [...manifestNames, ...tagManifestNames]) {
    const algo = /manifest-([a-z0-9]+)\.txt$/u.exec(n)?.[1] ?? '';
    if (SUPPORTED.has(algo)) algorithms.add(algo);
    else
      problems.push({
        code: 'unsupported_algorithm',
        path: n,
        message: `checksum algorithm "${algo}" is not supported`,
      });
  }

  // One pass over every file's bytes.
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

  // bagit.txt
  const bagit = texts.get('bagit.txt');
  if (bagit === undefined)
    problems.push({ code: 'bagit_txt', path: 'bagit.txt', message: 'missing: not a BagIt bag' });
  else {
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

  // bag-info.txt and Payload-Oxum
  const bagInfo = parseBagInfo(texts.get('bag-info.txt') ?? '');
  if (!texts.has('bag-info.txt'))
    problems.push({ code: 'bag_info', path: 'bag-info.txt', message: 'missing' });
  else {
    for (const label of [...REQUIRED_INFO, ...TOOL_INFO]) {
      if ((bagInfo.get(label) ?? '') === '')
        problems.push({ code: 'bag_info', path: 'bag-info.txt', message: `field ${label} is missing` });
    }
  }
  const payload = source.files.filter((f) => f.path.startsWith('data/'));
  const payloadBytes = payload.reduce((s, f) => s + (seen.get(f.path)?.size ?? f.size), 0);
  const oxum = bagInfo.get('Payload-Oxum') ?? null;
  if (oxum !== null && oxum !== `${payloadBytes}.${payload.length}`) {
    problems.push({
      code: 'payload_oxum',
      path: 'bag-info.txt',
      message: `Payload-Oxum is ${oxum}, the payload is ${payloadBytes}.${payload.length}`,
    });
  }
  const identifier = bagInfo.get('External-Identifier');
  const cut = bagInfo.get('As-Of-Cut');
  if (identifier !== undefined && cut !== undefined && !Number.isNaN(Date.parse(cut))) {
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

  // Payload manifests: complete (both directions) and valid.
  if (manifestNames.length === 0)
    problems.push({ code: 'manifest_missing', message: 'no manifest-<algorithm>.txt' });
  for (const name of manifestNames) {
    const algo = /^manifest-([a-z0-9]+)\.txt$/u.exec(name)?.[1] ?? '';
    const text = texts.get(name);
    if (text === undefined || !SUPPORTED.has(algo)) continue;
    const listed = parseManifest(name, text, problems);
    for (const [path, expected] of listed) {
      if (!path.startsWith('data/')) {
        problems.push({ code: 'manifest_syntax', path: name, message: `${path} is outside data/` });
        continue;
      }
      const got = seen.get(path);
      if (got === undefined) {
        if (!names.has(path))
          problems.push({ code: 'file_missing', path, message: `listed in ${name} but not in the bag` });
      } else if (got.hashes.get(algo) !== expected) {
        problems.push({
          code: 'hash_mismatch',
          path,
          message: `${algo} is ${got.hashes.get(algo) ?? '?'}, ${name} says ${expected}`,
        });
      }
    }
    for (const f of payload) {
      if (!listed.has(f.path))
        problems.push({ code: 'file_unlisted', path: f.path, message: `payload file not listed in ${name}` });
    }
  }

  // Tag manifests: every tag file listed (sha256 required), every listed one present and matching.
  const tagFiles = source.files.filter(
    (f) => !f.path.startsWith('data/') && !/^tagmanifest-[a-z0-9]+\.txt$/u.test(f.path),
  );
  if (!tagManifestNames.includes('tagmanifest-sha256.txt')) {
    problems.push({ code: 'manifest_missing', path: 'tagmanifest-sha256.txt', message: 'missing' });
  }
  for (const name of tagManifestNames) {
    const algo = /^tagmanifest-([a-z0-9]+)\.txt$/u.exec(name)?.[1] ?? '';
    const text = texts.get(name);
    if (text === undefined || !SUPPORTED.has(algo)) continue;
    const listed = parseManifest(name, text, problems);
    for (const [path, expected] of listed) {
      const got = seen.get(path);
      if (got === undefined) {
        if (!names.has(path))
          problems.push({ code: 'tag_missing', path, message: `listed in ${name} but not in the bag` });
      } else if (got.hashes.get(algo) !== expected) {
        problems.push({
          code: 'tag_hash_mismatch',
          path,
          message: `${algo} is ${got.hashes.get(algo) ?? '?'}, ${name} says ${expected}`,
        });
      }
    }
    if (name === 'tagmanifest-sha256.txt') {
      for (const f of tagFiles) {
        if (!listed.has(f.path))
          problems.push({ code: 'tag_unlisted', path: f.path, message: `tag file not listed in ${name}` });
      }
    }
  }

  // Custody chain.
  let custodyEntries = 0;
  const custody = texts.get(CUSTODY);
  if (custody === undefined) {
    if (!names.has(CUSTODY)) problems.push({ code: 'custody_missing', path: CUSTODY, message: 'missing' });
  } else {
    const chain = checkCustodyChain(custody);
    custodyEntries = chain.entries;
    if (!custody.endsWith('\n') && custody !== '') {
      problems.push({
        code: 'custody_chain',
        path: CUSTODY,
        message: 'last entry is not terminated by a newline',
      });
    }
    for (const p of chain.problems)
      problems.push({ code: 'custody_chain', path: CUSTODY, message: p.message });
  }

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
