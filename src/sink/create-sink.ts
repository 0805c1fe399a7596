/**
 * Builds the sink for a job's `destination` (the resolved spec's shape, restated here so the sink
 * does not depend on the spec module): `s3://bucket/prefix` → S3Sink, a path or `file://` → LocalSink.
 */
import { resolve } from 'node:path';
import type { S3Client, StorageClass } from '@aws-sdk/client-s3';
import { ExportError } from '../errors.js';
import { parseFileMode } from '../local-files.js';
import { LocalSink } from './local-sink.js';
import { S3Sink, createS3Client } from './s3-sink.js';
import type { Sink } from './sink.js';

/** The sink folder's front door: build a sink, or an S3 client the way a sink builds one. */
export { createS3Client };

export interface DestinationConfig {
  readonly uri: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly force_path_style?: boolean;
  readonly sse?: { readonly kms_key_id: string };
  readonly object_lock?: {
    readonly mode?: 'GOVERNANCE' | 'COMPLIANCE';
    readonly retain_until?: string;
    readonly retain_days?: number;
    readonly legal_hold: boolean;
  };
  readonly storage_class?: string;
  /** Local destinations: the archive files' mode as an octal string (`"0640"`); default 0600. */
  readonly file_mode?: string;
}

export interface CreateSinkOptions {
  /** Use this client (tests, a shared client); otherwise one is built from the config and env. */
  readonly client?: S3Client;
  /** Clock for `retain_days` (retention runs from the upload). */
  readonly now?: () => Date;
  readonly partSize?: number;
  readonly queueSize?: number;
  readonly readBackBytes?: boolean;
  readonly bodyIdleMs?: number;
}

export type ParsedDestination =
  { kind: 's3'; bucket: string; prefix: string } | { kind: 'local'; path: string };

export function parseDestination(uri: string): ParsedDestination {
  if (uri.startsWith('s3://')) {
    const rest = uri.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/gu, '');
    if (bucket === '') throw new ExportError('usage', `destination ${uri}: no bucket name`);
    return { kind: 's3', bucket, prefix };
  }
  if (uri.startsWith('file://')) return { kind: 'local', path: decodeURIComponent(new URL(uri).pathname) };
  if (/^[a-z][a-z0-9+.-]*:\/\//iu.test(uri))
    throw new ExportError('usage', `destination ${uri}: unsupported scheme`);
  return { kind: 'local', path: resolve(uri) };
}

export function createSink(dest: DestinationConfig, options: CreateSinkOptions = {}): Sink {
  const parsed = parseDestination(dest.uri);
  if (parsed.kind === 'local') {
    return new LocalSink(
      parsed.path,
      dest.file_mode === undefined ? {} : { fileMode: parseFileMode(dest.file_mode) },
    );
  }
  const lock = dest.object_lock;
  let objectLock: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainUntil: Date } | undefined;
  if (lock?.mode !== undefined) {
    const now = (options.now ?? (() => new Date()))();
    const retainUntil =
      lock.retain_until !== undefined
        ? new Date(lock.retain_until)
        : new Date(now.getTime() + (lock.retain_days ?? 0) * 86_400_000);
    if (Number.isNaN(retainUntil.getTime()) || retainUntil.getTime() <= now.getTime()) {
      throw new ExportError(
        'spec_invalid',
        `destination.object_lock: retain-until ${retainUntil.toISOString?.() ?? ''} must be in the future`,
      );
    }
    objectLock = { mode: lock.mode, retainUntil };
  }
  const client =
    options.client ??
    createS3Client({
      ...(dest.region === undefined ? {} : { region: dest.region }),
      ...(dest.endpoint === undefined ? {} : { endpoint: dest.endpoint }),
      forcePathStyle: dest.force_path_style ?? false,
    });
  return new S3Sink({
    client,
    bucket: parsed.bucket,
    prefix: parsed.prefix,
    ...(dest.sse === undefined ? {} : { kmsKeyId: dest.sse.kms_key_id }),
    ...(objectLock === undefined ? {} : { objectLock }),
    ...(lock?.legal_hold === true ? { legalHold: true } : {}),
    ...(dest.storage_class === undefined ? {} : { storageClass: dest.storage_class as StorageClass }),
    ...(options.partSize === undefined ? {} : { partSize: options.partSize }),
    ...(options.queueSize === undefined ? {} : { queueSize: options.queueSize }),
    ...(options.readBackBytes === undefined ? {} : { readBackBytes: options.readBackBytes }),
    ...(options.bodyIdleMs === undefined ? {} : { bodyIdleMs: options.bodyIdleMs }),
  });
}
