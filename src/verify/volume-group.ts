/**
 * A set of archive volumes (several complete bags of one run, `<name>-<run-id>.vol002-of-003.zip`,
 * bag-info `Bag-Count: 2 of 3` and `Bag-Group-Identifier: <name>-<run-id>`, RFC 8493 §2.2.2):
 * verifying one volume also finds its siblings beside it (same folder or S3 prefix) and verifies
 * each, naming a missing one by its expected file name. Independent of the writer: the naming is
 * read from the bag, not imported from the sealer.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { VerifyProblem } from './bag-source.js';
import { bagCountOf, volumeLabelOf } from './bag-count.js';
import { verifyArchive, type VerifyOptions, type VerifyReport } from './verify-archive.js';

export interface VolumeSetReport {
  readonly ok: boolean;
  /** The reports of the volumes found, the one asked for first. */
  readonly volumes: readonly VerifyReport[];
  /** Set-level problems: a missing volume (`volume_missing`), a sibling of another set. */
  readonly problems: readonly VerifyProblem[];
}

/**
 * Verifies `target` and, when its bag-info says it is one of N > 1 volumes of a zip (local or
 * S3), every sibling volume beside it. A directory (an extracted bag) is checked alone.
 */
export async function verifyVolumeSet(target: string, options: VerifyOptions = {}): Promise<VolumeSetReport> {
  const first = await verifyArchive(target, options);
  const count = bagCountOf(first.facts.bagInfo);
  const group = first.facts.bagInfo['Bag-Group-Identifier'];
  const label = count === null ? null : volumeLabelOf(count);
  const name = target.startsWith('s3://') ? target.slice(target.lastIndexOf('/') + 1) : basename(target);
  if (count === null || label === null || first.kind === 'dir' || !name.endsWith(`.${label}.zip`))
    return { ok: first.ok, volumes: [first], problems: [] };
  const stem = name.slice(0, name.length - `.${label}.zip`.length);
  const volumes: VerifyReport[] = [first];
  const problems: VerifyProblem[] = [];
  for (let index = 1; index <= count.count; index += 1) {
    if (index === count.index) continue;
    const siblingName = `${stem}.${volumeLabelOf({ index, count: count.count })}.zip`;
    const sibling = siblingOf(target, siblingName);
    const report = await verifySibling(sibling, options, problems);
    if (report === null) continue;
    volumes.push(report);
    const theirs = bagCountOf(report.facts.bagInfo);
    if (
      report.facts.bagInfo['Bag-Group-Identifier'] !== group ||
      theirs?.index !== index ||
      theirs.count !== count.count
    ) {
      problems.push({
        code: 'bag_info',
        path: sibling,
        message: `says Bag-Group-Identifier ${report.facts.bagInfo['Bag-Group-Identifier'] ?? '-'} and Bag-Count ${report.facts.bagInfo['Bag-Count'] ?? '-'}, expected ${group ?? '-'} and ${index} of ${count.count}`,
      });
    }
  }
  return { ok: problems.length === 0 && volumes.every((v) => v.ok), volumes, problems };
}

function siblingOf(target: string, fileName: string): string {
  if (target.startsWith('s3://')) return `${target.slice(0, target.lastIndexOf('/') + 1)}${fileName}`;
  return join(dirname(target), fileName);
}

/** The sibling's report; null (and a `volume_missing` or `unreadable` problem) when it cannot be opened. */
async function verifySibling(
  sibling: string,
  options: VerifyOptions,
  problems: VerifyProblem[],
): Promise<VerifyReport | null> {
  if (!sibling.startsWith('s3://')) {
    const exists = await stat(sibling).then(
      () => true,
      () => false,
    );
    if (!exists) {
      problems.push({
        code: 'volume_missing',
        path: sibling,
        message: 'this volume of the set is not there',
      });
      return null;
    }
  }
  try {
    return await verifyArchive(sibling, options);
  } catch (error) {
    const cause = (error as { cause?: { $metadata?: { httpStatusCode?: number } } }).cause;
    const status = cause?.$metadata?.httpStatusCode;
    // S3 answers 403 for a missing key when the reader may not list the bucket.
    if (status === 404 || status === 403)
      problems.push({
        code: 'volume_missing',
        path: sibling,
        message: `this volume of the set is not there (HTTP ${status})`,
      });
    else problems.push({ code: 'unreadable', path: sibling, message: (error as Error).message });
    return null;
  }
}
