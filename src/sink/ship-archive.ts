/**
 * Ship a sealed archive: pipe the seal's stream straight into the sink (the zip is never
 * buffered or written twice), wait for both ends, then write the beside files and read back.
 * Generic over the seal's result so the sink does not depend on the archive module.
 */
import type { Readable } from 'node:stream';
import type { ArchiveRef, ReadBackResult, Sink, WrittenArchive } from './sink.js';

export interface Sealed<T> {
  readonly stream: Readable;
  readonly done: Promise<T>;
}

export interface Shipped<T> {
  readonly seal: T;
  readonly written: WrittenArchive;
}

/** Streams the zip into the sink; rejects with the first failure of either side. */
export async function shipArchive<T>(sink: Sink, ref: ArchiveRef, sealed: Sealed<T>): Promise<Shipped<T>> {
  const writing = sink.writeArchive(ref, sealed.stream);
  // Wait for both sides to settle so a failed upload has been aborted and temp files removed
  // before we return; when both fail, the seal's error is the cause worth reporting.
  const [seal, written] = await Promise.allSettled([sealed.done, writing]);
  if (seal.status === 'rejected') throw seal.reason;
  if (written.status === 'rejected') throw written.reason;
  return { seal: seal.value, written: written.value };
}

export type { ReadBackResult };
