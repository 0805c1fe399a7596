/**
 * RFC 5322 header fields from untrusted values. Every value is cleaned first: control characters
 * (CR and LF among them) become spaces, so no value can end a field or start a new one. Then:
 *
 * - printable ASCII that holds no `=?` is written as is, folded at spaces so lines stay within 78
 *   characters where a space allows (RFC 5322 §2.1.1), and never past 998;
 * - anything else (non-ASCII, a `=?` that a reader would take for an encoded word, a word too
 *   long to fold) is written as RFC 2047 encoded words (`=?UTF-8?B?…?=`, each at most 75
 *   characters, never splitting a character), one per folded line. Readers join adjacent encoded
 *   words without the space between them (RFC 2047 §6.2), so the value decodes whole.
 */

const CRLF = '\r\n';
const SOFT_LIMIT = 78;
const HARD_LIMIT = 998;
const WORD_PREFIX = '=?UTF-8?B?';
const WORD_SUFFIX = '?=';
const MAX_ENCODED_WORD = 75;

// C0 controls (CR, LF, TAB, NUL among them), DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/gu;

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/u;
/** RFC 5322 atext plus space: a display name that needs no quoting. */
const ATEXT_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/u;

/** The value with every control character a space, runs of spaces one, ends trimmed. */
export function cleanHeaderText(value: string): string {
  return value.replace(CONTROLS, ' ').replace(/ {2,}/gu, ' ').trim();
}

/** `Name: value` + CRLF for an unstructured field (Subject, X-RSMF-*), folded and encoded. */
export function unstructuredField(name: string, value: string): string {
  const clean = cleanHeaderText(value);
  const plain = PRINTABLE_ASCII.test(clean) && !clean.includes('=?');
  const tokens = plain ? clean.split(' ').filter((t) => t !== '') : encodedWords(clean, name.length + 2);
  const folded = fold(name, tokens);
  return folded ?? fold(name, encodedWords(clean, name.length + 2)) ?? `${name}:${CRLF}`;
}

/**
 * `Name: display <address>` + CRLF. The display name is atext words when it can be, else encoded
 * words; `address` must already be a plain addr-spec (conversation-model.ts `plainEmail`).
 */
export function mailboxField(name: string, display: string, address: string): string {
  const clean = cleanHeaderText(display);
  const phrase =
    clean === '' || clean === address
      ? []
      : ATEXT_PHRASE.test(clean) && !clean.includes('=?')
        ? clean.split(' ')
        : encodedWords(clean, name.length + 2);
  return fold(name, [...phrase, `<${address}>`]) ?? `${name}: <${address}>${CRLF}`;
}

/**
 * Joins tokens with spaces, starting a new line (CRLF + space) before a token that would pass
 * 78 characters; null when a single token cannot fit within 998.
 */
function fold(name: string, tokens: readonly string[]): string | null {
  const lines: string[] = [];
  let line = `${name}:`;
  for (const token of tokens) {
    if (line.length + 1 + token.length <= SOFT_LIMIT || line.trim() === `${name}:`) {
      line += ` ${token}`;
    } else {
      lines.push(line);
      line = ` ${token}`;
    }
    if (line.length > HARD_LIMIT) return null;
  }
  lines.push(line);
  return `${lines.join(CRLF)}${CRLF}`;
}

/**
 * The value as encoded words. The first is sized to fit after `Name: ` (`firstOffset`
 * characters), the rest after the folding space.
 */
function encodedWords(value: string, firstOffset: number): string[] {
  const words: string[] = [];
  const overhead = WORD_PREFIX.length + WORD_SUFFIX.length;
  // Base64 turns each 3 bytes into 4 characters.
  const bytesFor = (chars: number): number => Math.floor((chars - overhead) / 4) * 3;
  let budget = Math.max(bytesFor(Math.min(MAX_ENCODED_WORD, SOFT_LIMIT - firstOffset)), 4);
  let chunk: Buffer[] = [];
  let used = 0;
  const flush = (): void => {
    words.push(`${WORD_PREFIX}${Buffer.concat(chunk).toString('base64')}${WORD_SUFFIX}`);
    chunk = [];
    used = 0;
    budget = bytesFor(MAX_ENCODED_WORD);
  };
  for (const ch of value) {
    const bytes = Buffer.from(ch, 'utf8');
    if (used + bytes.length > budget) flush();
    chunk.push(bytes);
    used += bytes.length;
  }
  if (used > 0) flush();
  return words;
}
