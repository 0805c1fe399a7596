/**
 * Exact source text of the elements of a top-level array property in a JSON object, e.g. each
 * record of `{"data":[...],"has_more":true}`. The archive keeps records byte-for-byte as the API
 * sent them (JSON.stringify of a parsed record can differ: number spelling, escapes, precision of
 * large integers). The input must already have passed JSON.parse, so the scanner trusts its shape.
 */
export function rawArrayItems(text: string, key: string): string[] | null {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return null;
  i = skipWs(text, i + 1);
  // JSON.parse keeps the last of repeated keys: so does this (`{"data":[A],"data":[B]}` is B), else
  // the archive would keep records other than the ones the pipeline read.
  let found: string[] | null = null;
  while (i < text.length && text.charCodeAt(i) !== 0x7d) {
    const keyEnd = skipString(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    i = skipWs(text, i + 1); // past ':'
    let end: number;
    if (name === key) {
      const array = text.charCodeAt(i) === 0x5b ? arrayItems(text, i) : null;
      found = array?.items ?? null;
      end = array?.end ?? skipValue(text, i);
    } else {
      end = skipValue(text, i);
    }
    i = skipWs(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipWs(text, i + 1);
  }
  return found;
}

function arrayItems(text: string, start: number): { items: string[]; end: number } {
  const items: string[] = [];
  let i = skipWs(text, start + 1);
  while (i < text.length && text.charCodeAt(i) !== 0x5d) {
    const end = skipValue(text, i);
    items.push(text.slice(i, end));
    i = skipWs(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipWs(text, i + 1);
  }
  return { items, end: i + 1 };
}

function skipWs(text: string, from: number): number {
  let i = from;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else return i;
  }
}

/**
 * End of the string starting at `from` (its opening quote). Jumps from quote to quote: record
 * text is mostly long strings (message bodies), and a character-by-character walk over them was
 * a visible share of the exporter's CPU. A quote ends the string unless an odd number of
 * backslashes precedes it.
 */
function skipString(text: string, from: number): number {
  let i = from + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) throw new SyntaxError('unterminated string');
    let slash = quote - 1;
    while (slash > from && text.charCodeAt(slash) === 0x5c) slash--;
    if ((quote - 1 - slash) % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

function skipValue(text: string, from: number): number {
  const first = text.charCodeAt(from);
  if (first === 0x22) return skipString(text, from);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    let i = from;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i = skipString(text, i);
        continue;
      }
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new SyntaxError('unterminated container');
  }
  // A number, true, false or null: up to the next delimiter.
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) break;
    i++;
  }
  return i;
}
