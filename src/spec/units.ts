/** Durations (`90s`, `1h30m`) and sizes (`64MiB`) as written in a job spec. */

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** Milliseconds, or undefined when the text is not a duration (the schema pattern, repeated). */
export function parseDuration(text: string): number | undefined {
  if (!/^(?:[0-9]+(?:ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) {
    total += Number(m[1]) * (DURATION_UNITS_MS[m[2] ?? ''] ?? NaN);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Bytes, or undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^([0-9]+)(B|KiB|MiB|GiB|KB|MB|GB)$/.exec(text);
  if (m === null) return undefined;
  const total = Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] ?? NaN);
  return Number.isSafeInteger(total) ? total : undefined;
}

/** `90000` → `1m30s`, for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
