/**
 * What `plan` needs of an incremental snapshot's base: which listed states it already holds, so
 * the survey counts (and the estimate prices) only what the delta would fetch. Read-only: the
 * base's inventory is copied to a private temporary folder, read, and removed; the destination and
 * the state folder are left as they were.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ITEM_KINDS } from '../collect/index.js';
import type { Sink } from '../sink/sink.js';
import { REFETCH_SIGNALS } from './snapshot-base.js';
import { copyTagFile, findBase, readInventory } from './stored-archive.js';
import { INVENTORY_JSONL } from './types.js';

export interface BaseSignals {
  readonly runId: string;
  readonly asOfCut: string;
  /** Records the base holds (documents). */
  readonly records: number;
  /** Whether the base holds this listed state of an item (the run would not fetch it). */
  holds(kind: string, id: string, updatedAt: string | null, signals: string | null): boolean;
  /** How many `holds` answered yes. */
  readonly held: number;
}

const MAX_INVENTORY_BYTES = 4 * 1024 * 1024 * 1024;

/** The base at the destination, or null when there is none usable for this job and spec. */
export async function loadBaseSignals(
  sink: Sink,
  job: { readonly name: string; readonly specSha256: string; readonly overlapMs: number },
): Promise<BaseSignals | null> {
  const base = await findBase(sink, job.name);
  if (base === null) return null;
  const dir = await mkdtemp(join(tmpdir(), 'compliance-export-plan-'));
  try {
    const path = join(dir, 'inventory.jsonl');
    await copyTagFile(base, INVENTORY_JSONL, path, MAX_INVENTORY_BYTES);
    const states = new Map<string, string>();
    let runId = '';
    let asOfCut = '';
    for await (const line of readInventory(path)) {
      if (line.type === 'inventory') {
        if (line.name !== job.name || line.specSha256 !== job.specSha256) return null;
        ({ runId, asOfCut } = line);
        continue;
      }
      if (ITEM_KINDS[line.kind].role !== 'document') continue;
      const recent =
        line.updatedAt !== null && Date.parse(line.updatedAt) >= Date.parse(asOfCut) - job.overlapMs;
      const signals = recent ? REFETCH_SIGNALS : (line.signals ?? '');
      states.set(`${line.kind}\t${line.id}`, `${line.updatedAt ?? ''}\n${signals}`);
    }
    let held = 0;
    return {
      runId,
      asOfCut,
      records: states.size,
      holds(kind, id, updatedAt, signals) {
        const state = states.get(`${kind}\t${id}`);
        if (state === undefined) return false;
        const [at, had] = state.split('\n') as [string, string];
        // Versions are immutable: held when present. Others: the same updated_at and signals.
        const same = signals === null ? true : at === (updatedAt ?? '') && (had === '' || had === signals);
        if (same) held += 1;
        return same;
      },
      get held() {
        return held;
      },
    };
  } finally {
    await base.close();
    await rm(dir, { recursive: true, force: true });
  }
}
