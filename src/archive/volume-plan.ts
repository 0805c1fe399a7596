/**
 * Archive volumes (`archive.max_volume_size`): which payload files go into which of several
 * complete bags. Pure: no I/O, the same inputs give the same plan.
 *
 * The unit of packing is a document's files, so no document is split across two volumes: the
 * paths an items row names (native, text, record) plus every file in the record's own folder
 * (`data/files/<id>/…`); rows naming a common path are one unit. Any other payload file (the
 * load file, a JSONL aggregate no row names) is a unit of its own. Units go in byte order of
 * their first path; a new volume starts when the next unit would pass the limit, and a unit
 * larger than the limit gets a volume to itself (reported in `oversized`).
 *
 * What counts against the limit is a file's payload bytes (uncompressed) plus its two manifest
 * lines: the limit bounds the bytes under `data/` of a volume and its manifests. The reports
 * every volume carries come on top (they are the same in each).
 */
import { createHash } from 'node:crypto';
import { manifestLine } from './bag-text.js';
import { byteOrder } from './byte-order.js';

export interface VolumeFile {
  /** Relative to the bag's `data/` folder, as in a PayloadFile. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface PlannedVolume {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
  /** Payload paths (relative to `data/`) in byte order. */
  readonly paths: readonly string[];
  readonly bytes: number;
  /** SHA-256 of the `manifest-sha256.txt` this volume's bag will hold. */
  readonly manifestSha256: string;
}

export interface OversizedUnit {
  /** The unit's first payload path (relative to `data/`). */
  readonly first: string;
  readonly files: number;
  readonly bytes: number;
  readonly volume: number;
}

export interface VolumePlan {
  readonly volumes: readonly PlannedVolume[];
  readonly oversized: readonly OversizedUnit[];
}

/** A file's weight: its bytes and its lines in manifest-sha256.txt and manifest-md5.txt. */
function weightOf(file: VolumeFile): number {
  const pathBytes = Buffer.byteLength(`data/${file.path}`);
  return file.size + (64 + 3 + pathBytes) + (32 + 3 + pathBytes);
}

/** `files/<id>/` for a path `data/files/<id>/<name>`; null when the path has no item folder. */
function folderOf(dataPath: string): string | null {
  const parts = dataPath.split('/');
  return parts.length >= 3 ? `${parts[0]}/${parts[1]}/` : null;
}

class Units {
  private readonly parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(u: number): number {
    let root = u;
    while (this.parent[root] !== root) root = this.parent[root] ?? root;
    let at = u;
    while (at !== root) {
      const next = this.parent[at] ?? root;
      this.parent[at] = root;
      at = next;
    }
    return root;
  }
  union(a: number, b: number): number {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[rb] = ra;
    return ra;
  }
}

/**
 * The volumes for `files`, grouped by `items` (each the bag-root paths one items row names:
 * `data/…`, empty strings ignored), at most `limit` bytes each. One volume (or none) when all fits.
 */
export function planVolumes(
  files: readonly VolumeFile[],
  items: Iterable<readonly string[]>,
  limit: number,
): VolumePlan {
  const units = new Units();
  const byPath = new Map<string, number>();
  const byFolder = new Map<string, number>();
  const claim = (map: Map<string, number>, key: string, unit: number): number => {
    const owner = map.get(key);
    const merged = owner === undefined ? unit : units.union(owner, unit);
    map.set(key, merged);
    return merged;
  };
  for (const paths of items) {
    let unit = units.add();
    for (const bagPath of paths) {
      if (!bagPath.startsWith('data/')) continue;
      const path = bagPath.slice('data/'.length);
      unit = claim(byPath, path, unit);
    }
    // The record's folder (a file's `metadata.json` beside its bytes) belongs to the item too.
    const record = paths[2];
    const folder = record?.startsWith('data/') === true ? folderOf(record.slice('data/'.length)) : null;
    if (folder !== null && record?.endsWith('/metadata.json') === true) claim(byFolder, folder, unit);
  }
  const grouped = new Map<number, VolumeFile[]>();
  for (const file of [...files].sort((a, b) => byteOrder(a.path, b.path))) {
    const folder = folderOf(file.path);
    const owner = byPath.get(file.path) ?? (folder === null ? undefined : byFolder.get(folder));
    const key = owner === undefined ? units.add() : units.find(owner);
    const list = grouped.get(key);
    if (list === undefined) grouped.set(key, [file]);
    else list.push(file);
  }
  // Each list is in byte order (files were sorted), so its first file is the unit's first path.
  const ordered = [...grouped.values()].sort((a, b) => byteOrder(a[0]?.path ?? '', b[0]?.path ?? ''));
  return pack(ordered, limit);
}

function pack(unitsInOrder: readonly (readonly VolumeFile[])[], limit: number): VolumePlan {
  const bins: { files: VolumeFile[]; weight: number }[] = [];
  const oversized: Omit<OversizedUnit, 'volume'>[] = [];
  const oversizedAt: number[] = [];
  let current: { files: VolumeFile[]; weight: number } | null = null;
  for (const unit of unitsInOrder) {
    const weight = unit.reduce((sum, f) => sum + weightOf(f), 0);
    if (weight > limit) {
      bins.push({ files: [...unit], weight });
      oversized.push({ first: unit[0]?.path ?? '', files: unit.length, bytes: weight });
      oversizedAt.push(bins.length);
      current = null;
      continue;
    }
    if (current === null || current.weight + weight > limit) {
      current = { files: [], weight: 0 };
      bins.push(current);
    }
    current.files.push(...unit);
    current.weight += weight;
  }
  const count = bins.length;
  const volumes = bins.map((bin, i): PlannedVolume => {
    const sorted = [...bin.files].sort((a, b) => byteOrder(a.path, b.path));
    const hash = createHash('sha256');
    for (const f of sorted) hash.update(manifestLine(f.sha256, `data/${f.path}`));
    return {
      index: i + 1,
      count,
      paths: sorted.map((f) => f.path),
      bytes: sorted.reduce((sum, f) => sum + f.size, 0),
      manifestSha256: hash.digest('hex'),
    };
  });
  return { volumes, oversized: oversized.map((o, i) => ({ ...o, volume: oversizedAt[i] ?? 0 })) };
}

/** `vol002-of-013`: zero-padded to at least three digits so names sort in volume order. */
export function volumeLabel(index: number, count: number): string {
  const width = Math.max(3, String(count).length);
  return `vol${String(index).padStart(width, '0')}-of-${String(count).padStart(width, '0')}`;
}
