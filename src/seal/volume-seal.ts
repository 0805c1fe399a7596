/**
 * The seal side of archive volumes (`archive.max_volume_size`, src/archive/volume-plan.ts): the
 * plan for a staged payload, and one volume's bag sealed from the run's single-bag input (the same
 * reports and bag-info in every volume, only the payload differs).
 */
import type { PayloadFile, SortedBagInput } from '../archive/bag-input.js';
import { sealBag, type SealedBag } from '../archive/seal-bag.js';
import { planVolumes, type PlannedVolume, type VolumePlan } from '../archive/volume-plan.js';
import type { ArchiveRef } from '../sink/sink.js';
import { parseSize } from '../spec/units.js';
import type { StagedPayload } from './seal-step.js';

/**
 * The volumes this payload is split into; null when the spec sets no `max_volume_size` or the
 * whole payload fits in one (then the run writes its one bag as always).
 */
export async function planRunVolumes(payload: StagedPayload): Promise<VolumePlan | null> {
  const text = payload.spec.archive.max_volume_size;
  const limit = text === undefined ? undefined : parseSize(text);
  if (limit === undefined) return null;
  const files: { path: string; size: number; sha256: string }[] = [];
  for await (const f of payload.bag.files()) files.push({ path: f.path, size: f.size, sha256: f.sha256 });
  const items: string[][] = [];
  for await (const row of payload.items()) items.push([row.nativePath, row.textPath, row.recordPath]);
  const plan = planVolumes(files, items, limit);
  return plan.volumes.length > 1 ? plan : null;
}

export function volumeRefOf(ref: ArchiveRef, volume: PlannedVolume): ArchiveRef {
  return { name: ref.name, runId: ref.runId, volume: { index: volume.index, count: volume.count } };
}

/**
 * One volume's bag: the run's bag input narrowed to the volume's payload files, still in byte
 * order (the sealer checks the volume's count and bytes against what it streams).
 */
export function sealVolume(input: SortedBagInput, volume: PlannedVolume): SealedBag {
  const keep = new Set(volume.paths);
  const whole = input.payload;
  async function* files(): AsyncGenerator<PayloadFile> {
    for await (const f of whole.files()) if (keep.has(f.path)) yield f;
  }
  const payload = { fileCount: volume.paths.length, totalBytes: volume.bytes, files };
  return sealBag({ ...input, payload, volume: { index: volume.index, count: volume.count } });
}
