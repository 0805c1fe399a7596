/**
 * How far V8 lets the heap grow past what the last full GC kept. By default it grows to up to 4×
 * the live set before it collects again (more on a large machine), and RSS follows: an export
 * whose live heap is 60 MB peaked near 300 MB (bench/RESULTS.md, "Scale"). A long export is
 * bound by the API's request budget, not by CPU, so trading some GC work for memory is right:
 * with a growing factor of 1.25 the heap stays within about 1.25× the live set plus the young
 * generation. This is a factor, not a cap: an organization whose live set is larger still runs.
 *
 * V8 reads `--heap-growing-percent` each time it sets the next GC limit, so setting it at start-up
 * through `v8.setFlagsFromString` acts like the command-line flag (measured: bench/RESULTS.md).
 */
import { setFlagsFromString } from 'node:v8';
import { ExportError } from '../errors.js';

/** The environment variable that sets the percent (`0` or `off`: leave V8's own heuristics). */
export const HEAP_GROWING_ENV = 'COMPLIANCE_EXPORT_HEAP_GROWING_PERCENT';

/** The default: the heap may grow 25% past the live set before the next full GC. */
const DEFAULT_PERCENT = 25;
const FLAG = '--heap-growing-percent';

/**
 * The V8 flag this process should set, or null to leave V8's default: when the variable says
 * `0`/`off`, or Node was already given the flag (command line or NODE_OPTIONS), which wins.
 */
export function heapGrowingFlag(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string | null {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/u)];
  if (given.some((a) => a === FLAG || a.startsWith(`${FLAG}=`) || a.startsWith('--heap_growing_percent')))
    return null;
  const raw = env[HEAP_GROWING_ENV]?.trim();
  if (raw === undefined || raw === '') return `${FLAG}=${DEFAULT_PERCENT}`;
  if (raw.toLowerCase() === 'off') return null;
  if (!/^[0-9]{1,3}$/u.test(raw) || Number(raw) > 400) {
    throw new ExportError(
      'usage',
      `${HEAP_GROWING_ENV}=${JSON.stringify(raw.slice(0, 40))}: expected a whole percent from 1 to 400, or 0/off`,
    );
  }
  return Number(raw) === 0 ? null : `${FLAG}=${Number(raw)}`;
}

/** Applies `heapGrowingFlag` to this process (call once, at start-up, before the work begins). */
export function tuneHeap(env: NodeJS.ProcessEnv = process.env, execArgv = process.execArgv): void {
  const flag = heapGrowingFlag(env, execArgv);
  if (flag !== null) setFlagsFromString(flag);
}
