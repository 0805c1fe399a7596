/**
 * YAML text → plain data, keeping the parsed Document so any JSON Pointer can be mapped back to a
 * line and column (HOUSE-STYLE §5). Only YAML 1.2 core schema: `2026-01-01T00:00:00Z` stays a
 * string, `yes` stays a string, so what the user sees is what the schema checks.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node, ParsedNode } from 'yaml';
import type { DiagnosticCode } from './types.js';

export interface ParsedYaml {
  /** null when the text could not be parsed into exactly one document. */
  doc: Document.Parsed | null;
  data: unknown;
  lineCounter: LineCounter;
  errors: { offset: number; code: DiagnosticCode; message: string }[];
}

export interface Position {
  line: number;
  col: number;
}

export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.2',
    schema: 'core',
  });
  const errors: ParsedYaml['errors'] = [];
  // An empty text gives an empty list (yaml's EmptyStream), handled by the caller as "not a mapping".
  const list: Document.Parsed[] = [...docs];
  for (const doc of list) {
    for (const e of doc.errors) {
      errors.push({
        offset: e.pos[0],
        code: e.code === 'DUPLICATE_KEY' ? 'yaml_duplicate_key' : 'yaml_syntax',
        message: firstLine(e.message),
      });
    }
  }
  const second = list[1];
  if (second !== undefined) {
    const start = second.range[0];
    errors.push({
      offset: start,
      code: 'yaml_multiple_documents',
      message: 'a job spec must be a single YAML document (found a second `---` document)',
    });
  }
  const doc = list[0] ?? null;
  if (doc === null || errors.length > 0) return { doc, data: null, lineCounter, errors };
  let data: unknown;
  try {
    // A job spec has no business with alias bombs.
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    errors.push({ offset: 0, code: 'yaml_syntax', message: firstLine((e as Error).message) });
  }
  return { doc, data, lineCounter, errors };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Split a JSON Pointer into unescaped segments ('' and '/' are the root). */
function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function joinPointer(base: string, segment: string | number): string {
  const s = String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
  return `${base === '/' ? '' : base}/${s}`;
}

/**
 * Source offset for a JSON Pointer. `at: 'key'` points at the mapping key (unknown keys), otherwise
 * at the value. A path that does not exist in the document (a default, a missing required key)
 * falls back to the deepest ancestor that does.
 */
export function offsetOf(
  doc: Document.Parsed | null,
  pointer: string,
  at: 'key' | 'value' = 'value',
): number {
  if (doc === null) return 0;
  let node: Node | null | undefined = doc.contents;
  let offset = node?.range?.[0] ?? 0;
  const segments = pointerSegments(pointer);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] ?? '';
    const last = i === segments.length - 1;
    if (node !== null && node !== undefined && isAlias(node)) node = node.resolve(doc);
    if (node !== null && node !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg);
      if (pair === undefined) return offset;
      const key = pair.key as ParsedNode;
      if (last && at === 'key') return key.range[0];
      node = pair.value as Node | null;
      // `key:` with no value: point just after the key.
      offset = node?.range?.[0] ?? key.range[1];
    } else if (node !== null && node !== undefined && isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (item === undefined) return offset;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

export function positionOf(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(1, line), col: Math.max(1, col) };
}

/** JSON Pointer of the innermost node whose source range holds `offset` ('/' when none does). */
export function pathAtOffset(doc: Document.Parsed | null, offset: number): string {
  let path = '';
  let node = doc?.contents as Node | null | undefined;
  const inside = (n: Node | null | undefined): boolean =>
    n?.range !== undefined && n.range !== null && offset >= n.range[0] && offset < n.range[2];
  for (let depth = 0; depth < 64 && node !== null && node !== undefined; depth++) {
    if (isMap(node)) {
      const pair = node.items.find((p) => inside(p.value as Node | null) || inside(p.key as Node | null));
      if (pair === undefined || !isScalar(pair.key)) break;
      path = joinPointer(path, String(pair.key.value));
      node = pair.value as Node | null;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((n) => inside(n as Node));
      if (index === -1) break;
      path = joinPointer(path, index);
      node = node.items[index] as Node;
    } else break;
  }
  return path === '' ? '/' : path;
}
