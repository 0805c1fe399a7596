/**
 * `verifyArchive(target)`: a zip file, an extracted bag directory, or `s3://bucket/key`. Checks
 * the bag (verify-bag.ts) and, for zips, the `.sha256` sidecar beside it against the SHA-256 of
 * the archive bytes (computed during the same read). Returns every problem; never throws for a
 * bad archive, only for a target that cannot be opened at all.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ExportError } from '../errors.js';
import type { BagSource, VerifyProblem } from './bag-source.js';
import { checkCustodyChain } from './custody-chain.js';
import { openDirSource } from './dir-source.js';
import type { BlockReader } from './block-reader.js';
import { verifyOrderedZip } from './ordered-zip.js';
import { verifyBag, type BagCheck, type BagFacts } from './verify-bag.js';
import { localBlocks, openZipSource, s3Blocks } from './zip-source.js';
import { awsS3, newS3Client } from '../aws-sdk.js';
import { readRegularFile } from '../local-files.js';

export interface VerifyOptions {
  /** S3 client to use; otherwise one is built from the options below and the environment. */
  readonly client?: S3Client;
  readonly region?: string;
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  /** Check the `.sha256` sidecar beside a zip (default true). */
  readonly sidecar?: boolean;
  /**
   * A stop (a run's Ctrl-C or SIGTERM): once aborted, reads fail fast and `verifyArchive` throws
   * the signal's reason instead of reporting what the stop made unreadable.
   */
  readonly signal?: AbortSignal;
}

export interface VerifyReport {
  readonly target: string;
  readonly kind: 'zip' | 'dir' | 's3';
  readonly ok: boolean;
  readonly archiveSha256: string | null;
  readonly sidecar: { readonly location: string; readonly sha256: string | null } | null;
  /**
   * The run's full custody log kept beside the archive (upload, read-back and verify entries
   * after the seal), when there is one: its chain must hold and the bag's log must be its start.
   */
  readonly custodyBeside: { readonly location: string; readonly entries: number } | null;
  readonly facts: BagFacts;
  readonly problems: readonly VerifyProblem[];
}

function s3Client(options: VerifyOptions): S3Client {
  if (options.client !== undefined) return options.client;
  return newS3Client(options);
}

function parseS3(uri: string): { bucket: string; key: string } {
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1)
    throw new ExportError('usage', `${uri}: expected s3://bucket/key`);
  return { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

function parseSidecarText(text: string): { sha256: string; fileName: string } | null {
  const match = /^([0-9a-fA-F]{64}) [ *](.+?)\r?$/u.exec(text.split('\n')[0] ?? '');
  return match === null ? null : { sha256: (match[1] ?? '').toLowerCase(), fileName: match[2] ?? '' };
}

/** A file found, or not, beside the archive. */
interface Beside {
  readonly location: string;
  readonly text: string | null;
}

/** An opened target: how to check its bag, and for a zip the way to the files kept beside it. */
interface OpenedTarget {
  readonly kind: BagSource['kind'];
  readonly check: () => Promise<BagCheck>;
  /** SHA-256 of the archive's bytes (zips only), after `check` read them. */
  readonly archiveSha256: (() => Promise<string>) | null;
  readonly close: () => Promise<void>;
  readonly zipName: string;
  /** The `.sha256` sidecar; null for a directory. */
  readonly readSidecar: (() => Promise<Beside>) | null;
  /** A file in the archive's folder; null for a directory. */
  readonly readBeside: ((name: string) => Promise<Beside>) | null;
}

export async function verifyArchive(target: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const opened = target.startsWith('s3://')
    ? await openS3Target(target, options)
    : await openLocalTarget(target, options.signal);
  const { zipName, readSidecar, readBeside } = opened;
  try {
    const { problems, facts, custodyText } = await opened.check();
    const archiveSha256 = await hashArchive(opened.archiveSha256, target, problems);
    const sidecar =
      readSidecar === null || options.sidecar === false
        ? null
        : checkSidecar(await readSidecar(), zipName, archiveSha256, problems);
    const custodyBeside =
      readBeside === null
        ? null
        : checkCustodyBeside(await readBeside('custody.jsonl'), custodyText, problems);
    options.signal?.throwIfAborted();
    return {
      target,
      kind: opened.kind,
      ok: problems.length === 0,
      archiveSha256,
      sidecar,
      custodyBeside,
      facts,
      problems,
    };
  } finally {
    await opened.close();
  }
}

/**
 * A zip's bag: by merge join when it is in the order this tool writes (ordered-zip.ts, nothing
 * held per entry), else by the map-based check over the same blocks.
 */
function zipTarget(
  blocks: BlockReader,
  kind: 'zip' | 's3',
  close: () => Promise<void>,
): Pick<OpenedTarget, 'kind' | 'check' | 'archiveSha256' | 'close'> {
  return {
    kind,
    check: async () => {
      const merged = await verifyOrderedZip(blocks, kind);
      if (merged !== null) return merged;
      const source = await openZipSource(blocks, kind, async () => undefined);
      try {
        return await verifyBag(source);
      } finally {
        await source.close();
      }
    },
    archiveSha256: () => blocks.sha256(),
    close,
  };
}

async function openS3Target(target: string, options: VerifyOptions): Promise<OpenedTarget> {
  const { bucket, key } = parseS3(target);
  const client = s3Client(options);
  const blocks = await s3Blocks(client, bucket, key, options.signal);
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  return {
    ...zipTarget(blocks, 's3', async () => undefined),
    zipName: basename(key),
    // The custody log beside the zip is optional: a 403 (what S3 answers for a missing key when
    // the reader may not list the bucket) counts as absent, like a 404. The sidecar is required:
    // only a 404 makes it missing, a 403 is an error.
    readSidecar: () => readS3Text(client, bucket, `${key}.sha256`, [404]),
    readBeside: (name) => readS3Text(client, bucket, `${folder}${name}`, [404, 403]),
  };
}

async function readS3Text(
  client: S3Client,
  bucket: string,
  key: string,
  absentStatuses: readonly number[],
): Promise<Beside> {
  const location = `s3://${bucket}/${key}`;
  try {
    const object = await client.send(new (awsS3().GetObjectCommand)({ Bucket: bucket, Key: key }));
    return { location, text: (await object.Body?.transformToString('utf8')) ?? '' };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== undefined && absentStatuses.includes(status)) return { location, text: null };
    throw error;
  }
}

async function openLocalTarget(target: string, signal?: AbortSignal): Promise<OpenedTarget> {
  let isDirectory: boolean;
  try {
    const st = await stat(target);
    isDirectory = st.isDirectory();
    // A FIFO or device would be waited on or read forever: neither is an archive.
    if (!isDirectory && !st.isFile())
      throw new ExportError('usage', `${target}: not a zip file or a bag folder`);
  } catch (error) {
    if (error instanceof ExportError) throw error;
    throw new ExportError('usage', `${target}: ${(error as NodeJS.ErrnoException).code ?? 'cannot open'}`, {
      cause: error,
    });
  }
  if (isDirectory) {
    const source = await openDirSource(target);
    return {
      kind: source.kind,
      check: () => verifyBag(source),
      archiveSha256: null,
      close: () => source.close(),
      zipName: basename(target),
      readSidecar: null,
      readBeside: null,
    };
  }
  const { blocks, close } = await localBlocks(target, signal);
  return {
    ...zipTarget(blocks, 'zip', close),
    zipName: basename(target),
    readSidecar: () => readLocalText(`${target}.sha256`),
    readBeside: (name) => readLocalText(join(dirname(target), name)),
  };
}

/** A custody log or sidecar is far smaller; anything larger is not one. */
const MAX_BESIDE_BYTES = 64 * 1024 * 1024;

/**
 * A file beside a local archive, or null when there is none to read: a link, a FIFO (never waited
 * on), anything but a regular file or over the cap counts as absent, and the check says so.
 */
async function readLocalText(location: string): Promise<Beside> {
  const read = await readRegularFile(location, MAX_BESIDE_BYTES);
  return { location, text: 'bytes' in read ? read.bytes.toString('utf8') : null };
}

/** SHA-256 of the archive bytes (zips only); a failure to read them is a problem, not a throw. */
async function hashArchive(
  archiveSha256: (() => Promise<string>) | null,
  target: string,
  problems: VerifyProblem[],
): Promise<string | null> {
  if (archiveSha256 === null) return null;
  try {
    return await archiveSha256();
  } catch (error) {
    problems.push({
      code: 'unreadable',
      path: target,
      message: `reading the archive: ${(error as Error).message}`,
    });
    return null;
  }
}

/** The sidecar is present, in sha256sum format, and names this archive and its hash. */
function checkSidecar(
  found: Beside,
  zipName: string,
  archiveSha256: string | null,
  problems: VerifyProblem[],
): VerifyReport['sidecar'] {
  const parsed = found.text === null ? null : parseSidecarText(found.text);
  const sidecar = { location: found.location, sha256: parsed?.sha256 ?? null };
  if (found.text === null) {
    problems.push({
      code: 'sidecar_missing',
      path: found.location,
      message: 'no .sha256 sidecar beside the archive',
    });
  } else if (parsed === null) {
    problems.push({ code: 'sidecar_mismatch', path: found.location, message: 'not in sha256sum format' });
  } else {
    if (archiveSha256 !== null && parsed.sha256 !== archiveSha256) {
      problems.push({
        code: 'sidecar_mismatch',
        path: found.location,
        message: `says ${parsed.sha256}, the archive hashes to ${archiveSha256}`,
      });
    }
    if (parsed.fileName !== zipName) {
      problems.push({
        code: 'sidecar_mismatch',
        path: found.location,
        message: `names "${parsed.fileName}", the archive is "${zipName}"`,
      });
    }
  }
  return sidecar;
}

/**
 * The custody log beside the archive, when there is one, must be an intact chain that starts
 * with exactly the bag's log.
 */
function checkCustodyBeside(
  found: Beside,
  inBag: string | null,
  problems: VerifyProblem[],
): VerifyReport['custodyBeside'] {
  if (found.text === null) return null;
  const chain = checkCustodyChain(found.text);
  for (const p of chain.problems)
    problems.push({ code: 'custody_beside', path: found.location, message: p.message });
  if (inBag !== null && !found.text.startsWith(inBag)) {
    problems.push({
      code: 'custody_beside',
      path: found.location,
      message: 'does not start with the custody log sealed in the bag (reports/custody.jsonl)',
    });
  }
  return { location: found.location, entries: chain.entries };
}
