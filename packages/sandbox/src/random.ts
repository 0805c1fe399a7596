/**
 * Deterministic randomness for the sandbox. Every generated thing draws from an `Rng` seeded by
 * (world seed, kind, index), never from a shared stream, so any item can be regenerated on its
 * own — the `large` profile relies on that to build chat messages and file bytes lazily.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** cyrb128-style hash of the parts into four 32-bit words. */
function hashParts(parts: readonly (string | number)[]): [number, number, number, number] {
  const text = parts.join('\u0001');
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** sfc32: small, fast, good enough for test data (not for secrets). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...parts: (string | number)[]) {
    [this.a, this.b, this.c, this.d] = hashParts(parts);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = (c << 21) | (c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.float() * items.length)];
    if (item === undefined) throw new Error('Rng.pick on an empty list');
    return item;
  }

  /** RFC 4122 version-4 shaped UUID. */
  uuid(): string {
    const hex = [this.u32(), this.u32(), this.u32(), this.u32()].map((n) => n.toString(16).padStart(8, '0'));
    const s = hex.join('');
    const variant = ((parseInt(s[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${s.slice(20, 32)}`;
  }

  /** `n` random base62 characters. */
  base62(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += BASE62[this.u32() % 62];
    return out;
  }

  /** Fill `buf` with random bytes. */
  fill(buf: Uint8Array): void {
    let i = 0;
    const whole = buf.length & ~3;
    for (; i < whole; i += 4) {
      const v = this.u32();
      buf[i] = v & 0xff;
      buf[i + 1] = (v >>> 8) & 0xff;
      buf[i + 2] = (v >>> 16) & 0xff;
      buf[i + 3] = v >>> 24;
    }
    if (i < buf.length) {
      let v = this.u32();
      for (; i < buf.length; i++) {
        buf[i] = v & 0xff;
        v >>>= 8;
      }
    }
  }
}

/**
 * `prefix` + the UUID's 128 bits in fixed-width base62 (22 chars). Fixed width over an
 * ASCII-ordered alphabet keeps id order equal to UUID order, so "ties broken by id" and
 * "ties broken by uuid" agree, and the UUID can be recovered for messages like
 * `File not found: <uuid>` (§5.5).
 */
export function idFromUuid(prefix: string, uuid: string): string {
  // 128-bit long division by 62 over four 32-bit words (BigInt was the hot spot of `large`).
  const hex = uuid.replace(/-/g, '');
  const w = [0, 1, 2, 3].map((i) => parseInt(hex.slice(i * 8, i * 8 + 8), 16));
  const out: string[] = new Array<string>(22);
  for (let d = 21; d >= 0; d--) {
    let rem = 0;
    for (let i = 0; i < 4; i++) {
      const cur = rem * 4294967296 + (w[i] ?? 0);
      w[i] = Math.floor(cur / 62);
      rem = cur % 62;
    }
    out[d] = BASE62[rem] ?? '0';
  }
  return prefix + out.join('');
}

/** Inverse of `idFromUuid`; null when the suffix is not 22 base62 characters. */
export function uuidFromId(prefix: string, id: string): string | null {
  if (!id.startsWith(prefix)) return null;
  const body = id.slice(prefix.length);
  if (!/^[0-9A-Za-z]{22}$/.test(body)) return null;
  const w = [0, 0, 0, 0];
  for (const ch of body) {
    let carry = BASE62.indexOf(ch);
    for (let i = 3; i >= 0; i--) {
      const cur = (w[i] ?? 0) * 62 + carry;
      w[i] = cur % 4294967296;
      carry = Math.floor(cur / 4294967296);
    }
    if (carry !== 0) return null;
  }
  const s = w.map((n) => n.toString(16).padStart(8, '0')).join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** RFC 3339 UTC with milliseconds, the shape every sandbox timestamp takes. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
