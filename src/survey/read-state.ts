/** What a run would find in its state folder, read without creating or locking anything. */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExportError } from '../errors.js';
import type { StateInfo } from '../plan/types.js';

export async function readStateInfo(
  stateDir: string,
  jobName: string,
  specSha256: string,
): Promise<StateInfo> {
  // Same layout as the staging store (src/store: `<state_dir>/<job name>/state.json`).
  const dir = join(resolve(stateDir), jobName);
  let text: string;
  try {
    text = await readFile(join(dir, 'state.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { dir, status: 'none' };
    throw new ExportError('store_corrupt', `${join(dir, 'state.json')}: unreadable state file`, {
      cause: error,
    });
  }
  let bound: unknown;
  try {
    bound = (JSON.parse(text) as { spec_sha256?: unknown }).spec_sha256;
  } catch (error) {
    throw new ExportError('store_corrupt', `${join(dir, 'state.json')}: not JSON`, { cause: error });
  }
  if (bound === specSha256) return { dir, status: 'same_spec' };
  // A binding with no journaled work behind it binds nothing (the store ignores it too).
  return { dir, status: (await journalSize(dir)) > 0 ? 'different_spec' : 'none' };
}

async function journalSize(dir: string): Promise<number> {
  try {
    return (await stat(join(dir, 'journal.jsonl'))).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
