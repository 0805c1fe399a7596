/**
 * The run's side of plan-estimate.json (src/plan/plan-estimate.ts): read once at start from the
 * locked state folder, as hostile bytes (no link followed, no FIFO opened, at most
 * PLAN_ESTIMATE_MAX_BYTES read, the shape checked), kept only when it was made for this spec in
 * the last 7 days. What the progress line gets is what THIS run is expected to list and send: a
 * resumed job's earlier runs already sent part of plan's requests (their lines in the request
 * ledger) and staged part of its listed items (the journal), so those are taken off plan's figures.
 * After a verified ship the file is discarded: a later run of the job (the next snapshot of a
 * series) is a new export that plan has not counted.
 */
import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  parsePlanEstimate,
  PLAN_ESTIMATE_FILE,
  PLAN_ESTIMATE_MAX_BYTES,
  type PlanEstimateFile,
} from '../plan/plan-estimate.js';
import { readRegularFile } from '../local-files.js';
import type { StagingStore } from '../store/index.js';
import { stageOfPath, type ProvisionalTotals } from './progress-model.js';

export type PlanTotals =
  | { readonly status: 'absent' }
  | { readonly status: 'ignored'; readonly path: string; readonly cause: string }
  | { readonly status: 'used'; readonly path: string; readonly totals: ProvisionalTotals };

/** What earlier runs of a resumed job did: ledger lines (all and per kind), items staged per kind. */
export interface EarlierWork {
  readonly requests: number;
  readonly requestsByKind: Readonly<Record<string, number>>;
  readonly staged: Readonly<Record<string, number>>;
}

/**
 * The record kind each listing kind stages one of per listed entry it keeps (src/collect/kinds:
 * the kind `collectListed` and the walks of activities and sessions are given).
 */
const STAGED_AS: Readonly<Record<string, string>> = {
  chats: 'chat',
  projects: 'project',
  code_artifacts: 'code_artifact',
  activities: 'activity',
  sessions: 'session',
};

/** The job folder's plan-estimate.json as this run's provisional totals, or why it is not used. */
export async function readPlanTotals(
  dir: string,
  expect: { readonly specSha256: string; readonly now: Date },
  store: StagingStore,
): Promise<PlanTotals> {
  const path = join(dir, PLAN_ESTIMATE_FILE);
  try {
    const read = await readSmall(path);
    if ('absent' in read) return { status: 'absent' };
    if ('cause' in read) return { status: 'ignored', path, cause: read.cause };
    const parsed = parsePlanEstimate(read.text, expect);
    if (!parsed.ok) return { status: 'ignored', path, cause: parsed.cause };
    const earlier = store.resumed ? await earlierWork(store) : null;
    return { status: 'used', path, totals: provisionalTotals(parsed.estimate, earlier) };
  } catch (error) {
    // Only the progress line's totals depend on it: never a reason to stop the run.
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { status: 'ignored', path, cause: `unreadable (${code})` };
  }
}

/** plan's figures, less what earlier runs of the job did (never below zero). */
export function provisionalTotals(
  estimate: PlanEstimateFile,
  earlier: EarlierWork | null,
): ProvisionalTotals {
  const less = (
    figures: Readonly<Record<string, number>>,
    done: Readonly<Record<string, number>> | undefined,
  ): Record<string, number> =>
    Object.fromEntries(
      Object.entries(figures).map(([k, n]) => {
        const before = done !== undefined && Object.hasOwn(done, k) ? (done[k] ?? 0) : 0;
        return [k, Math.max(0, n - before)] as const;
      }),
    );
  return {
    listed: less(estimate.listed, earlier?.staged),
    requests: Math.max(0, estimate.requests.total - (earlier?.requests ?? 0)),
    requestsByKind: less(estimate.requests.by_kind, earlier?.requestsByKind),
  };
}

/** The request ledger's lines (attempts of earlier runs) per kind, and the items staged per kind. */
async function earlierWork(store: StagingStore): Promise<EarlierWork> {
  const { requests, requestsByKind } = await ledgerRequests(join(store.dir, 'requests.jsonl'));
  const counts = store.countsByKind();
  const staged: Record<string, number> = {};
  for (const [kind, record] of Object.entries(STAGED_AS)) staged[kind] = counts.get(record) ?? 0;
  return { requests, requestsByKind, staged };
}

/** The attempts a request ledger holds (a torn last line too), all and per kind; none when it is absent. */
export async function ledgerRequests(
  path: string,
): Promise<Pick<EarlierWork, 'requests' | 'requestsByKind'>> {
  let requests = 0;
  const requestsByKind: Record<string, number> = {};
  await forEachLine(path, (line) => {
    if (line.trim() === '') return;
    requests += 1;
    const kind = stageOfPath(pathOf(line) ?? '');
    if (kind !== null) requestsByKind[kind] = (requestsByKind[kind] ?? 0) + 1;
  });
  return { requests, requestsByKind };
}

/**
 * Each line of a text file (the last one even without its newline), read in 1 MiB chunks: at
 * 100,000 chats the ledger holds ~165,000 lines, and reading them one by one through readline,
 * each parsed as JSON, took ~3 s of a resume. Nothing when the file does not exist.
 */
async function forEachLine(path: string, onLine: (line: string) => void): Promise<void> {
  let rest = '';
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const text = rest + (chunk as string);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        onLine(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (rest !== '') onLine(rest);
}

/**
 * The ledger line's `path`. The ledger (src/api/ledger.ts) writes `ts`, `method` (ours) and then
 * `path` before any field a server's reply fills, so the first `"path":"` is the field; a path
 * holding an escape, or a line without one, goes through the JSON parser.
 */
function pathOf(line: string): string | null {
  const at = line.indexOf(PATH_FIELD);
  const end = at < 0 ? -1 : line.indexOf('"', at + PATH_FIELD.length);
  if (end >= 0) {
    const path = line.slice(at + PATH_FIELD.length, end);
    if (!path.includes('\\')) return path;
  }
  return parsedPathOf(line);
}

const PATH_FIELD = '"path":"';

function parsedPathOf(line: string): string | null {
  try {
    const path = (JSON.parse(line) as { path?: unknown } | null)?.path;
    return typeof path === 'string' ? path : null;
  } catch {
    return null; // a line torn by a kill still was an attempt
  }
}

/** A small regular file's text; a link, a FIFO, a device or anything too large is refused unread. */
async function readSmall(path: string): Promise<{ text: string } | { absent: true } | { cause: string }> {
  const read = await readRegularFile(path, PLAN_ESTIMATE_MAX_BYTES);
  if ('tooLarge' in read)
    return { cause: `${read.tooLarge} bytes, more than the ${PLAN_ESTIMATE_MAX_BYTES} such a file holds` };
  return 'bytes' in read ? { text: read.bytes.toString('utf8') } : read;
}

/**
 * After a verified ship: the estimate is used up (gone already is fine). Never throws: the archive
 * has shipped, so a file that cannot be removed (a folder in its place, a read-only mount) must not
 * fail the run; the returned warning says so (null when removed or absent).
 */
export async function discardPlanEstimate(dir: string): Promise<string | null> {
  const path = join(dir, PLAN_ESTIMATE_FILE);
  try {
    await unlink(path);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? null
      : `compliance-export: could not remove ${path} (${code ?? 'error'}); a later run ignores it once it is 7 days old\n`;
  }
}
