/**
 * File names from the API are untrusted (compliance-api.md §3.10): keep only the base name,
 * strip what is unsafe, and never let a name start with `-` or `.`. Collisions cannot happen
 * because each file sits in its own id's folder; the original name is kept in `metadata.json`
 * and `items.csv`. The result is safe to extract on Linux, macOS and Windows.
 */

/** Longest safe name in UTF-8 bytes: under the 255-byte limit of common file systems, with room. */
export const MAX_NAME_BYTES = 200;
const MAX_EXTENSION_BYTES = 24;
export const FALLBACK_NAME = 'file';

// C0, DEL, C1 controls; bidi overrides/isolates and zero-width marks that disguise extensions.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;
// Characters Windows refuses in a name (the separators are handled before this).
const WINDOWS_FORBIDDEN = /[<>:"|?*]/gu;
// Device names Windows reserves whatever the extension (CON.txt is still CON).
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/iu;

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a code point. */
export function truncateUtf8(text: string, maxBytes: number): string {
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
  // Windows drops trailing dots and spaces; leading dots hide files and leading dashes read as options.
  name = name.replace(/[. ]+$/u, '');
  if (/^[.\-\s]/u.test(name)) {
    name = name.replace(/^[.\-\s]+/u, '');
    if (name === '') return '';
    name = `_${name}`;
  }
  if (name === '') return '';
  const dot = name.indexOf('.');
  const stem = dot === -1 ? name : name.slice(0, dot);
  if (WINDOWS_RESERVED.test(stem.trim())) name = `_${name}`;
  return capLength(name);
}

/** Caps the UTF-8 length, keeping a short extension so the type stays recognisable. */
function capLength(name: string): string {
  if (utf8Length(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot) : '';
  if (ext !== '' && utf8Length(ext) <= MAX_EXTENSION_BYTES) {
    const stem = truncateUtf8(name.slice(0, dot), MAX_NAME_BYTES - utf8Length(ext)).replace(/[. ]+$/u, '');
    return `${stem}${ext}`;
  }
  return truncateUtf8(name, MAX_NAME_BYTES).replace(/[. ]+$/u, '');
}

/**
 * A safe single path segment for an API id used as a folder name (`data/files/<id>/`). Ids are
 * untrusted too; a well-formed id passes through unchanged.
 */
export function safeSegment(id: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/u.test(id)) return id;
  return safeName(id.replace(/[/\\]/gu, '_'), 'id');
}

/**
 * Why a bag-relative path is unsafe, or null when it is safe: POSIX separators, no empty, `.`
 * or `..` segments, no absolute path or drive, no control characters, NFC, no segment starting
 * with `.` or `-`, each segment within the length cap.
 */
export function unsafePathReason(path: string): string | null {
  if (path === '') return 'empty path';
  if (path.includes('\\')) return 'backslash in path';
  if (path.startsWith('/')) return 'absolute path';
  if (/^[a-z]:/iu.test(path)) return 'drive letter';
  if (path.normalize('NFC') !== path) return 'not NFC';
  if (new RegExp(INVISIBLE.source, 'u').test(path)) return 'control or invisible character';
  for (const segment of path.split('/')) {
    if (segment === '') return 'empty segment';
    if (segment === '.' || segment === '..') return `"${segment}" segment`;
    if (/^[.-]/u.test(segment)) return 'segment starts with "." or "-"';
    if (utf8Length(segment) > 255) return 'segment longer than 255 bytes';
  }
  return null;
}
