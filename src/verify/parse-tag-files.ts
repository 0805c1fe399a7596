/**
 * Parsers for the BagIt tag files the verifier reads: `bagit.txt` / `bag-info.txt` label lines and
 * manifest lines. Written from RFC 8493, not shared with the writer (src/archive/bag-text.ts).
 */
import type { VerifyProblem } from './bag-source.js';

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

/** Parses `<hex> <path>` lines; problems name the manifest and the line. */
export function parseManifest(name: string, text: string, problems: VerifyProblem[]): Map<string, string> {
  const entries = new Map<string, string>();
  text.split(/\r?\n/u).forEach((line, i) => {
    if (line.trim() === '') return;
    const match = /^([0-9a-fA-F]+)[ \t]+(.+)$/u.exec(line);
    if (match === null) {
      problems.push({
        code: 'manifest_syntax',
        path: name,
        message: `line ${i + 1}: expected "<checksum> <path>"`,
      });
      return;
    }
    const path = decodePath(match[2] ?? '');
    if (entries.has(path)) {
      problems.push({ code: 'manifest_syntax', path: name, message: `line ${i + 1}: ${path} listed twice` });
    }
    entries.set(path, (match[1] ?? '').toLowerCase());
  });
  return entries;
}
