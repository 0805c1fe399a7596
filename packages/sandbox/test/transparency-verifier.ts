/* eslint-disable @typescript-eslint/no-explicit-any -- the verifier reads untyped served JSON */
/**
 * An independent Access Transparency verifier for the tests: its own RFC 8785 canonical JSON, leaf
 * projection, RFC 6962 tree hash, the RFC 9162 §2.1.3.2 / §2.1.4.2 proof verification algorithms
 * and C2SP signed-note checking with node:crypto. It imports nothing from src/, so a bug in the
 * sandbox's tree code cannot hide in both.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const node = (l: Uint8Array, r: Uint8Array): Buffer => sha(Buffer.from([1]), l, r);

/** RFC 8785, written from the RFC's rules rather than from any code. */
export function jcs(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('not finite');
    return v === 0 ? '0' : v.toString();
  }
  if (typeof v === 'string') {
    let out = '"';
    for (const ch of v) {
      const c = ch.codePointAt(0)!;
      if (c >= 0xd800 && c <= 0xdfff) throw new Error('lone surrogate');
      const short: Record<number, string> = { 8: 'b', 9: 't', 10: 'n', 12: 'f', 13: 'r', 34: '"', 92: '\\' };
      if (short[c] !== undefined) out += `\\${short[c]}`;
      else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
      else out += ch;
    }
    return `${out}"`;
  }
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = a.charCodeAt(i) - b.charCodeAt(i);
      if (d !== 0) return d;
    }
    return a.length - b.length;
  });
  return `{${keys.map((k) => `${jcs(k)}:${jcs(obj[k])}`).join(',')}}`;
}

/** Leaf entry of schema 0x01: 0x01 || JCS of the eleven projected keys. */
export function leafEntryOf(served: Record<string, any>): Buffer {
  const s = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  const actor = served.actor ?? null;
  const res = served.resource_details ?? null;
  const fields = {
    id: s(served.id),
    type: s(served.type),
    created_at: s(served.created_at),
    accessed_at: s(served.accessed_at),
    organization_id: s(served.organization_id),
    organization_uuid: s(served.organization_uuid),
    workspace_id: s(served.workspace_id),
    accessor_department: s(served.accessor_department),
    reason_code: s(served.reason_code),
    actor: actor === null ? null : { type: s(actor.type), email_address: null },
    resource_details: res === null ? null : { type: s(res.type), id: s(res.id), parent: null },
  };
  return Buffer.concat([Buffer.from([0x01]), Buffer.from(jcs(fields), 'utf8')]);
}

export const leafHashOf = (entry: Uint8Array): Buffer => sha(Buffer.from([0]), entry);

/** RFC 6962 root, built bottom-up (an unpaired last node moves up a level unchanged). */
export function rootOf(leafHashes: readonly Buffer[]): Buffer {
  if (leafHashes.length === 0) return sha();
  let level = [...leafHashes];
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? node(level[i]!, level[i + 1]!) : level[i]!);
    }
    level = next;
  }
  return level[0]!;
}

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Buffer,
  path: readonly Buffer[],
  root: Buffer,
): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >>> 1, sn >>> 1];
    } else {
      r = node(r, p);
    }
    [fn, sn] = [fn >>> 1, sn >>> 1];
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2 (equal sizes: an empty proof and equal roots). */
export function verifyConsistency(
  first: number,
  second: number,
  path: readonly Buffer[],
  firstRoot: Buffer,
  secondRoot: Buffer,
): boolean {
  if (first === second) return path.length === 0 && firstRoot.equals(secondRoot);
  if (first < 1 || first > second || path.length === 0) return false;
  const p = (first & (first - 1)) === 0 ? [firstRoot, ...path] : [...path];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) [fn, sn] = [fn >>> 1, sn >>> 1];
  let fr = p[0]!;
  let sr = p[0]!;
  for (const c of p.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >>> 1, sn >>> 1];
    } else {
      sr = node(sr, c);
    }
    [fn, sn] = [fn >>> 1, sn >>> 1];
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0;
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

/** C2SP tlog-checkpoint body inside a C2SP signed note; null when malformed. */
export function parseCheckpoint(note: string): Checkpoint | null {
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0) return null;
  const lines = note.slice(0, cut + 1).split('\n');
  const [origin, size, root] = lines;
  if (origin === undefined || size === undefined || root === undefined || !/^(0|[1-9]\d*)$/.test(size))
    return null;
  const hash = Buffer.from(root, 'base64');
  if (hash.length !== 32 || hash.toString('base64') !== root) return null;
  return { origin, size: Number(size), root: hash };
}

/**
 * True when `note` carries a valid Ed25519 signature line by `name` under the raw public key:
 * key ID = SHA-256(name || 0x0A || 0x01 || key)[:4], signature over the text before the blank line.
 */
export function verifyNote(note: string, name: string, publicKey: Buffer): boolean {
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0 || !note.endsWith('\n')) return false;
  const text = Buffer.from(note.slice(0, cut + 1), 'utf8');
  const keyId = sha(Buffer.from(name, 'utf8'), Buffer.from([0x0a, 0x01]), publicKey).subarray(0, 4);
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]),
    format: 'der',
    type: 'spki',
  });
  for (const line of note.slice(cut + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const blob = Buffer.from(m[2]!, 'base64');
    if (blob.length !== 68 || !blob.subarray(0, 4).equals(keyId)) continue;
    if (verify(null, text, key, blob.subarray(4))) return true;
  }
  return false;
}
