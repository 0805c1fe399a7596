/**
 * File names and ids from the API are untrusted (compliance-api.md §3.10): keep only the base
 * name, strip what is unsafe, and never let a name start with `-` or `.`. File names cannot
 * collide because each file sits in its own id's folder, and `safeSegment` maps distinct ids to
 * distinct folders; the original name and id are kept in `metadata.json` and `items.csv`. The
 * result is safe to extract on Linux, macOS and Windows.
 *
 * No safe name holds `%`, CR or LF, so BagIt manifests never need percent-encoding (RFC 8493
 * §2.1.3): the Library of Congress bagit-python decodes only `%0D`/`%0A`, and would report a
 * payload file whose name holds a `%` (written `%25` in the manifest) as missing.
 */
import { createHash } from 'node:crypto';

/** Longest safe name in UTF-8 bytes: under the 255-byte limit of common file systems, with room. */
export const MAX_NAME_BYTES = 200;
const MAX_EXTENSION_BYTES = 24;
const FALLBACK_NAME = 'file';

// C0, DEL, C1 controls; bidi overrides/isolates and zero-width marks that disguise extensions.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;
// Characters Windows refuses in a name (the separators are handled before this), and `%`, which
// a BagIt manifest would have to percent-encode.
const WINDOWS_FORBIDDEN = /[<>:"|?*%]/gu;
// Device names Windows reserves whatever the extension (CON.txt is still CON).
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/iu;

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a code point. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const n = utf8Length(ch);
    if (used + n > maxBytes) break;
    out += ch;
    used += n;
  }
  return out;
}

/**
 * A safe base name for an untrusted file name. `fallback` (itself made safe) is used when
 * nothing usable is left, e.g. for `null`, `""`, `..` or a name of only control characters.
 */
export function safeName(untrusted: string | null | undefined, fallback: string = FALLBACK_NAME): string {
  const made = clean(untrusted ?? '');
  if (made !== '') return made;
  const fb = clean(fallback);
  return fb === '' ? FALLBACK_NAME : fb;
}

function clean(input: string): string {
  let name = input.normalize('NFC').replace(INVISIBLE, '');
  // Base name only: drop everything up to the last separator of either platform, and a drive.
  const parts = name.split(/[/\\]/u);
  name = parts[parts.length - 1] ?? '';
  name = name.replace(/^[a-z]:/iu, '');
  name = name.replace(WINDOWS_FORBIDDEN, '_');
  // Windows drops trailing dots and spaces, and manifest readers strip trailing whitespace (Unicode
  // spaces included); leading dots hide files and leading dashes read as options.
  name = name.replace(/[.\s]+$/u, '');
  if (/^[.\-\s]/u.test(name)) {
    name = name.replace(/^[.\-\s]+/u, '');
    if (name === '') return '';
    name = `_${name}`;
  }
  if (name === '') return '';
  if (WINDOWS_RESERVED.test(deviceStem(name))) name = `_${name}`;
  return capLength(name);
}

/** Caps the UTF-8 length, keeping a short extension so the type stays recognisable. */
function capLength(name: string): string {
  if (utf8Length(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot) : '';
  if (ext !== '' && utf8Length(ext) <= MAX_EXTENSION_BYTES) {
    const stem = truncateUtf8(name.slice(0, dot), MAX_NAME_BYTES - utf8Length(ext)).replace(/[.\s]+$/u, '');
    return `${stem}${ext}`;
  }
  return truncateUtf8(name, MAX_NAME_BYTES).replace(/[.\s]+$/u, '');
}

/** Ids that pass through `safeSegment` unchanged. No `~`: every changed id gets one. */
const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/u;
/** Readable part of a changed id: at most this many ASCII characters. */
const MAX_READABLE_ID = 64;
/** Hex digits of SHA-256 on a changed id: 128 bits, so two ids sharing a suffix take ~2^64 tries. */
const ID_HASH_HEX = 32;

/**
 * A safe single path segment for an API id used as a folder or file name (`data/files/<id>/`,
 * `chats/<id>.json`). Ids are untrusted too. The mapping is injective, so two items can never
 * share a bag path and the seal's duplicate check never fires on ids:
 *
 * - an id of `[A-Za-z0-9_-]` (up to 128, not a Windows device name) passes through unchanged;
 * - any other id becomes its readable part (ASCII letters, digits, `_`, `-`; others → `_`, cut
 *   to 64) + `~` + 32 hex of the SHA-256 of the original id's UTF-16 code units (so ids that
 *   differ only in a lone surrogate hash apart too). `~` never appears in a pass-through id, so a
 *   changed id cannot land on an unchanged one, and the lower-case hex keeps changed ids apart on
 *   case-insensitive file systems.
 *
 * Unchanged ids that differ only in case (`Abc`, `abc`) stay distinct bag paths but share a
 * folder when extracted on a case-insensitive file system (macOS, Windows defaults); API ids
 * are case-sensitive and kept as they are, so that case is left to the extracting side.
 */
export function safeSegment(id: string): string {
  if (PLAIN_ID.test(id) && !WINDOWS_RESERVED.test(id)) return id;
  const readable = id
    .normalize('NFC')
    .replace(/[^A-Za-z0-9_-]/gu, '_')
    .slice(0, MAX_READABLE_ID)
    .replace(/^-/u, '_');
  const hash = createHash('sha256').update(Buffer.from(id, 'utf16le')).digest('hex').slice(0, ID_HASH_HEX);
  return `${readable === '' ? 'id' : readable}~${hash}`;
}

/**
 * Why a bag-relative path is unsafe, or null when it is safe: POSIX separators, no empty, `.`
 * or `..` segments, no absolute path or drive, no `%`, CR or LF (manifests then need no
 * encoding), no control characters, NFC, no character or device name Windows refuses, no segment
 * starting with `.`, `-` or whitespace or ending with `.` or whitespace, each segment within the
 * length cap.
 */
export function unsafePathReason(path: string): string | null {
  if (path === '') return 'empty path';
  if (path.includes('\\')) return 'backslash in path';
  if (path.startsWith('/')) return 'absolute path';
  if (/^[a-z]:/iu.test(path)) return 'drive letter';
  if (path.includes('%')) return '"%" in path';
  if (/[\r\n]/u.test(path)) return 'line break in path';
  if (path.normalize('NFC') !== path) return 'not NFC';
  if (new RegExp(INVISIBLE.source, 'u').test(path)) return 'control or invisible character';
  if (new RegExp(WINDOWS_FORBIDDEN.source, 'u').test(path)) return 'character Windows forbids';
  for (const segment of path.split('/')) {
    if (segment === '') return 'empty segment';
    if (segment === '.' || segment === '..') return `"${segment}" segment`;
    if (/^[.-]/u.test(segment)) return 'segment starts with "." or "-"';
    if (/^\s|[.\s]$/u.test(segment)) return 'segment starts with whitespace or ends with "." or whitespace';
    if (WINDOWS_RESERVED.test(deviceStem(segment))) return 'Windows device name';
    if (utf8Length(segment) > 255) return 'segment longer than 255 bytes';
  }
  return null;
}

/** The part of a name Windows matches against device names: up to the first dot, trimmed. */
function deviceStem(name: string): string {
  const dot = name.indexOf('.');
  return (dot === -1 ? name : name.slice(0, dot)).trim();
}
