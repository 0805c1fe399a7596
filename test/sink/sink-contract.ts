/**
 * What every Sink promises, as one suite each destination runs (local-sink-contract.test.ts,
 * s3-sink-contract.test.ts): the same layout, streaming writes whose stored bytes are the sealed
 * bytes, a sha256sum sidecar, beside files, read-back that notices a changed byte, and never
 * an overwrite. A new destination runs this suite before anything else.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealBag } from '../../src/archive/seal-bag.js';
import { shipArchive } from '../../src/sink/ship-archive.js';
import type { ArchiveRef, Sink } from '../../src/sink/sink.js';
import { bagInput, collect, payloadFile, sampleFiles } from '../archive/fixtures.js';

/** A sink over a fresh, empty destination, and ways to look at what it stored. */
export interface SinkUnderTest {
  readonly sink: Sink;
  /** Names stored in the run folder of `ref` (files or object keys' last part), sorted. */
  list(ref: ArchiveRef): Promise<string[]>;
  /** The bytes stored at a location the sink returned. */
  read(location: string): Promise<Buffer>;
  /** Replaces the bytes at `location` behind the sink's back (bit rot, an operator's edit). */
  tamper(location: string, bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

const ref: ArchiveRef = { name: 'legal-hold', runId: '20261122T101300Z' };
const ZIP = 'legal-hold-20261122T101300Z.zip';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
/** S3's `ChecksumCRC32` form: base64 of the big-endian CRC32. */
const crc32Base64 = (bytes: Buffer): string => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes));
  return out.toString('base64');
};

export interface SinkFactories {
  /** A sink over a fresh, empty destination. */
  readonly open: () => Promise<SinkUnderTest>;
  /** A sink whose destination cannot be used (no such bucket; a file where the folder would be). */
  readonly openUnreachable: () => Promise<{ sink: Sink; close(): Promise<void> }>;
}

export function sinkContract({ open, openUnreachable }: SinkFactories): void {
  let t: SinkUnderTest;
  beforeEach(async () => {
    t = await open();
  });
  afterEach(async () => {
    await t.close();
  });

  describe('layout and preflight', () => {
    it('puts the archive at <root>/<name>/<run-id>/<name>-<run-id>.zip', () => {
      expect(t.sink.locationOf(ref)).toBe(`${t.sink.root}/legal-hold/20261122T101300Z/${ZIP}`);
    });

    it('passes preflight at a fresh destination and leaves nothing there', async () => {
      const checks = await t.sink.preflight(ref);
      expect(checks.map((c) => [c.check, c.ok])).toEqual([
        ['destination', true],
        ['not_exists', true],
        ['can_write', true],
      ]);
      expect(await t.list(ref)).toEqual([]);
      expect(await t.sink.digestStored(ref)).toBeNull();
    });

    it('inspects a fresh destination without writing anything', async () => {
      const checks = await t.sink.inspect();
      expect(checks.map((c) => [c.check, c.ok])).toEqual([['destination', true]]);
      expect(await t.list(ref)).toEqual([]);
      await t.sink.preflight(ref);
    });

    it('names an unusable destination destination_unreachable, in inspect and in preflight', async () => {
      const bad = await openUnreachable();
      try {
        await expect(bad.sink.inspect()).rejects.toMatchObject({ code: 'destination_unreachable' });
        await expect(bad.sink.preflight(ref)).rejects.toMatchObject({ code: 'destination_unreachable' });
      } finally {
        await bad.close();
      }
    });

    it('refuses an existing archive at preflight, or records it when a resumed run asks', async () => {
      await t.sink.writeArchive(ref, Readable.from([Buffer.from('zip bytes')]));
      await expect(t.sink.preflight(ref)).rejects.toMatchObject({ code: 'destination_exists' });
      const checks = await t.sink.preflight(ref, { allowExisting: true });
      expect(checks.find((c) => c.check === 'not_exists')?.ok).toBe(false);
    });
  });

  describe('writing', () => {
    it('stores the sealed bytes as they stream, with a sha256sum sidecar, and reports their digest', async () => {
      await t.sink.preflight(ref);
      const files = sampleFiles();
      const { seal, written } = await shipArchive(t.sink, ref, sealBag(bagInput(files)));
      const again = sealBag(bagInput(files));
      const [expected] = await Promise.all([collect(again.stream), again.done]);

      expect(written.location).toBe(t.sink.locationOf(ref));
      expect(written.sidecarLocation).toBe(`${t.sink.locationOf(ref)}.sha256`);
      const stored = await t.read(written.location);
      expect(stored.equals(expected)).toBe(true);
      expect(written).toMatchObject({
        bytes: seal.zipBytes,
        sha256: sha256(expected),
        crc32: crc32Base64(expected),
      });
      expect((await t.read(written.sidecarLocation)).toString('utf8')).toBe(`${sha256(expected)}  ${ZIP}\n`);
      expect(await t.list(ref)).toEqual([ZIP, `${ZIP}.sha256`]);
      expect(await t.sink.digestStored(ref)).toMatchObject({
        location: written.location,
        bytes: written.bytes,
        sha256: written.sha256,
        crc32: written.crc32,
      });
    });

    it('writes beside files next to the archive', async () => {
      const location = await t.sink.putBeside(
        ref,
        'summary.json',
        '{"status":"complete"}\n',
        'application/json',
      );
      expect(location).toBe(`${t.sink.root}/legal-hold/20261122T101300Z/summary.json`);
      expect((await t.read(location)).toString('utf8')).toBe('{"status":"complete"}\n');
      expect(await t.list(ref)).toEqual(['summary.json']);
    });

    it('never overwrites an archive or a beside file', async () => {
      await t.sink.writeArchive(ref, Readable.from([Buffer.from('zip bytes')]));
      await expect(t.sink.writeArchive(ref, Readable.from([Buffer.from('other')]))).rejects.toMatchObject({
        code: 'destination_exists',
      });
      await t.sink.putBeside(ref, 'summary.json', '{}', 'application/json');
      await expect(
        t.sink.putBeside(ref, 'summary.json', '{"x":1}', 'application/json'),
      ).rejects.toMatchObject({ code: 'destination_exists' });
      expect((await t.read(t.sink.locationOf(ref))).toString('utf8')).toBe('zip bytes');
      expect((await t.read(`${t.sink.root}/legal-hold/20261122T101300Z/summary.json`)).toString('utf8')).toBe(
        '{}',
      );
    });

    it('refuses a beside-file name that could leave the run folder', async () => {
      await expect(t.sink.putBeside(ref, '../escape.json', '{}', 'application/json')).rejects.toThrow();
      expect(await t.list(ref)).toEqual([]);
    });

    it('stores nothing when the seal fails mid-stream', async () => {
      const sealed = sealBag({
        ...bagInput({}),
        payload: async function* () {
          // Claims 9 bytes, yields 3: the seal fails while the sink is writing.
          yield { ...payloadFile('a.txt', 'abc'), size: 9 };
        },
      });
      await expect(shipArchive(t.sink, ref, sealed)).rejects.toMatchObject({ code: 'archive_error' });
      expect(await t.list(ref)).toEqual([]);
      expect(await t.sink.digestStored(ref)).toBeNull();
    });
  });

  describe('read-back', () => {
    it('finds what was written', async () => {
      const { written } = await shipArchive(t.sink, ref, sealBag(bagInput(sampleFiles())));
      expect(await t.sink.readBack(ref, written)).toMatchObject({ ok: true, problems: [] });
    });

    it('notices a stored byte changed after writing', async () => {
      const written = await t.sink.writeArchive(ref, Readable.from([Buffer.from('zip bytes')]));
      await t.tamper(written.location, Buffer.from('zip bytez'));
      const result = await t.sink.readBack(ref, written);
      expect(result.ok).toBe(false);
      expect(result.problems.map((p) => p.split(':')[0])).toEqual(['sha256']);
    });

    it('notices a sidecar that no longer matches', async () => {
      const written = await t.sink.writeArchive(ref, Readable.from([Buffer.from('zip bytes')]));
      await t.tamper(written.sidecarLocation, Buffer.from(`${'0'.repeat(64)}  ${ZIP}\n`));
      const result = await t.sink.readBack(ref, written);
      expect(result.ok).toBe(false);
      expect(result.problems.map((p) => p.split(' ')[0])).toEqual(['sidecar']);
    });
  });

  describe('stored archives (snapshot chains)', () => {
    it('lists and opens what was shipped, and only that', async () => {
      expect(await t.sink.listRuns(ref.name)).toEqual([]);
      const later = { name: ref.name, runId: '20261123T000000Z' };
      await shipArchive(
        t.sink,
        later,
        sealBag({ ...bagInput(sampleFiles()), asOfCut: '2026-11-23T00:00:00Z' }),
      );
      await shipArchive(t.sink, ref, sealBag(bagInput(sampleFiles())));
      expect(await t.sink.listRuns(ref.name)).toEqual([ref.runId, later.runId]);
      expect(await t.sink.listRuns('other-job')).toEqual([]);
      const source = await t.sink.openStored(ref);
      expect(source?.folder).toBe(`${ref.name}-${ref.runId}`);
      expect(source?.problems).toEqual([]);
      expect(source?.files.map((f) => f.path)).toContain('bag-info.txt');
      await source?.close();
      expect(await t.sink.openStored({ name: ref.name, runId: '20261124T000000Z' })).toBeNull();
      expect(await t.sink.lockOf(ref)).toBeNull();
    });
  });
}
