/**
 * Append-only, hash-chained custody log (JSON Lines). Each entry holds `prev`, the SHA-256 of the
 * exact bytes of the entry before it (without its newline), so removing, reordering or editing
 * any entry breaks the chain from that point on, and a recipient can check it with `sha256sum`
 * and a JSON parser. The first entry's `prev` is 64 zeros.
 *
 * The log lives in the state dir for the whole run (across resumes) and is fsynced per entry: a
 * crash loses at most the entry being written. A torn last line is cut off on reopen and the
 * repair is itself logged. The bag embeds the log as it stands at seal time
 * (`reports/custody.jsonl`); upload and read-back entries extend the same chain afterwards.
 */
import { createHash } from 'node:crypto';
import { open, readFile, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ExportError } from '../errors.js';
import { PRIVATE_FILE_MODE } from '../local-files.js';

export const GENESIS_HASH = '0'.repeat(64);

export type CustodyEvent =
  | 'run_start'
  | 'run_resume'
  | 'log_repaired'
  | 'preflight'
  | 'stage_start'
  | 'stage_end'
  | 'requests'
  | 'seal'
  | 'upload'
  | 'readback'
  | 'verify'
  | 'run_end'
  | 'note';

/** One parsed entry. `data` is free-form but must never hold a secret (fingerprints only). */
export interface CustodyEntry {
  readonly seq: number;
  readonly at: string;
  readonly event: CustodyEvent | (string & {});
  readonly prev: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A short, stable, non-reversible fingerprint of a secret or key id, for the custody log. */
export function fingerprint(secret: string): string {
  return `sha256:${sha256Hex(secret).slice(0, 16)}`;
}

/** The exact line (without newline) for an entry: fixed key order so the hash is reproducible. */
function formatCustodyEntry(entry: CustodyEntry): string {
  return JSON.stringify({
    seq: entry.seq,
    at: entry.at,
    event: entry.event,
    prev: entry.prev,
    data: entry.data,
  });
}

export interface CustodyProblem {
  /** 1-based line number in the log. */
  readonly line: number;
  readonly code: 'invalid_json' | 'invalid_entry' | 'chain_broken' | 'seq_gap' | 'torn_line';
  readonly message: string;
}

export interface CustodyChainResult {
  readonly ok: boolean;
  readonly entries: number;
  /** SHA-256 of the last entry's line: what the next entry's `prev` must be. */
  readonly head: string;
  readonly problems: readonly CustodyProblem[];
}

/**
 * Checks a custody log's chain. Pure: give it the lines (a trailing empty line from a final
 * newline is ignored). Reports every problem, each with its line number.
 */
export function verifyCustodyChain(lines: Iterable<string>): CustodyChainResult {
  const problems: CustodyProblem[] = [];
  let expectedPrev = GENESIS_HASH;
  let expectedSeq = 0;
  let count = 0;
  let lineNo = 0;
  const all = [...lines];
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  for (const line of all) {
    lineNo += 1;
    const actualHash = sha256Hex(line);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push({ line: lineNo, code: 'invalid_json', message: `line ${lineNo}: not valid JSON` });
      expectedPrev = actualHash;
      expectedSeq += 1;
      continue;
    }
    count += 1;
    const entry = parsed as Partial<CustodyEntry> | null;
    if (
      entry === null ||
      typeof entry !== 'object' ||
      typeof entry.seq !== 'number' ||
      typeof entry.prev !== 'string' ||
      typeof entry.event !== 'string' ||
      typeof entry.at !== 'string'
    ) {
      problems.push({
        line: lineNo,
        code: 'invalid_entry',
        message: `line ${lineNo}: expected an object with seq, at, event, prev`,
      });
    } else {
      if (entry.prev !== expectedPrev) {
        problems.push({
          line: lineNo,
          code: 'chain_broken',
          message: `line ${lineNo}: prev is ${entry.prev.slice(0, 12)}…, expected ${expectedPrev.slice(0, 12)}… (the SHA-256 of line ${lineNo - 1})`,
        });
      }
      if (entry.seq !== expectedSeq) {
        problems.push({
          line: lineNo,
          code: 'seq_gap',
          message: `line ${lineNo}: seq is ${entry.seq}, expected ${expectedSeq}`,
        });
      }
    }
    expectedPrev = actualHash;
    expectedSeq += 1;
  }
  return { ok: problems.length === 0, entries: count, head: expectedPrev, problems };
}

/** Splits a log's text into lines, noting a torn (unterminated) last line. */
function splitCustodyText(text: string): { lines: string[]; torn: string | null } {
  if (text === '') return { lines: [], torn: null };
  const parts = text.split('\n');
  const last = parts.pop() ?? '';
  return { lines: parts, torn: last === '' ? null : last };
}

export interface CustodyLogOptions {
  /** Injected clock (tests); defaults to the wall clock. */
  readonly now?: () => Date;
}

/** The writer. One per process; `append` calls are serialised so the chain never forks. */
export class CustodyLog {
  readonly path: string;
  private readonly handle: FileHandle;
  private readonly now: () => Date;
  private seq: number;
  private headHash: string;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, handle: FileHandle, seq: number, head: string, now: () => Date) {
    this.path = path;
    this.handle = handle;
    this.seq = seq;
    this.headHash = head;
    this.now = now;
  }

  /**
   * Opens (or creates) the log at `path`. An existing log is checked first: a broken chain is
   * refused (`store_corrupt`), a torn last line from a crash is cut off and logged.
   */
  static async open(path: string, options: CustodyLogOptions = {}): Promise<CustodyLog> {
    const now = options.now ?? (() => new Date());
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const { lines, torn } = splitCustodyText(text);
    const result = verifyCustodyChain(lines);
    if (!result.ok) {
      const first = result.problems[0];
      throw new ExportError(
        'store_corrupt',
        `custody log ${path}: ${first?.message ?? 'chain broken'} (${result.problems.length} problem(s)); refusing to extend it`,
      );
    }
    if (torn !== null) {
      await truncate(path, Buffer.byteLength(text, 'utf8') - Buffer.byteLength(torn, 'utf8'));
    }
    // 0600: the log names the operator, host and destination (the state folder is private too).
    const handle = await open(path, 'a', PRIVATE_FILE_MODE);
    const log = new CustodyLog(path, handle, lines.length, result.head, now);
    if (torn !== null) {
      await log.append('log_repaired', {
        droppedBytes: Buffer.byteLength(torn, 'utf8'),
        reason: 'torn_line',
      });
    }
    return log;
  }

  /** SHA-256 of the last entry written (the chain head). */
  get head(): string {
    return this.headHash;
  }

  get entries(): number {
    return this.seq;
  }

  /** Appends one entry and fsyncs it before resolving. Returns the entry as written. */
  append(
    event: CustodyEvent | (string & {}),
    data: Readonly<Record<string, unknown>> = {},
  ): Promise<CustodyEntry> {
    const next = this.queue.then(async () => {
      const entry: CustodyEntry = {
        seq: this.seq,
        at: this.now().toISOString(),
        event,
        prev: this.headHash,
        data,
      };
      const line = formatCustodyEntry(entry);
      await this.handle.write(`${line}\n`);
      await this.handle.sync();
      this.seq += 1;
      this.headHash = sha256Hex(line);
      return entry;
    });
    // Keep the queue alive after a failed append so the caller sees the error, not a hang.
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle.close();
  }
}
