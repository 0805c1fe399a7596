/**
 * The verifier's own check of a custody log's hash chain, written from the format (README, the archive
 * layout) and not shared with the writer (src/archive/custody-log.ts): an auditor's
 * verifier must not inherit a bug from the code it audits. Format: JSON Lines; entry n holds
 * `seq` n and `prev`, the SHA-256 (hex) of the exact bytes of line n-1 without its newline; the
 * first `prev` is 64 zeros.
 */
import { createHash } from 'node:crypto';

const GENESIS = '0'.repeat(64);

export interface ChainProblem {
  /** 1-based line number in the log. */
  readonly line: number;
  readonly code: 'invalid_json' | 'invalid_entry' | 'chain_broken' | 'seq_gap';
  readonly message: string;
}

export interface ChainCheck {
  /** Lines that parsed as JSON. */
  readonly entries: number;
  readonly problems: readonly ChainProblem[];
}

const sha256 = (line: string): string => createHash('sha256').update(line, 'utf8').digest('hex');

function fieldsOf(value: unknown): { seq: number; prev: string } | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const { seq, prev, at, event } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || typeof prev !== 'string' || typeof at !== 'string') return null;
  if (typeof event !== 'string') return null;
  return { seq, prev };
}

/** Checks every line of `text` (one final newline is not a line); names each problem's line. */
export function checkCustodyChain(text: string): ChainCheck {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const problems: ChainProblem[] = [];
  let entries = 0;
  // Each line is checked against the one before it, whatever that one held.
  let previousHash = GENESIS;
  lines.forEach((line, index) => {
    const n = index + 1;
    const expectedPrev = previousHash;
    previousHash = sha256(line);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push({ line: n, code: 'invalid_json', message: `line ${n}: not valid JSON` });
      return;
    }
    entries += 1;
    const fields = fieldsOf(value);
    if (fields === null) {
      problems.push({
        line: n,
        code: 'invalid_entry',
        message: `line ${n}: expected an object with seq, at, event, prev`,
      });
      return;
    }
    if (fields.prev !== expectedPrev) {
      problems.push({
        line: n,
        code: 'chain_broken',
        message: `line ${n}: prev is ${fields.prev.slice(0, 12)}…, expected ${expectedPrev.slice(0, 12)}… (the SHA-256 of line ${n - 1})`,
      });
    }
    if (fields.seq !== index) {
      problems.push({
        line: n,
        code: 'seq_gap',
        message: `line ${n}: seq is ${fields.seq}, expected ${index}`,
      });
    }
  });
  return { entries, problems };
}
