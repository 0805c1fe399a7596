/**
 * Store or deflate, decided from the bytes (compliance-api.md §3.10: the declared MIME type can
 * name a format the bytes are not). Already-compressed formats are recognised by their magic
 * numbers; anything else is probed by deflating its first block at level 1, and stored when that
 * saves almost nothing (random or encrypted data). Both rules look only at the bytes, so the
 * same bytes always get the same method and the zip stays byte-identical across rebuilds.
 */
import { deflateRawSync } from 'node:zlib';

/** How much of the head the decision looks at (one file-stream chunk). */
export const PROBE_BYTES = 64 * 1024;
/** The deflate probe looks at this much (enough to tell random from text, cheap per file). */
const DEFLATE_PROBE_BYTES = 16 * 1024;
/** Stored when deflate would keep more than this share of the probe. */
const INCOMPRESSIBLE_RATIO = 0.97;

type Magic = readonly [offset: number, bytes: readonly number[]];

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** Formats whose payload is already compressed (deflating them again costs time, saves nothing). */
const COMPRESSED_MAGIC: readonly (readonly [string, readonly Magic[]])[] = [
  ['zip/docx/xlsx/pptx/jar/epub', [[0, [0x50, 0x4b, 0x03, 0x04]]]],
  ['zip (empty)', [[0, [0x50, 0x4b, 0x05, 0x06]]]],
  ['gzip', [[0, [0x1f, 0x8b]]]],
  ['bzip2', [[0, ascii('BZh')]]],
  ['xz', [[0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]]]],
  ['zstd', [[0, [0x28, 0xb5, 0x2f, 0xfd]]]],
  ['7z', [[0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]]]],
  ['rar', [[0, ascii('Rar!\u001a\u0007')]]],
  ['png', [[0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]]]],
  ['jpeg', [[0, [0xff, 0xd8, 0xff]]]],
  ['gif', [[0, ascii('GIF8')]]],
  [
    'webp',
    [
      [0, ascii('RIFF')],
      [8, ascii('WEBP')],
    ],
  ],
  ['mp4/mov/heic/avif (ISO BMFF)', [[4, ascii('ftyp')]]],
  ['webm/mkv', [[0, [0x1a, 0x45, 0xdf, 0xa3]]]],
  ['ogg', [[0, ascii('OggS')]]],
  ['flac', [[0, ascii('fLaC')]]],
  ['mp3 (ID3)', [[0, ascii('ID3')]]],
  ['jpeg 2000', [[0, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]]]],
  ['woff/woff2', [[0, ascii('wOF')]]],
];

function matches(head: Uint8Array, magic: readonly Magic[]): boolean {
  return magic.every(([offset, bytes]) => bytes.every((b, i) => head[offset + i] === b));
}

/** The name of the compressed format the bytes start with, or null. */
function compressedFormat(head: Uint8Array): string | null {
  for (const [name, magic] of COMPRESSED_MAGIC) if (matches(head, magic)) return name;
  return null;
}

export type Compression = 'store' | 'deflate';

/** No NUL and almost only printable ASCII, whitespace or UTF-8 lead/continuation bytes. */
function looksLikeText(sample: Uint8Array): boolean {
  let odd = 0;
  for (const b of sample) {
    if (b === 0) return false;
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) odd += 1;
  }
  return odd * 100 <= sample.length;
}

/** Store or deflate for a file whose first bytes (up to PROBE_BYTES) are `head`. */
export function chooseCompression(head: Uint8Array): Compression {
  if (head.length === 0) return 'store';
  if (compressedFormat(head) !== null) return 'store';
  // Tiny files: deflate's framing outweighs any saving either way; deflate keeps text readable in tools.
  if (head.length < 512) return 'deflate';
  // Text (JSON, CSV, Markdown…) always deflates well: skip the probe, the costliest step per file.
  if (looksLikeText(head.subarray(0, 4096))) return 'deflate';
  const probe = head.subarray(0, DEFLATE_PROBE_BYTES);
  const deflated = deflateRawSync(probe, { level: 1 });
  return deflated.length > probe.length * INCOMPRESSIBLE_RATIO ? 'store' : 'deflate';
}
