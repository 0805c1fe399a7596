/**
 * YAML file → validated, defaults-resolved job spec, or a SpecError naming every problem with its
 * position. Pure: no network, no I/O besides reading the one file.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Document } from 'yaml';
import { checkSchema } from './check-schema.js';
import { API_KEY_PATTERN, error, type Finding } from './finding.js';
import { offsetOf, parseYaml, pathAtOffset, positionOf, type ParsedYaml } from './parse-yaml.js';
import { canonicalJson, resolveSpec, sha256Hex, toSpecDocument, type SpecDocument } from './resolve-spec.js';
import { checkRules } from './rules.js';
import { SpecError } from './spec-error.js';
import type { Diagnostic, LoadedSpec, LoadOptions, SpecOverrides } from './types.js';

/** A job spec is a page or two of YAML; anything far bigger is a wrong file. */
const MAX_SPEC_BYTES = 1024 * 1024;

export async function loadSpecFile(path: string, opts: LoadOptions = {}): Promise<LoadedSpec> {
  let text: string;
  try {
    const bytes = await readSpecBytes(path);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new SpecError([noPosition(path, 'file_unreadable', 'is not UTF-8 text (is it a YAML file?)')]);
    }
  } catch (e) {
    if (e instanceof SpecError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code})`;
    throw new SpecError([noPosition(path, 'file_unreadable', why)]);
  }
  return loadSpecText(text, path, opts);
}

/**
 * The file's bytes, read bounded: only a regular file is read (a device such as /dev/zero or a
 * FIFO never ends, or blocks), and never more than MAX_SPEC_BYTES + 1 bytes, so a file that grows
 * while being read is refused too. O_NONBLOCK lets a FIFO be opened (and refused) without
 * waiting for a writer; it changes nothing for a regular file.
 */
async function readSpecBytes(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile())
      throw new SpecError([
        noPosition(
          path,
          'file_unreadable',
          `is not a regular file (${fileType(st)}); a job spec is a YAML file`,
        ),
      ]);
    const tooLarge = (size: string): SpecError =>
      new SpecError([noPosition(path, 'file_too_large', `is ${size} bytes; a job spec is at most 1 MiB`)]);
    if (st.size > MAX_SPEC_BYTES) throw tooLarge(String(st.size));
    const buffer = Buffer.alloc(MAX_SPEC_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_SPEC_BYTES) throw tooLarge(`more than ${MAX_SPEC_BYTES}`);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

function fileType(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

export function loadSpecText(text: string, fileName: string, opts: LoadOptions = {}): LoadedSpec {
  // A BOM is not content; strip it once so every offset and line below agrees.
  const clean = text.replace(/^\uFEFF/, '');
  const parsed = parseYaml(clean);
  const findings: Finding[] = [
    ...scanForKeys(clean, parsed),
    ...parsed.errors.map((e) => ({
      ...error(pathAtOffset(parsed.doc, e.offset), e.code, e.message),
      offset: e.offset,
    })),
  ];
  if (parsed.errors.length === 0) {
    const data = parsed.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      const what =
        data === null || data === undefined ? 'the file is empty' : 'the document is not a mapping';
      findings.push(
        error(
          '/',
          'not_a_mapping',
          `${what}: a job spec is a YAML mapping of keys such as version, name, scope, destination`,
        ),
      );
    } else {
      findings.push(...checkSchema(data), ...checkRules(data as SpecDocument, ruleContext(opts)));
    }
  }
  return finish(findings, parsed, clean, fileName, parsed.data as SpecDocument, text);
}

/**
 * Apply run-time overrides (the demo's ephemeral ports, a test's temp state dir) to a loaded spec:
 * the result is re-validated with the same rules and gets a fresh canonical JSON and hash.
 * `sourceText` stays the file as given; the hash reflects what actually runs.
 */
export function applyOverrides(
  loaded: LoadedSpec,
  overrides: SpecOverrides,
  opts: LoadOptions = {},
): LoadedSpec {
  const doc = toSpecDocument(loaded.spec) as {
    source: Record<string, unknown>;
    destination: Record<string, unknown>;
    state_dir: string;
  };
  if (overrides.base_url !== undefined) doc.source.base_url = overrides.base_url;
  if (overrides.requests_per_minute !== undefined)
    doc.source.requests_per_minute = overrides.requests_per_minute;
  if (overrides.destination_uri !== undefined) doc.destination.uri = overrides.destination_uri;
  if (overrides.destination_endpoint !== undefined) doc.destination.endpoint = overrides.destination_endpoint;
  if (overrides.state_dir !== undefined) doc.state_dir = overrides.state_dir;
  const findings = [...checkSchema(doc), ...checkRules(doc, ruleContext(opts))];
  const clean = loaded.sourceText.replace(/^\uFEFF/, '');
  const name = `${loaded.fileName} (with overrides)`;
  return finish(findings, parseYaml(clean), clean, name, doc, loaded.sourceText);
}

function ruleContext(opts: LoadOptions): { now: Date; env: NodeJS.ProcessEnv } {
  return { now: opts.now ?? new Date(), env: opts.env ?? process.env };
}

function finish(
  findings: Finding[],
  parsed: ParsedYaml,
  text: string,
  fileName: string,
  doc: SpecDocument,
  /** The text exactly as read (with any BOM), returned as `sourceText`. */
  original: string = text,
): LoadedSpec {
  const diagnostics = findings.map((f) => position(f, parsed.doc, parsed, fileName));
  if (diagnostics.some((d) => d.severity === 'error')) throw new SpecError(diagnostics, text);
  const spec = resolveSpec(doc);
  const json = canonicalJson(spec);
  return {
    spec,
    sourceText: original,
    canonicalJson: json,
    sha256: sha256Hex(json),
    fileName,
    warnings: diagnostics,
  };
}

function position(f: Finding, doc: Document.Parsed | null, parsed: ParsedYaml, file: string): Diagnostic {
  const offset = f.offset ?? offsetOf(doc, f.path, f.at);
  const { line, col } = positionOf(parsed.lineCounter, offset);
  const d: Diagnostic = {
    file,
    line,
    col,
    path: f.path,
    message: f.message,
    code: f.code,
    severity: f.severity,
  };
  if (f.suggestion !== undefined) d.suggestion = f.suggestion;
  return d;
}

function noPosition(file: string, code: Diagnostic['code'], message: string): Diagnostic {
  return { file, line: 0, col: 0, path: '/', message, code, severity: 'error' };
}

/**
 * A pasted key anywhere in the file, comments included: the file is archived verbatim as
 * reports/job.yaml, so a key in a comment would leak into every archive.
 */
function scanForKeys(text: string, parsed: ParsedYaml): Finding[] {
  const out: Finding[] = [];
  for (const m of text.matchAll(API_KEY_PATTERN)) {
    out.push({
      path: pathAtOffset(parsed.doc, m.index),
      code: 'api_key_in_file',
      message:
        'this looks like an Anthropic API key; never write a key in a job spec: put it in an environment ' +
        'variable and name that variable in source.api_key_env (then revoke this key, it has been exposed)',
      severity: 'error',
      offset: m.index,
    });
  }
  return out;
}
