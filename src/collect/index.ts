/**
 * The collect stage as the run uses it: resolve the scope, create the run's context with it,
 * pass 1, then quiescence. The content kinds themselves are in ./kinds.
 */
import type { ContentKind as IncludeValue } from '../spec/types.js';
import { KINDS } from './kinds/index.js';

export {
  collect,
  quiesceCollected,
  type Collected,
  type CollectRun,
  type CollectScope,
} from './collect-step.js';
export type { ProgressSink, ScopeTargets, StageCounters } from './context.js';
export type { QuiescenceResult, Sleep } from './quiesce.js';
export { ITEM_KINDS, type DatasetKind, type DocumentKind, type ItemKindRole } from './kinds/item-kinds.js';

/** JSONL aggregates the bag always has for these included kinds (even when empty), in kind order. */
export function requiredAggregates(include: readonly IncludeValue[]): string[] {
  return KINDS.filter((kind) => include.includes(kind.include)).flatMap((kind) => kind.aggregates ?? []);
}
