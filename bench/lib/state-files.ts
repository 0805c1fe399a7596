/**
 * Readers for what a run leaves in its store folder: the request ledger (`requests.jsonl`, one
 * line per attempt) and the custody log (`custody.jsonl`, stage boundaries with times).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerEntry } from '../../src/api/index.js';

async function jsonLines<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a torn last line after a kill
    }
  }
  return out;
}

export const readLedger = (storeDir: string): Promise<LedgerEntry[]> =>
  jsonLines<LedgerEntry>(join(storeDir, 'requests.jsonl'));

export interface CustodyLine {
  readonly seq: number;
  readonly at: string;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export const readCustody = (storeDir: string): Promise<CustodyLine[]> =>
  jsonLines<CustodyLine>(join(storeDir, 'custody.jsonl'));

/** When the first collection pass ended (custody `stage_end` of `collect`). */
export function firstPassEnd(custody: readonly CustodyLine[]): number {
  const end = custody.find((e) => e.event === 'stage_end' && e.data['stage'] === 'collect');
  if (end === undefined) throw new Error('custody log has no stage_end for collect');
  return Date.parse(end.at);
}

const LITERAL = new Set([
  'organizations',
  'users',
  'roles',
  'permissions',
  'settings',
  'groups',
  'members',
  'activities',
  'apps',
  'chats',
  'messages',
  'files',
  'content',
  'generated-files',
  'artifacts',
  'projects',
  'attachments',
  'collaborators',
  'documents',
  'metadata',
  'code',
  'versions',
  'sessions',
  'local',
  'remote',
]);

/** `/v1/compliance/apps/chats/claude_chat_x/messages` → `/apps/chats/{id}/messages`. */
export function routeOf(path: string): string {
  return path
    .replace(/^\/v1\/compliance/, '')
    .split('/')
    .map((seg) => (seg === '' || LITERAL.has(seg) ? seg : '{id}'))
    .join('/');
}

export interface TimelineRow {
  /** Seconds from the first attempt. */
  readonly from: number;
  readonly starts: number;
  /** Mean attempts in flight over the bucket. */
  readonly inFlight: number;
  /** The routes most started in the bucket, with counts. */
  readonly top: string;
}

/** Attempt starts and mean concurrency per bucket: where a run was not request-bound. */
export function timeline(ledger: readonly LedgerEntry[], bucketMs: number): TimelineRow[] {
  if (ledger.length === 0) return [];
  const spans = ledger.map(
    (e) => [Date.parse(e.ts), Date.parse(e.ts) + e.duration_ms, routeOf(e.path)] as const,
  );
  const t0 = Math.min(...spans.map((s) => s[0]));
  const t1 = Math.max(...spans.map((s) => s[1]));
  const rows: TimelineRow[] = [];
  for (let from = t0; from < t1; from += bucketMs) {
    const to = from + bucketMs;
    let starts = 0;
    let busy = 0;
    const routes = new Map<string, number>();
    for (const [a, b, route] of spans) {
      if (a >= from && a < to) {
        starts += 1;
        routes.set(route, (routes.get(route) ?? 0) + 1);
      }
      busy += Math.max(0, Math.min(b, to) - Math.max(a, from));
    }
    const top = [...routes]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 3)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    rows.push({ from: (from - t0) / 1000, starts, inFlight: busy / bucketMs, top });
  }
  return rows;
}
