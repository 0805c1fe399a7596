import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealBag } from '../../src/archive/seal-bag.js';
import { HOST_TAG } from '../../src/local-files.js';
import { createSink } from '../../src/sink/create-sink.js';
import { LocalSink } from '../../src/sink/local-sink.js';
import { shipArchive } from '../../src/sink/ship-archive.js';
import { bagInput, payloadFile, sampleFiles } from '../archive/fixtures.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'local-sink-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});
const ref = { name: 'legal-hold', runId: '20261122T101300Z' };

describe('LocalSink', () => {
  it('writes <root>/<name>/<run-id>/<zip> + sha256sum sidecar, no temp files left, and reads back', async () => {
    const sink = createSink({ uri: `file://${root}` });
    expect(sink).toBeInstanceOf(LocalSink);
    await sink.preflight(ref);
    const { seal, written } = await shipArchive(sink, ref, sealBag(bagInput(sampleFiles())));
    const folder = join(root, 'legal-hold', '20261122T101300Z');
    expect(written.location).toBe(join(folder, 'legal-hold-20261122T101300Z.zip'));
    const zip = await readFile(written.location);
    expect(zip.length).toBe(seal.zipBytes);
    expect(createHash('sha256').update(zip).digest('hex')).toBe(written.sha256);
    expect(await readFile(`${written.location}.sha256`, 'utf8')).toBe(
      `${written.sha256}  legal-hold-20261122T101300Z.zip\n`,
    );
    await sink.putBeside(ref, 'summary.json', '{}\n', 'application/json');
    expect((await readdir(folder)).sort()).toEqual([
      'legal-hold-20261122T101300Z.zip',
      'legal-hold-20261122T101300Z.zip.sha256',
      'summary.json',
    ]);
    expect(await sink.readBack(ref, written)).toMatchObject({ ok: true, method: 'bytes', problems: [] });
  });

  it('never overwrites: preflight, write and beside files all refuse an existing name', async () => {
    const sink = new LocalSink(root);
    await sink.writeArchive(ref, Readable.from([Buffer.from('zip bytes')]));
    await expect(sink.preflight(ref)).rejects.toMatchObject({ code: 'destination_exists' });
    await expect(sink.writeArchive(ref, Readable.from([Buffer.from('other')]))).rejects.toMatchObject({
      code: 'destination_exists',
    });
    await sink.putBeside(ref, 'summary.json', '{}', 'application/json');
    await expect(sink.putBeside(ref, 'summary.json', '{"x":1}', 'application/json')).rejects.toMatchObject({
      code: 'destination_exists',
    });
    expect(await readFile(sink.locationOf(ref), 'utf8')).toBe('zip bytes');
  });

  it('leaves nothing behind when the seal fails mid-stream', async () => {
    const sink = new LocalSink(root);
    const sealed = sealBag({
      ...bagInput({}),
      payload: async function* () {
        yield { ...payloadFile('a.txt', 'abc'), size: 9 };
      },
    });
    await expect(shipArchive(sink, ref, sealed)).rejects.toMatchObject({ code: 'archive_error' });
    expect(await readdir(join(root, 'legal-hold', '20261122T101300Z'))).toEqual([]);
  });

  it('detects a stored file changed after writing', async () => {
    const sink = new LocalSink(root);
    const written = await sink.writeArchive(ref, Readable.from([Buffer.from('zip bytes')]));
    await rm(written.location, { force: true });
    await writeFile(written.location, 'zip bytez');
    const result = await sink.readBack(ref, written);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatch(/^sha256:/u);
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
