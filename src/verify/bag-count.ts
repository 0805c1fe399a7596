/** `Bag-Count` (RFC 8493 §2.2.2) as a volume of a set reads it, and the volume label its names carry. */
export interface BagCount {
  readonly index: number;
  readonly count: number;
}

/** `Bag-Count: i of N` when the bag is one of a set of more than one (null otherwise). */
export function bagCountOf(
  bagInfo: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): BagCount | null {
  const text: string | undefined = isMap(bagInfo) ? bagInfo.get('Bag-Count') : bagInfo['Bag-Count'];
  const m = /^([0-9]{1,6}) of ([0-9]{1,6})$/u.exec(text?.trim() ?? '');
  if (m === null) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count > 1 && index >= 1 && index <= count ? { index, count } : null;
}

/** `vol002-of-013`: at least three digits, as the sealer names volumes. */
export function volumeLabelOf(c: BagCount): string {
  const width = Math.max(3, String(c.count).length);
  return `vol${String(c.index).padStart(width, '0')}-of-${String(c.count).padStart(width, '0')}`;
}

function isMap(
  value: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): value is ReadonlyMap<string, string> {
  return value instanceof Map;
}
