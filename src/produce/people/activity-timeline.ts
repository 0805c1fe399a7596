/**
 * Activity counts per day (UTC) per type, for the report's timeline, computed in one pass over
 * `data/activities/activities.jsonl` without holding it: memory is bounded by the caps below,
 * whatever the API sent (a hostile feed could invent millions of types or dates).
 *
 *   const timeline = await countActivities(jsonLines(store.blobs.open(ref.sha256)));
 */
import { clip } from './plain-text.js';
import type { ActivityTimeline, RowSource, TimelineDay } from './types.js';

/** Distinct activity types kept by name; later new types count under OTHER_TYPES. */
const MAX_TYPES = 1000;
/** Distinct (day, type) cells kept; past it a day's new types count under OTHER_TYPES. */
const MAX_CELLS = 200_000;
/** Longest JSON line read; a longer one is skipped (counted as undated). */
const MAX_LINE_BYTES = 8 * 1024 * 1024;
/** Dates outside these years are not plausible activity times: counted as undated. */
const FIRST_YEAR = 2000;
const LAST_YEAR = 2199;

export const OTHER_TYPES = '(other types)';
const NO_TYPE = '(no type)';

/**
 * Splits a byte stream into lines (LF or CRLF), without a size limit on the stream and with one on
 * a line: a line longer than MAX_LINE_BYTES is yielded as `undefined`. Empty lines are skipped.
 */
export async function* jsonLines(
  source: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<string | undefined> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  const finish = (): string | undefined | null => {
    const line = tooLong ? undefined : Buffer.concat(parts, size).toString('utf8').replace(/\r$/u, '');
    parts = [];
    size = 0;
    tooLong = false;
    return line === '' ? null : line;
  };
  for await (const chunk of source) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a)) {
      take(buf.subarray(0, nl));
      const line = finish();
      if (line !== null) yield line;
      buf = buf.subarray(nl + 1);
    }
    take(buf);
  }
  if (size > 0 || tooLong) {
    const line = finish();
    if (line !== null) yield line;
  }

  function take(piece: Buffer): void {
    if (tooLong || piece.length === 0) return;
    if (size + piece.length > MAX_LINE_BYTES) {
      tooLong = true;
      parts = [];
      size = 0;
      return;
    }
    parts.push(piece);
    size += piece.length;
  }
}

function dayOf(createdAt: unknown): string | null {
  if (typeof createdAt !== 'string' || createdAt.length > 64) return null;
  const ms = Date.parse(createdAt);
  if (Number.isNaN(ms)) return null;
  const day = new Date(ms).toISOString().slice(0, 10);
  const year = Number(day.slice(0, 4));
  return year >= FIRST_YEAR && year <= LAST_YEAR ? day : null;
}

/**
 * Counts activities by UTC day and type. Each row is an activity object or one JSON line of one
 * (a line that is not an object, or `undefined` from `jsonLines`, counts as undated).
 */
export async function countActivities(rows: RowSource<unknown>): Promise<ActivityTimeline> {
  const days = new Map<string, Map<string, number>>();
  const types = new Map<string, number>();
  let cells = 0;
  let total = 0;
  let undated = 0;
  for await (const raw of rows) {
    total += 1;
    let row: unknown = raw;
    if (typeof raw === 'string') {
      try {
        row = JSON.parse(raw);
      } catch {
        row = null;
      }
    }
    const activity = typeof row === 'object' && row !== null ? (row as Record<string, unknown>) : null;
    const day = dayOf(activity?.created_at);
    let type = typeof activity?.type === 'string' ? clip(activity.type, 100) : NO_TYPE;
    if (type === '') type = NO_TYPE;
    if (!types.has(type) && types.size >= MAX_TYPES) type = OTHER_TYPES;
    types.set(type, (types.get(type) ?? 0) + 1);
    if (day === null) {
      undated += 1;
      continue;
    }
    let byType = days.get(day);
    if (byType === undefined) {
      byType = new Map();
      days.set(day, byType);
    }
    if (!byType.has(type) && cells >= MAX_CELLS) type = OTHER_TYPES;
    if (!byType.has(type)) cells += 1;
    byType.set(type, (byType.get(type) ?? 0) + 1);
  }
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const timelineDays: TimelineDay[] = [...days.entries()]
    .sort(([a], [b]) => byName(a, b))
    .map(([day, byType]) => ({
      day,
      total: [...byType.values()].reduce((s, n) => s + n, 0),
      byType: ranked(byType),
    }));
  return {
    days: timelineDays,
    total,
    undated,
    types: ranked(types),
  };
}

/** Most frequent first, ties in byte order of the name. */
function ranked(counts: ReadonlyMap<string, number>): { type: string; count: number }[] {
  return [...counts.entries()]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([type, count]) => ({ type, count }));
}
