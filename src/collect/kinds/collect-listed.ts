/**
 * The listing loop the listed kinds share (chats, projects, code artifacts): each of a pass's
 * walks from its checkpoint, every listed item handed to the kind with bounded fan-out. The
 * checkpoint only moves past items handled, never past one cut short by a fatal error (Ctrl-C,
 * a revoked key); a walk that loops or never ends becomes a `listing:<walk>` gap row, not a failed
 * run; the progress counters count each listed and handled entry once, and the kind's listing is
 * done when its last walk's listing ends.
 */
import type { RecordKind } from '../../store/index.js';
import { walkFailureGuard, type PassContext } from '../context.js';
import { forEachBounded } from '../fan-out.js';
import { trackedItems, WalkCheckpoint, type WalkItem } from '../walk-checkpoint.js';
import type { Listing } from './kind-module.js';

export async function collectListed<T>(
  ctx: PassContext,
  stage: string,
  kind: RecordKind,
  walks: readonly Listing<T>[],
  handle: (item: T, raw: string) => Promise<void>,
): Promise<void> {
  const counters = ctx.progress.stage(stage);
  for (const [index, walk] of walks.entries()) {
    const checkpoint = new WalkCheckpoint(ctx.store, walk.key);
    const resume = checkpoint.resume;
    if (resume.done) continue;
    const last = index === walks.length - 1;
    const pages = walk.pages(ctx.client, {
      ...(resume.from !== undefined ? { resumeFrom: resume.from } : {}),
      signal: ctx.signal,
    });
    await forEachBounded(
      trackedItems(pages, checkpoint, walkFailureGuard(ctx, stage, kind, walk.key), () => {
        if (last) counters.listingDone();
      }),
      async (listed: WalkItem<T>) => {
        counters.listed += 1;
        // The journal's records stay close behind the fetches: a kill loses little fetched work.
        await ctx.store.ready();
        // Not in a `finally`: a fatal error must not advance the checkpoint.
        await handle(listed.item, listed.raw);
        listed.finish();
        counters.handled += 1;
      },
      {
        concurrency: ctx.concurrency,
        readAhead: ctx.readAhead,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      },
    );
  }
  counters.listingDone();
}
