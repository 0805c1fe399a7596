/** plan's disk readings: the real statfs on temp folders, a recording reader, staged bytes measured. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statfsFree, type FreeSpaceReader } from '../../src/disk/free-space.js';
import { readDisk } from '../../src/survey/read-disk.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'read-disk-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readDisk', () => {
  it('measures the state root and a local destination with the run’s reader, writing nothing', async () => {
    const root = join(dir, 'state-not-yet');
    const disk = await readDisk({
      read: statfsFree,
      stateRoot: root,
      state: { dir: join(root, 'job'), status: 'none' },
      destinationUri: `file://${join(dir, 'out')}`,
    });
    const real = await statfsFree(dir);
    expect([disk.state.path, disk.state.device, disk.state.total]).toEqual([root, real.device, real.total]);
    expect([disk.destination?.path, disk.destination?.device]).toEqual([join(dir, 'out'), real.device]);
    expect(disk.alreadyStaged).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it('asks nothing about an S3 destination', async () => {
    const asked: string[] = [];
    const read: FreeSpaceReader = async (path) => {
      asked.push(path);
      return { free: 5, total: 10, device: 1 };
    };
    const disk = await readDisk({
      read,
      stateRoot: '/var/lib/ce',
      state: { dir: '/var/lib/ce/job', status: 'none' },
      destinationUri: 's3://bucket/prefix',
    });
    expect(disk.destination).toBeNull();
    expect(asked).toEqual(['/var/lib/ce']);
  });

  it('counts the bytes of state a run would resume, and only that', async () => {
    const job = join(dir, 'st', 'job');
    await mkdir(join(job, 'blobs', 'ab'), { recursive: true });
    await writeFile(join(job, 'journal.jsonl'), 'x'.repeat(1000));
    await writeFile(join(job, 'blobs', 'ab', 'abcd'), Buffer.alloc(4096));
    const read: FreeSpaceReader = async () => ({ free: 1, total: 2, device: 3 });
    const input = { read, stateRoot: join(dir, 'st'), destinationUri: 's3://b' };
    const resumed = await readDisk({ ...input, state: { dir: job, status: 'same_spec' } });
    expect(resumed.alreadyStaged).toBe(5096);
    const other = await readDisk({ ...input, state: { dir: job, status: 'different_spec' } });
    expect(other.alreadyStaged).toBe(0);
  });

  it('keeps a failed reading as an error on it instead of failing the plan', async () => {
    const read: FreeSpaceReader = async (path) => {
      throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
    };
    const disk = await readDisk({
      read,
      stateRoot: '/locked',
      state: { dir: '/locked/job', status: 'none' },
      destinationUri: '/out',
    });
    expect([disk.state.free, disk.state.error]).toEqual([null, 'statfs /locked: EACCES']);
    expect(disk.destination?.error).toBe('statfs /out: EACCES');
  });
});
