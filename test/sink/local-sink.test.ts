/** What only the local sink does; what every sink does is in sink-contract.ts. */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOST_TAG } from '../../src/local-files.js';
import { LocalSink } from '../../src/sink/local-sink.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'local-sink-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});
const ref = { name: 'legal-hold', runId: '20261122T101300Z' };

describe('LocalSink', () => {
  it('inspect creates nothing and names the nearest folder that exists', async () => {
    const sink = new LocalSink(join(root, 'exports', 'legal'));
    expect((await sink.inspect()).map((c) => c.detail)).toEqual([
      `${root} is writable (${join(root, 'exports', 'legal')} would be created)`,
    ]);
    expect(await readdir(root)).toEqual([]);
  });

  it('preflight removes dead writers’ temp files and empty earlier run folders of the job, nothing else', async () => {
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    const job = join(root, 'legal-hold');
    const current = join(job, ref.runId);
    const temp = (owner: string): string => `.legal-hold-x.zip.${owner}-0a0b0c0d.partial`;
    const files: Record<string, string> = {
      [join(current, temp(`${HOST_TAG}-${dead}-deadbeef`))]: 'removed: its writer is dead',
      [join(current, temp(`${HOST_TAG}-${process.pid}-00000000`))]:
        'removed: an earlier process with our pid',
      [join(current, temp(`${HOST_TAG}-${process.ppid}-feedface`))]: 'kept: its writer is alive',
      [join(current, temp(`${HOST_TAG === 'ffffffff' ? 'fffffffe' : 'ffffffff'}-${dead}-deadbeef`))]:
        'kept: written on another host',
      [join(current, '.0123456789ab.partial')]: 'kept: no owner in the name',
      [join(job, '20261102T000000Z', temp(`${HOST_TAG}-${dead}-deadbeef`))]: 'removed, then its folder',
      [join(job, '20261103T000000Z', 'legal-hold-20261103T000000Z.zip')]: 'kept, and its folder',
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    }
    for (const empty of [
      join(job, '20261101T000000Z'),
      join(job, 'notes'),
      join(root, 'other-job', '20261101T000000Z'),
    ])
      await mkdir(empty, { recursive: true });

    await new LocalSink(root).preflight(ref);
    const left = async (dir: string): Promise<string[]> =>
      (await readdir(dir, { recursive: true })).map((p) => p.toString()).sort();
    expect(await left(job)).toEqual(
      [
        '20261103T000000Z',
        join('20261103T000000Z', 'legal-hold-20261103T000000Z.zip'),
        ref.runId,
        ...Object.keys(files)
          .filter((p) => p.startsWith(current) && files[p]!.startsWith('kept'))
          .map((p) => join(ref.runId, p.slice(current.length + 1))),
        'notes',
      ].sort(),
    );
    expect(await left(join(root, 'other-job'))).toEqual(['20261101T000000Z']);
  });
});
