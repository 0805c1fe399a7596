/**
 * `verifyArchive(target)`: a zip file, an extracted bag directory, or `s3://bucket/key`. Checks
 * the bag (verify-bag.ts) and, for zips, the `.sha256` sidecar beside it against the SHA-256 of
 * the archive bytes (computed during the same read). Returns every problem; never throws for a
 * bad archive, only for a target that cannot be opened at all.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExportError } from '../errors.js';
import type { BagSource, VerifyProblem } from './bag-source.js';
import { checkCustodyChain } from './custody-chain.js';
import { openDirSource } from './dir-source.js';
import { verifyBag, type BagFacts } from './verify-bag.js';
import { openLocalZip, openS3Zip } from './zip-source.js';

export interface VerifyOptions {
  /** S3 client to use; otherwise one is built from the options below and the environment. */
  readonly client?: S3Client;
  readonly region?: string;
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  /** Check the `.sha256` sidecar beside a zip (default true). */
  readonly sidecar?: boolean;
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
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return new S3Client({
    region: options.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? false,
  });
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

export async function verifyArchive(target: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  let source: BagSource;
  let readSidecar: (() => Promise<{ location: string; text: string | null }>) | null = null;
  let readBeside: ((name: string) => Promise<{ location: string; text: string | null }>) | null = null;
  let zipName = basename(target);
  if (target.startsWith('s3://')) {
    const { bucket, key } = parseS3(target);
    const client = s3Client(options);
    source = await openS3Zip(client, bucket, key);
    zipName = basename(key);
    const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
    readBeside = async (name) => {
      const location = `s3://${bucket}/${folder}${name}`;
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${folder}${name}` }));
        return { location, text: (await object.Body?.transformToString('utf8')) ?? '' };
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404 || status === 403) return { location, text: null };
        throw error;
      }
    };
    readSidecar = async () => {
      const location = `s3://${bucket}/${key}.sha256`;
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.sha256` }));
        return { location, text: (await object.Body?.transformToString('utf8')) ?? '' };
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
          return { location, text: null };
        throw error;
      }
    };
  } else {
    let kind: 'dir' | 'zip';
    try {
      kind = (await stat(target)).isDirectory() ? 'dir' : 'zip';
    } catch (error) {
      throw new ExportError('usage', `${target}: ${(error as NodeJS.ErrnoException).code ?? 'cannot open'}`, {
        cause: error,
      });
    }
    if (kind === 'dir') source = await openDirSource(target);
    else {
      source = await openLocalZip(target);
      readBeside = async (name) => {
        const location = join(dirname(target), name);
        try {
          return { location, text: await readFile(location, 'utf8') };
        } catch {
          return { location, text: null };
        }
      };
      readSidecar = async () => {
        const location = `${target}.sha256`;
        try {
          return { location, text: await readFile(location, 'utf8') };
        } catch {
          return { location, text: null };
        }
      };
    }
  }
  try {
    const { problems, facts, custodyText } = await verifyBag(source);
    let archiveSha256: string | null = null;
    let sidecar: VerifyReport['sidecar'] = null;
    if (source.archiveSha256 !== undefined) {
      try {
        archiveSha256 = await source.archiveSha256();
      } catch (error) {
        problems.push({
          code: 'unreadable',
          path: target,
          message: `reading the archive: ${(error as Error).message}`,
        });
      }
    }
    if (readSidecar !== null && options.sidecar !== false) {
      const found = await readSidecar();
      const parsed = found.text === null ? null : parseSidecarText(found.text);
      sidecar = { location: found.location, sha256: parsed?.sha256 ?? null };
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
    }
    let custodyBeside: VerifyReport['custodyBeside'] = null;
    if (readBeside !== null) {
      const found = await readBeside('custody.jsonl');
      if (found.text !== null) {
        custodyBeside = checkCustodyBeside(found.location, found.text, custodyText, problems);
      }
    }
    return {
      target,
      kind: source.kind,
      ok: problems.length === 0,
      archiveSha256,
      sidecar,
      custodyBeside,
      facts,
      problems,
    };
  } finally {
    await source.close();
  }
}

/** The beside log must be an intact chain that starts with exactly the bag's log. */
function checkCustodyBeside(
  location: string,
  text: string,
  inBag: string | null,
  problems: VerifyProblem[],
): { location: string; entries: number } {
  const chain = checkCustodyChain(text);
  for (const p of chain.problems)
    problems.push({ code: 'custody_beside', path: location, message: p.message });
  if (inBag !== null && !text.startsWith(inBag)) {
    problems.push({
      code: 'custody_beside',
      path: location,
      message: 'does not start with the custody log sealed in the bag (reports/custody.jsonl)',
    });
  }
  return { location, entries: chain.entries };
}
