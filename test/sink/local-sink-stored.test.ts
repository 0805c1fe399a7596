/** LocalSink's reads of stored archives: listRuns keeps only complete runs, openStored opens one. */
import { copyFile, mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalSink } from '../../src/sink/local-sink.js';
import { isRunId } from '../../src/sink/sink.js';
import { NAME, sealRun } from '../snapshot/series-builder.js';

let dir: string;
let sink: LocalSink;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-stored-'));
  sink = new LocalSink(join(dir, 'out'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalSink.listRuns', () => {
  it('is [] for a destination that does not exist yet', async () => {
    expect(await sink.listRuns(NAME)).toEqual([]);
  });

  it('lists complete runs oldest first and ignores everything else in the job folder', async () => {
    const b = await sealRun(sink, '2026-11-23T00:00:00Z');
    const a = await sealRun(sink, '2026-11-22T00:00:00Z');
    const c = await sealRun(sink, '2026-11-24T00:00:00Z');
    const job = join(sink.root, NAME);
    const put = async (folder: string, withSidecar = true): Promise<void> => {
      await mkdir(join(job, folder), { recursive: true });
      await copyFile(a.written.location, join(job, folder, `${NAME}-${folder}.zip`));
      if (withSidecar)
        await copyFile(a.written.sidecarLocation, join(job, folder, `${NAME}-${folder}.zip.sha256`));
    };
    await put('not-a-run'); // not a run-id
    await put('20261399T000000Z'); // the pattern, but month 13
    await put('20261125T000000Z', false); // zip without its sidecar
    await put('20261126T000000Z.bak'); // run-id plus a suffix
    // zip and sidecar as symlinks to a real archive: not what this sink stored
    await mkdir(join(job, '20261127T000000Z'));
    await symlink(a.written.location, join(job, '20261127T000000Z', `${NAME}-20261127T000000Z.zip`));
    await symlink(
      a.written.sidecarLocation,
      join(job, '20261127T000000Z', `${NAME}-20261127T000000Z.zip.sha256`),
    );
    // a run folder that is a symlink to a real run folder
    await symlink(join(job, a.runId), join(job, '20261128T000000Z'));
    await writeFile(join(job, '20261129T000000Z'), 'a file, not a folder');
    expect(await sink.listRuns(NAME)).toEqual([a.runId, b.runId, c.runId]);
  });

  it('drops a run once its sidecar is gone', async () => {
    const a = await sealRun(sink, '2026-11-22T00:00:00Z');
    const b = await sealRun(sink, '2026-11-23T00:00:00Z');
    await unlink(b.written.sidecarLocation);
    expect(await sink.listRuns(NAME)).toEqual([a.runId]);
  });

  it('refuses a job name that would leave the destination', async () => {
    await expect(sink.listRuns('..')).rejects.toMatchObject({ code: 'usage' });
    await expect(sink.listRuns('a/b')).rejects.toMatchObject({ code: 'usage' });
  });
});

describe('LocalSink.openStored', () => {
  it('opens the stored zip: its one folder and its files', async () => {
    const a = await sealRun(sink, '2026-11-22T00:00:00Z', ['c1']);
    const source = await sink.openStored({ name: NAME, runId: a.runId });
    expect(source?.folder).toBe(`${NAME}-${a.runId}`);
    expect(source?.problems).toEqual([]);
    expect(source?.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['bag-info.txt', 'data/chats/c1.json', 'reports/inventory.jsonl']),
    );
    await source?.close();
  });

  it('is null when the archive is absent, and refuses a symlink in its place', async () => {
    const a = await sealRun(sink, '2026-11-22T00:00:00Z');
    expect(await sink.openStored({ name: NAME, runId: '20261123T000000Z' })).toBeNull();
    await mkdir(join(sink.root, NAME, '20261124T000000Z'));
    await symlink(
      a.written.location,
      join(sink.root, NAME, '20261124T000000Z', `${NAME}-20261124T000000Z.zip`),
    );
    await expect(sink.openStored({ name: NAME, runId: '20261124T000000Z' })).rejects.toMatchObject({
      code: 'destination_unreachable',
    });
    expect(await sink.lockOf({ name: NAME, runId: a.runId })).toBeNull();
  });
});

describe('isRunId', () => {
  it('takes a real UTC second only', () => {
    expect(isRunId('20261122T101300Z')).toBe(true);
    expect(isRunId('20240229T235959Z')).toBe(true);
    expect(isRunId('20250229T000000Z')).toBe(false);
    expect(isRunId('20261122T246000Z')).toBe(false);
    expect(isRunId('20261122T101300Z/..')).toBe(false);
    expect(isRunId('2026112T101300Z')).toBe(false);
  });
});
