import type { ProgressSink, StageCounters } from '../../src/collect/context.js';

/** A progress sink that only keeps the counters, so tests can read them back per stage. */
export function countingProgress(counters = new Map<string, StageCounters>()): ProgressSink {
  return {
    stage: (name) => {
      let c = counters.get(name);
      if (c === undefined)
        counters.set(name, (c = { listed: 0, fetched: 0, skipped: 0, gaps: 0, total: null }));
      return c;
    },
  };
}
