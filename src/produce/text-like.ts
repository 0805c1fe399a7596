/**
 * Whether a native is text a review platform can index as it is, decided by its BYTES, never by
 * its name or the type the API claims: valid UTF-8 (a BOM allowed), no NUL and no C0 control
 * other than TAB, LF, FF and CR (ESC, BEL, backspace… mark binary or terminal output), not empty,
 * and at most `TEXT_CAP_BYTES`. Such a native is also its extracted text
 * (`data/review/text/<DOCID>.txt`, the same bytes); anything else gets an empty TEXTPATH.
 *
 * The cap (16 MiB) keeps a load file's text fields within what review platforms ingest per
 * document without truncating (their per-document extracted-text limits are of this order) and
 * bounds the bytes read here; a larger text native is still in the archive, only not as text.
 */
import type { Readable } from 'node:stream';

export const TEXT_CAP_BYTES = 16 * 1024 * 1024;

/** C0 controls that do not occur in text: all but TAB (09), LF (0A), FF (0C), CR (0D). */
function isBinaryControl(byte: number): boolean {
  return byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d;
}

/** Reads `open()`'s bytes (only when `size` is within the cap) and decides; the stream is consumed. */
export async function isTextLike(size: number, open: () => Readable): Promise<boolean> {
  if (size <= 0 || size > TEXT_CAP_BYTES) return false;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const stream = open();
  let seen = 0;
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      seen += bytes.length;
      if (seen > TEXT_CAP_BYTES) return false;
      for (let i = 0; i < bytes.length; i += 1) if (isBinaryControl(bytes[i]!)) return false;
      decoder.decode(bytes, { stream: true });
    }
    decoder.decode();
    return true;
  } catch (error) {
    if (error instanceof TypeError) return false; // not UTF-8 (the decoder's fatal error)
    throw error;
  } finally {
    stream.destroy();
  }
}
