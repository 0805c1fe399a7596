/**
 * Stored archives of a snapshot series on a real local sink, sealed by the project's sealer:
 * opening one, copying its inventory out against the tag manifest, finding the base, locating an
 * archive from a path or URI.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalSink } from '../../src/sink/local-sink.js';
import { S3Sink } from '../../src/sink/s3-sink.js';
import {
  copyTagFile,
  findBase,
  findBaseReporting,
  locateArchive,
  openStoredArchive,
} from '../../src/snapshot/stored-archive.js';
import { INVENTORY_JSONL } from '../../src/snapshot/types.js';
import { NAME, replaceEntry, sealRun, sha256 } from './series-builder.js';

let dir: string;
let sink: LocalSink;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stored-archive-'));
  sink = new LocalSink(join(dir, 'out'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Puts a copy of `zip` (and a sidecar) where run `runId` would be. */
async function plant(runId: string, zip: Buffer | string): Promise<string> {
  const folder = join(sink.root, NAME, runId);
  await mkdir(folder, { recursive: true });
  const path = join(folder, `${NAME}-${runId}.zip`);
  if (typeof zip === 'string') await copyFile(zip, path);
  else await writeFile(path, zip);
  await writeFile(`${path}.sha256`, `${'0'.repeat(64)}  ${NAME}-${runId}.zip\n`);
  return path;
}

describe('openStoredArchive', () => {
  it('opens a stored archive and parses its bag-info', async () => {
    const a = await sealRun(sink, '2026-11-22T10:13:00Z');
    const archive = await openStoredArchive(sink, { name: NAME, runId: a.runId });
    expect(archive?.location).toBe(a.written.location);
    expect(archive?.bagInfo.get('External-Identifier')).toBe(NAME);
    expect(archive?.bagInfo.get('Payload-Oxum')).toBe('16.2');
    await archive?.close();
    expect(await openStoredArchive(sink, { name: NAME, runId: '20261123T000000Z' })).toBeNull();
  });

  it('refuses an archive whose top folder is another run (a copy in the wrong place)', async () => {
    const a = await sealRun(sink, '2026-11-22T10:13:00Z');
    const planted = await plant('20261123T000000Z', a.written.location);
    const opening = openStoredArchive(sink, { name: NAME, runId: '20261123T000000Z' });
    await expect(opening).rejects.toMatchObject({ code: 'chain_broken' });
    await expect(opening).rejects.toThrow(planted);
  });

  it('refuses a zip that is garbage, naming its location', async () => {
    const planted = await plant('20261123T000000Z', Buffer.from('PK\x03\x04 not really a zip'));
    const opening = openStoredArchive(sink, { name: NAME, runId: '20261123T000000Z' });
    await expect(opening).rejects.toMatchObject({ code: 'chain_broken' });
    await expect(opening).rejects.toThrow(planted);
  });
});

describe('copyTagFile', () => {
  it('copies the inventory 0600 whatever the umask, with the hash the tag manifest gives', async () => {
    const a = await sealRun(sink, '2026-11-22T10:13:00Z');
    const archive = (await openStoredArchive(sink, { name: NAME, runId: a.runId }))!;
    const to = join(dir, 'inventory.jsonl');
    const old = process.umask(0);
    let copied;
    try {
      copied = await copyTagFile(archive, INVENTORY_JSONL, to, 1 << 20);
    } finally {
      process.umask(old);
      await archive.close();
    }
    expect(copied).toEqual({ sha256: sha256(a.inventory!), size: a.inventory!.length });
    expect(await readFile(to, 'utf8')).toBe(a.inventory);
    expect((await stat(to)).mode & 0o777).toBe(0o600);
  });

  it('refuses an inventory that differs from its tag-manifest line and leaves no copy', async () => {
    const a = await sealRun(sink, '2026-11-22T10:13:00Z');
    const forged = a.inventory!.replace('"c2"', '"c9"');
    replaceEntry(a.written.location, INVENTORY_JSONL, forged);
    const archive = (await openStoredArchive(sink, { name: NAME, runId: a.runId }))!;
    const to = join(dir, 'inventory.jsonl');
    const copying = copyTagFile(archive, INVENTORY_JSONL, to, 1 << 20);
    await expect(copying).rejects.toMatchObject({ code: 'chain_broken' });
    await expect(copying).rejects.toThrow(
      `${a.written.location}: ${INVENTORY_JSONL}: sha256 ${sha256(forged)}`,
    );
    await expect(stat(to)).rejects.toMatchObject({ code: 'ENOENT' });
    await archive.close();
  });

  it('refuses a file over the cap, a file the archive lacks, and one no tag-manifest line names', async () => {
    const a = await sealRun(sink, '2026-11-22T10:13:00Z');
    const archive = (await openStoredArchive(sink, { name: NAME, runId: a.runId }))!;
    const to = join(dir, 'copy');
    const cases: [string, number, string][] = [
      [INVENTORY_JSONL, 10, `${INVENTORY_JSONL}: ${a.inventory!.length} bytes, over the 10-byte cap`],
      ['reports/nope.jsonl', 1 << 20, 'reports/nope.jsonl: not in the archive'],
      // a payload file is in the manifest, not the tag manifest
      ['data/chats/c1.json', 1 << 20, 'data/chats/c1.json: not listed in tagmanifest-sha256.txt'],
    ];
    for (const [path, max, message] of cases) {
      const copying = copyTagFile(archive, path, to, max);
      await expect(copying).rejects.toMatchObject({ code: 'chain_broken' });
      await expect(copying).rejects.toThrow(`${a.written.location}: ${message}`);
      await expect(stat(to)).rejects.toMatchObject({ code: 'ENOENT' });
    }
    await archive.close();
  });
});

describe('findBase', () => {
  it('is null for a destination with no runs', async () => {
    expect(await findBase(sink, NAME)).toBeNull();
  });

  it('takes the newest run that opens and carries an inventory, reporting the ones it passed over', async () => {
    await sealRun(sink, '2026-11-20T00:00:00Z');
    const good = await sealRun(sink, '2026-11-21T00:00:00Z');
    const old = await sealRun(sink, '2026-11-22T00:00:00Z', ['c1'], null); // before snapshots
    const garbage = await plant('20261123T000000Z', Buffer.from('garbage, not a zip'));
    const { base, skipped } = await findBaseReporting(sink, NAME);
    expect(base?.ref.runId).toBe(good.runId);
    expect(skipped.map((s) => [s.runId, s.location])).toEqual([
      ['20261123T000000Z', garbage],
      [old.runId, old.written.location],
    ]);
    expect(skipped[1]?.reason).toBe(`${old.written.location}: no ${INVENTORY_JSONL}`);
    await base?.close();
  });

  it('is null when no listed run is usable', async () => {
    await plant('20261123T000000Z', Buffer.from('garbage'));
    const { base, skipped } = await findBaseReporting(sink, NAME);
    expect(base).toBeNull();
    expect(skipped.map((s) => s.runId)).toEqual(['20261123T000000Z']);
  });
});

describe('locateArchive', () => {
  it('turns a zip path of the sink layout into its sink and ref', async () => {
    const a = await sealRun(sink, '2026-11-22T10:13:00Z');
    const located = locateArchive(a.written.location, {});
    expect(located.ref).toEqual({ name: NAME, runId: a.runId });
    expect(located.sink).toBeInstanceOf(LocalSink);
    expect(located.sink.root).toBe(sink.root);
    expect(located.sink.locationOf(located.ref)).toBe(a.written.location);
  });

  it('turns an s3 URI into an S3 sink over its bucket and prefix', () => {
    const uri = 's3://vault/exports/2026/hold/20261122T101300Z/hold-20261122T101300Z.zip';
    const located = locateArchive(uri, {
      endpoint: 'http://127.0.0.1:9',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(located.sink).toBeInstanceOf(S3Sink);
    expect(located.sink.root).toBe('s3://vault/exports/2026');
    expect(located.sink.locationOf(located.ref)).toBe(uri);
    const bare = locateArchive('s3://vault/hold/20261122T101300Z/hold-20261122T101300Z.zip', {});
    expect(bare.sink.root).toBe('s3://vault');
  });

  it('refuses a target not of the layout with a usage error', () => {
    for (const target of [
      '/tmp/hold-20261122T101300Z.zip',
      '/x/hold/20261122T101300Z/other-20261122T101300Z.zip',
      '/x/hold/20261399T101300Z/hold-20261399T101300Z.zip',
      '/x/hold/20261122T101300Z/hold-20261122T101300Z.tar',
      's3://vault/a//hold/20261122T101300Z/hold-20261122T101300Z.zip',
      's3://vault',
    ]) {
      expect(() => locateArchive(target, {}), target).toThrow(expect.objectContaining({ code: 'usage' }));
    }
  });
});
