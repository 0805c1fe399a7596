import { createHash } from 'node:crypto';
import type { RecordInput } from './types.js';

/** Hash that identifies a record's content: the file digest for one-file records. */
export function recordHash(input: Pick<RecordInput, 'files' | 'row'>): string {
  const files = input.files ?? [];
  if (input.row === undefined && files.length === 1 && files[0] !== undefined) return files[0].sha256;
  const h = createHash('sha256');
  if (input.row !== undefined) h.update(`row\n${input.row.json}\n`);
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    h.update(`file\n${f.path}\n${f.sha256}\n`);
  }
  return h.digest('hex');
}
