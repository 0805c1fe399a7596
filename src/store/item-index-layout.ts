/**
 * The item index's layout (item-index.ts): what an entry's bytes mean, the table's constants, and
 * the index as arrays for a state image, with the checks an image's arrays pass before an index
 * takes them over.
 */
import { ExportError } from '../errors.js';
import { isFingerprintKey } from './item-fingerprint.js';

export const EMPTY = 0;
export const TOMBSTONE = 0xffffffff;
export const MAX_LOAD = 0.6;
/** A line length that does not fit the 16 bits kept: the line is read up to its newline. */
export const LONG_LINE = 0xffff;
/** The kind's code is the low 6 bits of an entry's flag byte. */
export const KIND_BITS = 0x3f;
export const MAX_KINDS = KIND_BITS + 1;
export const EXCLUDED = 0x40;
export const DEAD = 0x80;
export const HIGH = 2 ** 32;
export const MAX_OFFSET = 2 ** 40 - 1;
export const FIRST_SLOTS = 1024;
export const FIRST_ENTRIES = 512;
export const ENTRY_GROWTH = 1.25;
/** Entries an adopted image has read back against their lines. */
export const SPOT_CHECKS = 64;

/** The index's entries as arrays (entry order), for a state image (state-image.ts). */
export interface IndexImage {
  /** The fingerprints' key (item-fingerprint.ts); null for a fingerprint a test injected. */
  readonly key: string | null;
  readonly count: number;
  /** Kind names by code. */
  readonly kinds: readonly string[];
  readonly fp: Uint32Array;
  readonly offLow: Uint32Array;
  readonly offHigh: Uint8Array;
  readonly len: Uint16Array;
  readonly flags: Uint8Array;
}

/**
 * Checks an image's arrays hold `count` entries, each naming a known kind and a line wholly before
 * `upTo` (the journal bytes the image covers); returns the live (not deleted) entries. Throws
 * `store_corrupt` naming the first problem.
 */
export function checkIndexImage(image: IndexImage, upTo: number): number {
  const n = image.count;
  const arrays = [image.fp, image.offLow, image.offHigh, image.len, image.flags];
  if (!Number.isInteger(n) || n < 0 || arrays.some((a) => a.length !== n)) {
    throw new ExportError('store_corrupt', `index image: ${n} entries but arrays of other lengths`);
  }
  if (image.key !== null && !isFingerprintKey(image.key)) {
    throw new ExportError('store_corrupt', 'index image: its fingerprint key is malformed');
  }
  if (image.kinds.length > MAX_KINDS || new Set(image.kinds).size !== image.kinds.length) {
    throw new ExportError('store_corrupt', 'index image: kind names repeated or too many');
  }
  let live = 0;
  for (let d = 0; d < n; d += 1) {
    const flags = image.flags[d]!;
    const offset = image.offHigh[d]! * HIGH + image.offLow[d]!;
    const length = image.len[d]!;
    if ((flags & KIND_BITS) >= image.kinds.length) {
      throw new ExportError('store_corrupt', `index image: entry ${d} names kind ${flags & KIND_BITS}`);
    }
    if (length === LONG_LINE ? offset >= upTo : offset + length >= upTo) {
      throw new ExportError('store_corrupt', `index image: entry ${d} points past byte ${upTo}`);
    }
    if ((flags & DEAD) === 0) live += 1;
  }
  return live;
}
