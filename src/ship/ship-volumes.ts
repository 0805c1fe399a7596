/**
 * Shipping a run split into volumes (`archive.max_volume_size`): each volume is a complete bag,
 * streamed through the same sink path as a single archive (`writeArchive`, sidecar, read-back,
 * independent verify), then summary.json and custody.jsonl once beside the set. A shipping intent
 * naming every volume's payload manifest is durable before the first byte; a rerun after a kill
 * adopts each volume already at the destination whose payload manifest is exactly the planned one
 * (adopt-archive.ts), writes the rest, and refuses (never overwrites) anything else there.
 */
import { readFile } from 'node:fs/promises';
import type { VolumePlan } from '../archive/volume-plan.js';
import { ExportError } from '../errors.js';
import type { SealedArchive, StagedPayload } from '../seal/seal-step.js';
import { sealVolume, volumeRefOf } from '../seal/volume-seal.js';
import { shipArchive } from '../sink/ship-archive.js';
import type { ReadBackResult } from '../sink/sink.js';
import type { VerifyReport } from '../verify/verify-archive.js';
import {
  adoptArchive,
  putBesideIfAbsent,
  refusal,
  shippingIntentOf,
  type ShippingIntent,
} from './adopt-archive.js';
import { adoptedLanded, landedPayloadOf, type Landed, type ShipRun } from './ship-step.js';
import {
  assertLanded,
  readBack,
  verifyLanded,
  type ShippedArchive,
  type ShippedVolume,
} from './verify-landed.js';

export interface VolumeShipRun extends ShipRun {
  readonly stderr: NodeJS.WritableStream;
}

/** Seals (once, lazily: not at all when every volume is adopted), ships, reads back and verifies every volume. */
export async function shipVolumes(
  run: VolumeShipRun,
  payload: StagedPayload,
  plan: VolumePlan,
  sealRun: () => Promise<SealedArchive>,
): Promise<ShippedArchive> {
  const { store, sink, custody } = run;
  // The whole payload's manifest hash (what one bag would seal) beside each volume's: the split is auditable.
  await custody.append('volumes', {
    count: plan.volumes.length,
    manifestSha256: payload.manifestSha256,
    volumes: plan.volumes.map((v) => ({
      files: v.paths.length,
      bytes: v.bytes,
      manifestSha256: v.manifestSha256,
    })),
  });
  for (const o of plan.oversized) {
    run.stderr.write(
      `compliance-export: warning: one document's files (${o.files}, from data/${o.first}) take ${o.bytes} bytes with their manifest lines, ` +
        `more than archive.max_volume_size; they fill volume ${o.volume} alone\n`,
    );
    await custody.append('volume_oversized', {
      first: `data/${o.first}`,
      files: o.files,
      bytes: o.bytes,
      volume: o.volume,
    });
  }
  const before = shippingIntentOf(store.meta('shipping'));
  const resumed = before !== null && before.runId === payload.ref.runId;
  const refs = plan.volumes.map((v) => volumeRefOf(payload.ref, v));
  const intent: ShippingIntent & { volumes: string[] } = {
    runId: payload.ref.runId,
    location: sink.locationOf(refs[0] ?? payload.ref),
    manifestSha256: payload.manifestSha256,
    at: run.now().toISOString(),
    volumes: plan.volumes.map((v) => v.manifestSha256),
  };
  store.setMeta('shipping', intent);
  await store.flush();
  await run.after('intent');
  let sealed: SealedArchive | null = null;
  const landed: Landed[] = [];
  for (const [i, volume] of plan.volumes.entries()) {
    const ref = refs[i] ?? payload.ref;
    const dest = payload.spec.destination;
    const adopted = resumed
      ? await adoptArchive({
          sink,
          ref,
          intent: before,
          manifestSha256: volume.manifestSha256,
          dest,
          custody,
          signal: run.signal,
        })
      : null;
    // Never the case for a run that did not start shipping: refuse it before sealing (never overwrite).
    const foreign = resumed ? null : await sink.digestStored(ref);
    if (foreign !== null) throw refusal(foreign.location, 'no shipping intent of this run names it');
    if (adopted !== null) {
      landed.push(adoptedLanded(landedPayloadOf(payload, ref), adopted));
      continue;
    }
    if (sealed === null) {
      sealed = await sealRun();
      sealed.bag.stream.destroy(); // the single bag is never read: each volume seals its own
    }
    const shipped = await shipArchive(sink, ref, sealVolume(sealed.input, volume));
    if (shipped.seal.manifestSha256 !== volume.manifestSha256) {
      throw new ExportError(
        'internal',
        `${shipped.written.location}: sealed payload manifest ${shipped.seal.manifestSha256} differs from the one planned (${volume.manifestSha256})`,
      );
    }
    const { written } = shipped;
    await custody.append('upload', {
      location: written.location,
      bytes: written.bytes,
      sha256: written.sha256,
      crc32: written.crc32,
      manifestSha256: volume.manifestSha256,
      volume: `${volume.index} of ${volume.count}`,
    });
    landed.push({ payload: landedPayloadOf(payload, ref), written, adopted: false, summary: sealed.summary });
    await run.after('upload');
  }
  return finishVolumes(run, landed, sealed?.summary ?? landed[0]?.summary ?? null);
}

/** summary.json beside the set, each volume read back and verified, the custody log beside, the record. */
async function finishVolumes(
  run: VolumeShipRun,
  landed: readonly Landed[],
  summary: string | Buffer | null,
): Promise<ShippedArchive> {
  const first = landed[0];
  if (first === undefined) throw new ExportError('internal', 'a volume set with no volume');
  const anyAdopted = landed.some((l) => l.adopted);
  // After an adoption a beside file may be there from the killed run: keep it (never overwrite).
  const putBeside = async (fileName: string, bytes: Uint8Array | string, type: string): Promise<void> => {
    if (anyAdopted) await putBesideIfAbsent(run.sink, first.payload.ref, fileName, bytes, type);
    else await run.sink.putBeside(first.payload.ref, fileName, bytes, type);
  };
  if (summary !== null) await putBeside('summary.json', summary, 'application/json');
  await run.after('summary');
  const checked: { landed: Landed; read: ReadBackResult; report: VerifyReport | null }[] = [];
  // A set is checked to its end even when the run is asked to stop: its rerun stages the payload
  // again to plan the set, and a gap it retried would change a volume already shipped.
  const toTheEnd = { ...run, signal: undefined };
  for (const l of landed) {
    const read = await readBack(toTheEnd, l);
    checked.push({ landed: l, read, report: await verifyLanded(toTheEnd, l, read) });
  }
  await putBeside('custody.jsonl', await readFile(run.custody.path), 'application/x-ndjson');
  await run.after('custody');
  return recordVolumes(run, checked);
}

/** Fails the run when any volume failed read-back or verify; otherwise records the set as shipped. */
async function recordVolumes(
  run: VolumeShipRun,
  checked: readonly { landed: Landed; read: ReadBackResult; report: VerifyReport | null }[],
): Promise<ShippedArchive> {
  const volumes: ShippedVolume[] = [];
  for (const { landed, read, report } of checked) {
    const { written } = landed;
    assertLanded(landed, read, report);
    volumes.push({
      location: written.location,
      sidecarLocation: written.sidecarLocation,
      zipSha256: written.sha256,
      zipBytes: written.bytes,
      payloadFiles: report?.facts.payloadFiles ?? 0,
      verified: report?.ok ?? false,
      adopted: landed.adopted,
    });
  }
  const [v1] = volumes;
  if (v1 === undefined) throw new ExportError('internal', 'a volume set with no volume');
  const result: ShippedArchive = {
    location: v1.location,
    sidecarLocation: v1.sidecarLocation,
    zipSha256: v1.zipSha256,
    zipBytes: volumes.reduce((sum, v) => sum + v.zipBytes, 0),
    payloadFiles: volumes.reduce((sum, v) => sum + v.payloadFiles, 0),
    readBackOk: true,
    verified: volumes.every((v) => v.verified),
    adopted: volumes.some((v) => v.adopted),
    volumes,
  };
  run.store.setMeta('shipped', result);
  await run.store.flush();
  return result;
}
