import { StringDecoder } from 'node:string_decoder';

/**
 * Parsers for the BagIt tag files the verifier reads: `bagit.txt` / `bag-info.txt` label lines and
 * manifest lines. Written from RFC 8493, not shared with the writer (src/archive/bag-text.ts).
 */

/** `Label: value` lines (bagit.txt, bag-info.txt: RFC 8493 §2.1.1, §2.2.2), continuations folded in. */
export function parseBagInfo(text: string): Map<string, string> {
  const info = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.split(/\r?\n/u)) {
    if (line === '') continue;
    if (/^\s/u.test(line) && last !== null) {
      info.set(last, `${info.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    // Repeated labels are legal; the first wins for our checks.
    if (!info.has(last)) info.set(last, line.slice(colon + 1).trim());
  }
  return info;
}

/** Manifest paths percent-encode CR, LF and `%` (RFC 8493 §2.1.3). */
function decodePath(path: string): string {
  return path.replace(/%0A/giu, '\n').replace(/%0D/giu, '\r').replace(/%25/gu, '%');
}

export interface ManifestLine {
  /** 1-based line number. */
  readonly line: number;
  /** Lowercase hex, or null when the line is not `<checksum> <path>`. */
  readonly checksum: string | null;
  readonly path: string;
}

/**
 * The manifest's non-blank lines one at a time, parsed as `<hex> <path>` (the path decoded), so a
 * manifest of 180,000 lines is never held as lines or a map.
 */
export function* manifestLines(text: string): Generator<ManifestLine> {
  let start = 0;
  for (let line = 1; start <= text.length; line += 1) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const parsed = parseLine(text.slice(start, end), line, newline !== -1);
    start = end + 1;
    if (parsed !== null) yield parsed;
  }
}

/**
 * The same lines from a stream of the manifest's bytes (UTF-8 decoded as `toString` would, a
 * partial character or line carried to the next chunk): a 400,000-line manifest is never held
 * whole, as bytes or as text.
 */
export async function* manifestLinesOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<ManifestLine> {
  const decoder = new StringDecoder('utf8');
  let tail = '';
  let line = 1;
  for await (const chunk of chunks) {
    const text = tail + decoder.write(chunk);
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const parsed = parseLine(text.slice(start, newline), line, true);
      line += 1;
      start = newline + 1;
      if (parsed !== null) yield parsed;
    }
    tail = text.slice(start);
  }
  const parsed = parseLine(tail + decoder.end(), line, false);
  if (parsed !== null) yield parsed;
}

/**
 * One line without its `\n` (`ended`: it had one); null when blank. `\r\n` ends a line as `\n`
 * does (a lone `\r`, the last line's included, is part of it).
 */
function parseLine(text: string, line: number, ended: boolean): ManifestLine | null {
  const raw = ended && text.endsWith('\r') ? text.slice(0, -1) : text;
  if (raw.trim() === '') return null;
  const match = /^([0-9a-fA-F]+)[ \t]+(.+)$/u.exec(raw);
  return match === null
    ? { line, checksum: null, path: '' }
    : { line, checksum: (match[1] ?? '').toLowerCase(), path: decodePath(match[2] ?? '') };
}
