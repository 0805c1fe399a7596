/**
 * A rerun of the same job retries the gaps that said "a rerun may help" (`retryable`). Those items
 * sit behind walk checkpoints the earlier run already passed, so each kind fetches them again by
 * id (chats through their messages; files, generated files, artifact versions and project
 * documents through their own endpoints; code-artifact versions by artifact and version id), or
 * lists its kind again where nothing fetches by id (sessions). Success clears the gap (the store
 * drops an exception when the item is stored); a new failure records it again.
 */
import type { ExceptionEntry } from '../store/index.js';
import type { PassContext } from './context.js';
import { KINDS, type GapRetry } from './kinds/index.js';

/** Retry the retryable gaps of every kind; returns how many gaps were taken up. */
export async function retryGaps(ctx: PassContext): Promise<number> {
  const owners = new Map<string, GapRetry>();
  for (const kind of KINDS)
    for (const k of kind.retry?.kinds ?? []) if (kind.retry) owners.set(k, kind.retry);
  const gaps = ctx.store.exceptions().filter((e) => e.retryable && owners.has(e.kind));
  // One at a time in the order they were recorded, then each batch kind with all of its gaps.
  for (const gap of gaps) {
    const owner = owners.get(gap.kind)!;
    if (owner.mode === 'each') await owner.run(ctx, [gap]);
  }
  for (const kind of KINDS) {
    const retry = kind.retry;
    if (retry?.mode !== 'all') continue;
    const mine: ExceptionEntry[] = gaps.filter((g) => retry.kinds.includes(g.kind));
    await retry.run(ctx, mine);
  }
  return gaps.length;
}
