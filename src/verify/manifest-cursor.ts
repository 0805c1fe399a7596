/**
 * One payload manifest read line by line beside an ordered walk of the bag's payload entries
 * (a merge join): both are in byte order of the path, so each line and each entry is met once
 * and nothing is held per file. Problems are kept in the order the map-based check gives them
 * (check-manifests.ts): the listed-file problems in line order, then the unlisted files in the
 * order the entries were met.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { VerifyProblem } from './bag-source.js';
import { manifestLinesOf, type ManifestLine } from './parse-tag-files.js';

/**
 * Order of two strings by their UTF-8 bytes (RFC 8493 tools sort manifests so), by definition:
 * the encoded bytes compared. Not the sealer's faster comparison (archive/byte-order.ts), so
 * verify does not trust the writer's order; it runs once per entry, not once per sort step.
 */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The chunks of a stream, hashed on the way. */
async function* hashing(stream: Readable, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    yield chunk as Buffer;
  }
}

/** The bag is not one the merge join can check; the map-based check takes it. */
class NotMergeable extends Error {}

export class ManifestCursor {
  /** file_missing and hash_mismatch, in line order. */
  readonly listed: VerifyProblem[] = [];
  /** file_unlisted, in the order the entries were met. */
  readonly unlisted: VerifyProblem[] = [];
  private readonly hash = createHash('sha256');
  private readonly lines: AsyncIterator<ManifestLine>;
  private current: ManifestLine | null = null;

  constructor(
    readonly name: string,
    readonly algo: string,
    stream: Readable,
  ) {
    this.lines = manifestLinesOf(hashing(stream, this.hash))[Symbol.asyncIterator]();
  }

  /** Reads the first line; call once before `meet`. */
  async start(): Promise<void> {
    await this.advance();
  }

  /**
   * The next line. A manifest the merge join cannot take (a malformed line, one outside data/, a
   * path not after the previous one: out of order or listed twice) throws NotMergeable.
   */
  private async advance(): Promise<void> {
    const previous = this.current?.path ?? null;
    const next = await this.lines.next();
    this.current = next.done === true ? null : next.value;
    if (this.current === null) return;
    const { checksum, path } = this.current;
    if (
      checksum === null ||
      !path.startsWith('data/') ||
      (previous !== null && byteOrder(previous, path) >= 0)
    )
      throw new NotMergeable(`${this.name} line ${this.current.line}`);
  }

  /**
   * The next payload entry, in byte order: lines before it name files the bag lacks; a line for it
   * is checked against its digest (null when it could not be read: already reported).
   */
  async meet(path: string, digest: Buffer | null): Promise<void> {
    while (this.current !== null && byteOrder(this.current.path, path) < 0) {
      this.missing(this.current.path);
      await this.advance();
    }
    if (this.current?.path !== path) {
      this.unlisted.push({
        code: 'file_unlisted',
        path,
        message: `payload file not listed in ${this.name}`,
      });
      return;
    }
    const expected = this.current.checksum;
    const got = digest?.toString('hex');
    if (got !== undefined && got !== expected) {
      this.listed.push({
        code: 'hash_mismatch',
        path,
        message: `${this.algo} is ${got}, ${this.name} says ${expected ?? ''}`,
      });
    }
    await this.advance();
  }

  /** The lines after the last entry (files the bag lacks); returns the SHA-256 of the bytes read. */
  async finish(): Promise<string> {
    while (this.current !== null) {
      this.missing(this.current.path);
      await this.advance();
    }
    return this.hash.digest('hex');
  }

  /** Stops reading (the walk was abandoned). */
  async stop(): Promise<void> {
    await this.lines.return?.();
  }

  private missing(path: string): void {
    this.listed.push({ code: 'file_missing', path, message: `listed in ${this.name} but not in the bag` });
  }
}
