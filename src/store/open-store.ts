/** Opening a job's staging store: spec binding, crash recovery (torn journal tail), index rebuild. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExportError } from '../errors.js';
import { scanJournal } from './journal.js';
import { StagingStore, type OpenStoreOptions } from './staging-store.js';

interface StateFile {
  readonly format: 1;
  readonly job: string;
  readonly spec_sha256: string;
  readonly created_at: string;
}

/**
 * Open (or create) the staging store of a job. State written under a different spec is refused
 * (`spec_state_mismatch`, exit 2) unless `force`, which sets the old journal aside and starts a
 * fresh one (blobs are content-addressed and stay shared).
 */
export async function openStore(options: OpenStoreOptions): Promise<StagingStore> {
  const now = options.now ?? (() => new Date());
  const dir = join(options.stateDir, options.jobName);
  await mkdir(dir, { recursive: true });
  const statePath = join(dir, 'state.json');
  const store = new StagingStore(dir, now);
  let state: StateFile | null = null;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as StateFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ExportError('store_corrupt', `${statePath}: unreadable state file`, { cause: error });
    }
  }
  if (state !== null && state.spec_sha256 !== options.specSha256) {
    if (options.force !== true) {
      throw new ExportError(
        'spec_state_mismatch',
        `${dir} holds state from a different job spec (sha256 ${state.spec_sha256.slice(0, 12)}…, ` +
          `this spec ${options.specSha256.slice(0, 12)}…); use a different --state-dir, or --force to start over`,
      );
    }
    const stamp = now().toISOString().replace(/[:.]/g, '');
    await rename(store.journalPath, join(dir, `journal.replaced-${stamp}.jsonl`)).catch(() => undefined);
    state = null;
  }
  if (state === null) {
    const fresh: StateFile = {
      format: 1,
      job: options.jobName,
      spec_sha256: options.specSha256,
      created_at: now().toISOString(),
    };
    await writeFile(`${statePath}.tmp`, `${JSON.stringify(fresh, null, 2)}\n`);
    await rename(`${statePath}.tmp`, statePath);
  }
  await store.blobs.init();
  let lines = 0;
  const scan = await scanJournal(store.journalPath, ({ offset, length, value }) => {
    lines += 1;
    if (typeof value !== 'object' || value === null) {
      throw new ExportError('store_corrupt', `${store.journalPath}: bad journal line at byte ${offset}`);
    }
    store.replay(offset, length, value as Record<string, unknown>);
  });
  store.tornBytes = scan.tornBytes;
  store.resumed = lines > 0;
  await store.attach(options);
  return store;
}
