/** "Did you mean" for misspelt keys and enum values. */

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i]!;
      const prev = d[i - 1]!;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      row[j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

const squash = (s: string): string => s.toLowerCase().replace(/[-_\s.]/g, '');

/**
 * The closest candidate, or undefined when nothing is close enough to be a plausible typo.
 * `baseUrl`, `base-url` and `BASE_URL` all match `base_url` outright.
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const target = squash(input);
  for (const c of candidates) {
    if (squash(c) === target) return c;
    const dist = editDistance(input.toLowerCase(), c.toLowerCase());
    const limit = Math.max(1, Math.min(3, Math.floor(c.length / 4)));
    if (dist <= limit && dist < bestScore) {
      best = c;
      bestScore = dist;
    }
  }
  return best;
}
