/**
 * archiver's zip code (compress-commons, crc32-stream) computes every entry's CRC-32 with the
 * pure-JS `crc-32` package, about 300 MB/s on this class of machine: the largest single cost of
 * sealing stored binaries. Node ≥ 20.15 has a native zlib.crc32 several times faster. Both
 * libraries call `require('crc-32').buf` at call time, so pointing that one function at the native
 * implementation speeds them up without forking them. The values are identical (tested), so the
 * zip bytes do not change. If the module's shape is not what we expect, nothing is patched.
 */
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';

type CrcBuf = (data: Uint8Array, seed?: number) => number;
interface CrcModule {
  buf: CrcBuf;
  __nativePatched?: boolean;
}

const require = createRequire(import.meta.url);

/** Installs the native CRC-32 once per process. Returns whether it is active. */
export function useNativeCrc32(): boolean {
  const nativeCrc = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (typeof nativeCrc !== 'function') return false;
  let mod: CrcModule;
  try {
    mod = require('crc-32') as CrcModule;
  } catch {
    return false;
  }
  if (mod.__nativePatched === true) return true;
  if (typeof mod.buf !== 'function') return false;
  // crc-32 returns a signed 32-bit value and takes the previous CRC (signed or not) as the seed.
  mod.buf = (data: Uint8Array, seed = 0): number => nativeCrc(data, seed >>> 0) | 0;
  mod.__nativePatched = true;
  return true;
}
