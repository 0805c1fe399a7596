/**
 * What every payload list must be before it is sealed, checked in one place: each file's path safe
 * and its size and digests well formed, the paths in byte order, none twice. Paths were made safe
 * and distinct when collected (safe-name: `safeSegment` is injective); these checks are the last
 * assertion, and `unsafePathReason` refusing `%`, CR and LF is what lets the manifests go
 * unencoded (bagit-python decodes only `%0D`/`%0A`).
 */
import { ExportError } from '../errors.js';
import type { PayloadFile, SortedPayloadFiles } from './bag-input.js';
import { byteOrder } from './byte-order.js';
import { unsafePathReason } from './safe-name.js';

const SHA256_HEX = /^[0-9a-f]{64}$/u;
const MD5_HEX = /^[0-9a-f]{32}$/u;

/** Throws `archive_error` for an unsafe path, a size that is not a byte count, or a digest not lowercase hex. */
export function checkPayloadFile(file: Pick<PayloadFile, 'path' | 'size' | 'sha256' | 'md5'>): void {
  const reason = unsafePathReason(file.path);
  if (reason !== null) {
    throw new ExportError('archive_error', `payload path ${JSON.stringify(file.path)} is unsafe: ${reason}`);
  }
  if (!Number.isSafeInteger(file.size) || file.size < 0) {
    throw new ExportError('archive_error', `payload ${file.path}: size ${file.size} is not a byte count`);
  }
  if (!SHA256_HEX.test(file.sha256) || !MD5_HEX.test(file.md5)) {
    throw new ExportError('archive_error', `payload ${file.path}: sha256/md5 must be lowercase hex`);
  }
}

/**
 * `previous` and `path` are consecutive paths of a list that must be strictly in byte order. Two
 * strings that compare equal in byte order are one name in the zip (lone surrogates both become
 * U+FFFD in UTF-8), so they count as the same path.
 */
export function checkNext(previous: string | null, path: string): void {
  if (previous === null) return;
  const order = byteOrder(previous, path);
  if (order === 0) {
    throw new ExportError(
      'archive_error',
      `payload path ${JSON.stringify(path)} appears twice: two items were staged under one name`,
    );
  }
  if (order > 0) {
    throw new ExportError(
      'archive_error',
      `payload path ${JSON.stringify(path)} comes after ${JSON.stringify(previous)}: the payload list is not in byte order`,
    );
  }
}

/**
 * An unsorted payload read whole into memory, checked and sorted (a test's or a small bag's; a
 * run's payload is sorted on disk by sorted-payload.ts). A path given twice is refused when the
 * list is streamed (`inByteOrder`).
 */
export async function sortInMemory(source: AsyncIterable<PayloadFile>): Promise<SortedPayloadFiles> {
  const files: PayloadFile[] = [];
  let totalBytes = 0;
  for await (const file of source) {
    checkPayloadFile(file);
    files.push(file);
    totalBytes += file.size;
  }
  files.sort((a, b) => byteOrder(a.path, b.path));
  return {
    fileCount: files.length,
    totalBytes,
    files: async function* () {
      yield* files;
    },
  };
}

/**
 * `payload.files()`, asserting as it streams what the sealer relies on: paths strictly in byte
 * order, as many files and bytes as the totals say (bag-info.txt states them before the first
 * payload entry), and with `checkFiles` every file checked (~7 µs a file: the sealer asks for it
 * on the walk that writes the payload entries, not on each of its four walks).
 */
export async function* inByteOrder(
  payload: SortedPayloadFiles,
  checkFiles: boolean,
): AsyncGenerator<PayloadFile> {
  let previous: string | null = null;
  let files = 0;
  let bytes = 0;
  for await (const file of payload.files()) {
    if (checkFiles) checkPayloadFile(file);
    checkNext(previous, file.path);
    previous = file.path;
    files += 1;
    bytes += file.size;
    yield file;
  }
  if (files !== payload.fileCount || bytes !== payload.totalBytes) {
    throw new ExportError(
      'archive_error',
      `the payload list held ${files} files of ${bytes} bytes; its totals say ${payload.fileCount} files of ${payload.totalBytes} bytes`,
    );
  }
}
