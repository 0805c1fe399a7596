/**
 * An item index over a real journal file: each `put` appends the item's line (a record line, or
 * an `excluded` line for an item left out) through a JournalWriter and sets the index to it, as
 * the staging store does. `gate()` holds the writer's next write (its pre-sync step blocks) so
 * lines stay appended but not yet in the file.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ItemIndex, type ItemIndexOptions } from '../../src/store/item-index.js';
import { JournalWriter } from '../../src/store/journal.js';
import type { IndexEntry } from '../../src/store/types.js';

export const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface Fields {
  readonly updatedAt?: string | null;
  readonly hash?: string;
  readonly signals?: string;
  readonly heldBy?: string;
  /** Left out (created after the cut): an `excluded` line, offset -1 in the entry. */
  readonly excluded?: boolean;
}

export interface Harness {
  readonly index: ItemIndex;
  readonly writer: JournalWriter;
  readonly path: string;
  /** Appends the item's line and sets the index; returns the entry `get` must give back. */
  put(kind: string, id: string, fields?: Fields): IndexEntry;
  /** Holds the writer's next write until the returned function is called. */
  gate(): () => void;
  close(): Promise<void>;
}

export async function indexHarness(
  dir: string,
  options: Omit<ItemIndexOptions, 'journalPath' | 'written'> = {},
): Promise<Harness> {
  const path = join(dir, 'journal.jsonl');
  let held: Promise<void> | null = null;
  let release: (() => void) | null = null;
  const writer = await JournalWriter.open(path, {
    batchLines: 100_000,
    batchMs: 60_000,
    beforeSync: async () => {
      if (held !== null) await held;
    },
  });
  const index = new ItemIndex({ ...options, journalPath: path, written: () => writer.written });
  return {
    index,
    writer,
    path,
    put(kind, id, fields = {}) {
      const updatedAt = fields.updatedAt === undefined ? '2026-01-01T00:00:00Z' : fields.updatedAt;
      const hash = fields.hash ?? sha(`${kind}/${id}/${String(updatedAt)}`);
      const optional = {
        ...(fields.signals !== undefined ? { signals: fields.signals } : {}),
        ...(fields.heldBy !== undefined ? { heldBy: fields.heldBy } : {}),
      };
      const line =
        fields.excluded === true
          ? { type: 'excluded', kind, id, updatedAt, hash, pass: 1 }
          : { type: 'record', kind, id, updatedAt, hash, ...optional, endpoint: '/e', pass: 1, at: 'now' };
      const at = writer.append(line);
      const entry: IndexEntry =
        fields.excluded === true
          ? { offset: -1, updatedAt, hash }
          : { offset: at.offset, updatedAt, hash, ...optional };
      index.set(kind, id, entry, at);
      return entry;
    },
    gate() {
      held = new Promise<void>((resolve) => (release = resolve));
      return () => {
        held = null;
        release?.();
      };
    },
    async close() {
      held = null; // a failed test may leave a write held
      release?.();
      await writer.close();
      index.close();
    },
  };
}
