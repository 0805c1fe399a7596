/** Small, locale-free formatting shared by README.txt and report.html (same input, same bytes). */
import type { ContentKind, TimeWindow } from '../../spec/types.js';

/** `1234567` → `1,234,567` (no locale: the output must not depend on the machine). */
export function formatCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/gu, ',');
}

/** Decimal units, as `Bag-Size` and bagit tools print them: `1.2 GB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${formatCount(bytes)} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** `3 documents` / `1 document`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A time window in words: `at or after 2026-01-01T00:00:00Z and before 2026-07-01T00:00:00Z`. */
export function describeWindow(w: TimeWindow | undefined): string | null {
  if (w === undefined) return null;
  const parts: string[] = [];
  if (w.gte !== undefined) parts.push(`at or after ${w.gte}`);
  if (w.gt !== undefined) parts.push(`after ${w.gt}`);
  if (w.lt !== undefined) parts.push(`before ${w.lt}`);
  if (w.lte !== undefined) parts.push(`at or before ${w.lte}`);
  return parts.length === 0 ? null : parts.join(' and ');
}

/** `all` or the list, at most `max` shown and the rest counted. */
export function describeList(value: 'all' | readonly string[], all: string, max: number): string {
  if (value === 'all') return all;
  const shown = value.slice(0, max).join(', ');
  return value.length > max ? `${shown} and ${value.length - max} more` : shown;
}

/** Content kinds in the words of the folders they fill. */
export const KIND_WORDS: Readonly<Record<ContentKind, string>> = {
  directory: 'directory (organizations, users, roles, groups, settings)',
  activities: 'activities (the audit trail)',
  chats: 'chats',
  files: 'files uploaded to chats',
  generated_files: 'files Claude generated',
  chat_artifacts: 'chat artifacts',
  projects: 'projects and their documents',
  code_artifacts: 'published code artifacts',
  sessions: 'Claude Code / Cowork sessions',
};
