/**
 * The size and digests of every file of a bag, by its number in the source's file list: raw
 * digest bytes in one buffer per algorithm and sizes in one array, instead of an object, a record
 * and hex strings per file (a bag has a file per chat message set, attachment and version: ~180,000
 * at 100,000 chats). Hex is made only when a manifest line is compared.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

const DIGEST_BYTES: Readonly<Record<string, number>> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

export class FileDigests {
  /** NaN until the file has been read whole. */
  private readonly sizes: Float64Array;
  private readonly digests = new Map<string, { bytes: number; store: Buffer }>();

  constructor(files: number, algorithms: Iterable<string>) {
    this.sizes = new Float64Array(files).fill(Number.NaN);
    for (const algo of algorithms) {
      const bytes = DIGEST_BYTES[algo];
      if (bytes === undefined) throw new Error(`no digest length for ${algo}`);
      this.digests.set(algo, { bytes, store: Buffer.alloc(files * bytes) });
    }
  }

  /** How many files the bag lists. */
  get files(): number {
    return this.sizes.length;
  }

  /** Records file `i` as read: its size and one digest per algorithm. */
  set(i: number, size: number, digests: ReadonlyMap<string, Buffer>): void {
    for (const [algo, { bytes, store }] of this.digests) {
      const digest = digests.get(algo);
      if (digest?.length !== bytes) throw new Error(`${algo} digest of file ${i} is missing`);
      digest.copy(store, i * bytes);
    }
    this.sizes[i] = size;
  }

  /** Whether file `i` was read whole. */
  has(i: number): boolean {
    return !Number.isNaN(this.sizes[i] ?? Number.NaN);
  }

  /** Bytes read of file `i` (undefined when it could not be read). */
  size(i: number): number | undefined {
    return this.has(i) ? this.sizes[i] : undefined;
  }

  /** Lowercase hex of file `i`'s digest (undefined when unread or the algorithm was not hashed). */
  hex(algo: string, i: number): string | undefined {
    const d = this.digests.get(algo);
    if (d === undefined || !this.has(i)) return undefined;
    return d.store.toString('hex', i * d.bytes, (i + 1) * d.bytes);
  }
}

/** A file's bytes hashed with every algorithm at once; its text kept only when asked (tag files). */
export async function digestStream(
  stream: Readable,
  algorithms: readonly string[],
  keep: boolean,
): Promise<{ size: number; digests: Map<string, Buffer>; text: string | null }> {
  const hashes = algorithms.map((a) => [a, createHash(a)] as const);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
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
