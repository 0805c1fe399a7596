import type { TimeWindow } from './types.js';

/**
 * Whether a record timestamp falls inside a spec window (`gte`/`gt`/`lt`/`lte`, all AND-ed).
 * A record with no timestamp never matches a window, as the API's own filters behave (§4.2).
 */
export function inWindow(ts: string | null | undefined, w: TimeWindow | undefined): boolean {
  if (w === undefined) return true;
  if (ts === null || ts === undefined) return false;
  const t = Date.parse(ts);
  if (w.gte !== undefined && t < Date.parse(w.gte)) return false;
  if (w.gt !== undefined && t <= Date.parse(w.gt)) return false;
  if (w.lt !== undefined && t >= Date.parse(w.lt)) return false;
  if (w.lte !== undefined && t > Date.parse(w.lte)) return false;
  return true;
}
