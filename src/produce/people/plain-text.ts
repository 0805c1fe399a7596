/**
 * Cleaning untrusted text for people: a value from the API (a chat name, a custodian, a reason's
 * detail) must not carry terminal escapes into `cat README.txt`, bidi overrides that reorder what
 * a reader sees (Trojan Source), a line break that forges a second `bag-info.txt` field, or lone
 * surrogates that some readers refuse. Also word wrapping for the plain-text README.
 */

// C0 (tab and line breaks included), DEL and C1 controls, the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu;
// Bidi embeddings/overrides/isolates and the invisible marks that disguise text (as safe-name.ts).
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

/**
 * One line of display text: invisible and bidi marks removed, lone surrogates replaced by U+FFFD,
 * every run of controls and white space (line breaks, tabs) folded to one space, trimmed.
 */
export function oneLine(value: string): string {
  return value
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(INVISIBLE, '')
    .replace(CONTROLS, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** `oneLine`, then cut to at most `max` code points (an ellipsis marks the cut). */
export function clip(value: string, max: number): string {
  const flat = oneLine(value);
  const points = [...flat];
  return points.length <= max ? flat : `${points.slice(0, max - 1).join('')}…`;
}

/**
 * Word-wraps one paragraph (`oneLine`d first) to lines of at most `width` code points, the
 * first prefixed by `first` and the rest by `rest` (hanging indent). A word longer than a line
 * (a long email, a hash) is broken where it must be, so no line ever exceeds `width`.
 */
export function wrap(text: string, width: number, first = '', rest = first): string[] {
  const length = (s: string): number => [...s].length;
  const lines: string[] = [];
  let prefix = first;
  let line = prefix;
  let empty = true;
  const push = (): void => {
    lines.push(line.trimEnd());
    prefix = rest;
    line = prefix;
    empty = true;
  };
  for (const word of oneLine(text).split(' ')) {
    if (word === '') continue;
    let chars = [...word];
    if (!empty && length(line) + 1 + chars.length > width) push();
    // On an empty line: a word wider than the line is cut into full-width pieces.
    while (empty && chars.length > width - length(prefix)) {
      const room = Math.max(1, width - length(prefix));
      lines.push(prefix + chars.slice(0, room).join(''));
      prefix = rest;
      line = prefix;
      chars = chars.slice(room);
    }
    if (chars.length === 0) continue;
    line = empty ? line + chars.join('') : `${line} ${chars.join('')}`;
    empty = false;
  }
  if (!empty || lines.length === 0) push();
  return lines;
}
