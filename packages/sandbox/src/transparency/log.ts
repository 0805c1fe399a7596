/**
 * One organization's Access Transparency log: the leaf entries of its logged events in index
 * order, each appended when its event happened. The tree at time t holds every leaf whose event
 * happened by t, so with a virtual clock the log grows exactly as the test moves time, and
 * checkpoints of different sizes can be related by consistency proofs.
 */
import type { Activity } from '../model.js';
import { LEAF_INDEX_FIELD, TRANSPARENCY_TYPES, leafEntry } from './leaf.js';
import { consistencyProof, inclusionProof, leafHash, rootHash } from './merkle.js';
import { checkpointBody, originFor, type LogSigner } from './note.js';

export class TransparencyLog {
  readonly orgUuid: string;
  readonly origin: string;
  private readonly times: number[];
  private readonly leaves: Buffer[];
  private readonly signer: LogSigner;
  private readonly notes = new Map<number, string>();

  constructor(orgUuid: string, entries: { createdAt: number; entry: Buffer }[], signer: LogSigner) {
    this.orgUuid = orgUuid;
    this.origin = originFor(orgUuid);
    this.times = entries.map((e) => e.createdAt);
    this.leaves = entries.map((e) => leafHash(e.entry));
    this.signer = signer;
  }

  /** Leaves appended by `now` (events are appended in time order). */
  sizeAt(now: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] ?? Infinity) <= now) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The signed checkpoint for the first `size` leaves (memoized: the note is a pure function of size). */
  checkpoint(size: number): string {
    let note = this.notes.get(size);
    if (note === undefined) {
      note = this.signer.sign(checkpointBody(this.origin, size, rootHash(this.leaves, size)), this.origin);
      this.notes.set(size, note);
    }
    return note;
  }

  inclusion(index: number, size: number): Buffer[] {
    return inclusionProof(this.leaves, index, size);
  }

  consistency(from: number, size: number): Buffer[] {
    return consistencyProof(this.leaves, from, size);
  }
}

/**
 * The logs of every enrolled organization, from the world's Access Transparency events as served
 * (`served` is the feed's own projection, so a leaf always matches the bytes a client reads).
 */
export function buildTransparencyLogs(
  activities: readonly Activity[],
  served: (a: Activity) => Record<string, unknown>,
  signer: LogSigner,
): Map<string, TransparencyLog> {
  const byOrg = new Map<string, { index: number; createdAt: number; entry: Buffer }[]>();
  for (const a of activities) {
    const index = a.fields[LEAF_INDEX_FIELD];
    if (!TRANSPARENCY_TYPES.includes(a.type) || typeof index !== 'number' || a.orgUuid === null) continue;
    const list = byOrg.get(a.orgUuid) ?? [];
    list.push({ index, createdAt: a.createdAt, entry: leafEntry(served(a)) });
    byOrg.set(a.orgUuid, list);
  }
  const logs = new Map<string, TransparencyLog>();
  for (const [org, list] of byOrg) {
    list.sort((x, y) => x.index - y.index);
    list.forEach((l, i) => {
      const prev = list[i - 1];
      if (l.index !== i || (prev !== undefined && prev.createdAt > l.createdAt)) {
        throw new Error(`transparency log of ${org}: leaf ${l.index} is out of order`);
      }
    });
    logs.set(org, new TransparencyLog(org, list, signer));
  }
  return logs;
}
