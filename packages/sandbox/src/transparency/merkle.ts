/**
 * RFC 6962 / RFC 9162 §2.1 Merkle tree over SHA-256: leaf hash SHA-256(0x00 || entry), interior
 * node SHA-256(0x01 || left || right), and the audit paths and consistency proofs of §2.1.3.1 and
 * §2.1.4.1. Proofs are computed against a prefix `size` of the leaves, so one log answers for every
 * tree size it has published. Hashes are listed leaf to root, as the proof endpoints serve them.
 */
import { createHash } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function leafHash(entry: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX, entry);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** The largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) over leaf hashes. */
function subtreeHash(leaves: readonly Buffer[], lo: number, hi: number): Buffer {
  const n = hi - lo;
  if (n === 0) return sha256();
  if (n === 1) return leaves[lo] ?? sha256();
  const k = split(n);
  return nodeHash(subtreeHash(leaves, lo, lo + k), subtreeHash(leaves, lo + k, hi));
}

/** Root hash of the first `size` leaves; the empty tree's root is SHA-256 of nothing. */
export function rootHash(leaves: readonly Buffer[], size: number): Buffer {
  checkSize(leaves, size);
  return subtreeHash(leaves, 0, size);
}

/** PATH(index, D[0:size]) (RFC 9162 §2.1.3.1). */
export function inclusionProof(leaves: readonly Buffer[], index: number, size: number): Buffer[] {
  checkSize(leaves, size);
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of size ${size}`);
  }
  const path = (m: number, lo: number, hi: number): Buffer[] => {
    const n = hi - lo;
    if (n <= 1) return [];
    const k = split(n);
    return m < k
      ? [...path(m, lo, lo + k), subtreeHash(leaves, lo + k, hi)]
      : [...path(m - k, lo + k, hi), subtreeHash(leaves, lo, lo + k)];
  };
  return path(index, 0, size);
}

/** PROOF(from, D[0:size]) (RFC 9162 §2.1.4.1); empty when from equals size. */
export function consistencyProof(leaves: readonly Buffer[], from: number, size: number): Buffer[] {
  checkSize(leaves, size);
  if (!Number.isInteger(from) || from < 1 || from > size) {
    throw new RangeError(`consistency from ${from} is outside [1, ${size}]`);
  }
  const subproof = (m: number, lo: number, hi: number, whole: boolean): Buffer[] => {
    const n = hi - lo;
    if (m === n) return whole ? [] : [subtreeHash(leaves, lo, hi)];
    const k = split(n);
    return m <= k
      ? [...subproof(m, lo, lo + k, whole), subtreeHash(leaves, lo + k, hi)]
      : [...subproof(m - k, lo + k, hi, false), subtreeHash(leaves, lo, lo + k)];
  };
  return subproof(from, 0, size, true);
}

function checkSize(leaves: readonly Buffer[], size: number): void {
  if (!Number.isInteger(size) || size < 0 || size > leaves.length) {
    throw new RangeError(`tree size ${size} is outside [0, ${leaves.length}]`);
  }
}
