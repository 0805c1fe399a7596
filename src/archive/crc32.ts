/**
 * CRC-32 (the zip checksum) of a byte run, optionally continuing from an earlier value. Node ≥ 20.15
 * has a native zlib.crc32, several times faster than the pure-JS `crc-32` package (~300 MB/s on
 * this class of machine, the largest single cost of sealing stored binaries); older Node 20s use
 * the package. Both give the same unsigned values (tested).
 */
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, value?: number) => number;

const nativeCrc32 = (zlib as { crc32?: Crc32 }).crc32;

function jsCrc32(data: Uint8Array, previous: number): number {
  // crc-32 is CommonJS without named exports Node can see; it returns signed values.
  const { buf } = createRequire(import.meta.url)('crc-32') as { buf: Crc32 };
  return buf(data, previous | 0) >>> 0;
}

/** Unsigned CRC-32 of `data`, continuing from `previous` (0 to start). */
export const crc32: Crc32 =
  typeof nativeCrc32 === 'function'
    ? (data, previous = 0) => nativeCrc32(data, previous)
    : (data, previous = 0) => jsCrc32(data, previous);
