/**
 * Before settling an incremental snapshot: a chat's listing does not change when something its
 * messages reference disappears with ANOTHER chat (a file shared by two chats is deleted with the
 * first when a user deletes it, compliance-api.md §4.3), yet its messages then read differently.
 * So every base chat that references a child this run found gone is fetched again, until none is
 * left (a refetch can drop references in turn). Costs one messages call per such chat.
 */
import type { Collected } from '../collect/index.js';
import { startPass } from '../collect/context.js';
import { forEachBounded } from '../collect/fan-out.js';
import { refetchHeldChat } from '../collect/kinds/chat-fetch.js';
import { currentRecords, type StagingStore } from '../store/index.js';
import type { StoredRecord } from '../store/types.js';
import { goneSincePrevious } from './snapshot-base.js';

/** Rounds at most: each round only follows references the previous one found gone. */
const MAX_ROUNDS = 4;

/** Refetches the base chats that reference a gone child; returns how many were fetched. */
export async function refreshSharers(
  store: StagingStore,
  collected: Collected,
  pass: number,
): Promise<number> {
  let fetched = 0;
  const done = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const gone = new Set(goneSincePrevious(store).map((b) => `${b.kind}:${b.id}`));
    if (gone.size === 0) break;
    const sharers: StoredRecord[] = [];
    for await (const record of currentRecords(store)) {
      if (record.kind !== 'chat' || record.heldBy === null || done.has(record.id)) continue;
      if (record.refs.some((ref) => gone.has(ref))) sharers.push(record);
    }
    if (sharers.length === 0) break;
    const ctx = startPass(collected.ctx, pass + round);
    await forEachBounded(
      sharers,
      async (record) => {
        done.add(record.id);
        await refetchHeldChat(ctx, record);
      },
      { concurrency: ctx.concurrency, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    fetched += sharers.length;
  }
  return fetched;
}
