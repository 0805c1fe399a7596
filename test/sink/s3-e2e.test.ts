/** Real bytes through a real S3-protocol server (s3rver) on loopback: seal → upload → read back. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBag } from '../../src/archive/seal-bag.js';
import { createSink } from '../../src/sink/create-sink.js';
import { shipArchive } from '../../src/sink/ship-archive.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { PY_LIST, bagInput, collect, noise, python, sampleFiles } from '../archive/fixtures.js';
import { startS3rver, type S3rverHandle } from './s3rver-harness.js';

let s3: S3rverHandle;
let dir: string;
beforeAll(async () => {
  s3 = await startS3rver(['archive']);
  dir = await mkdtemp(join(tmpdir(), 's3-e2e-'));
});
afterAll(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

const ref = { name: 'legal-hold', runId: '20261122T101300Z' };

describe('seal → S3 (s3rver) → read back', () => {
  it('moves the exact zip bytes, writes sidecar and summary, and refuses a second write', async () => {
    const files = { ...sampleFiles(), 'files/claude_file_9/big.bin': noise(7 * 1024 * 1024, 9) };
    const sink = createSink(
      { uri: 's3://archive/exports', endpoint: s3.endpoint, force_path_style: true },
      { client: s3.client, partSize: 5 * 1024 * 1024 },
    );
    const checks = await sink.preflight(ref);
    expect(checks.map((c) => c.check)).toEqual(['destination', 'not_exists', 'can_write']);

    const { seal, written } = await shipArchive(sink, ref, sealBag(bagInput(files)));
    expect(written.location).toBe(
      's3://archive/exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip',
    );
    expect(written.bytes).toBe(seal.zipBytes);
    expect(written.parts).toBe(2);
    await sink.putBeside(ref, 'summary.json', '{"status":"complete"}\n', 'application/json');

    const readBack = await sink.readBack(ref, written);
    // s3rver reports no checksums, so the sink reads the bytes back and says so.
    expect(readBack).toMatchObject({ ok: true, method: 'bytes', problems: [] });

    // A stop (Ctrl-C, SIGTERM) cuts the read-back and verify short: they throw it, and never
    // report what the stop left unread as a mismatch.
    const stop = new AbortController();
    const stopped = sink.readBack(ref, written, stop.signal);
    setImmediate(() => stop.abort());
    await expect(stopped).rejects.toMatchObject({ name: 'AbortError' });
    await expect(
      verifyArchive(written.location, { client: s3.client, signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });

    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'archive', Prefix: 'exports/' }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([
      'exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip',
      'exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip.sha256',
      'exports/legal-hold/20261122T101300Z/summary.json',
    ]);

    // The stored bytes are the sealed bytes: same as an independent local rebuild.
    const stored = await s3.client.send(
      new GetObjectCommand({
        Bucket: 'archive',
        Key: 'exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip',
      }),
    );
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());
    const rebuilt = sealBag(bagInput(files));
    const [again] = await Promise.all([collect(rebuilt.stream), rebuilt.done]);
    expect(bytes.equals(again)).toBe(true);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(written.sha256);
    const sidecar = await s3.client.send(
      new GetObjectCommand({
        Bucket: 'archive',
        Key: 'exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip.sha256',
      }),
    );
    expect(await sidecar.Body!.transformToString()).toBe(
      `${written.sha256}  legal-hold-20261122T101300Z.zip\n`,
    );
    const file = join(dir, 'downloaded.zip');
    await writeFile(file, bytes);
    expect(python<{ bad: string | null }>(PY_LIST, file).bad).toBeNull();

    await expect(sink.preflight(ref)).rejects.toMatchObject({ code: 'destination_exists' });
    const second = sealBag(bagInput(files));
    await expect(sink.writeArchive(ref, second.stream)).rejects.toMatchObject({ code: 'destination_exists' });
    await expect(sink.putBeside(ref, 'summary.json', '{}', 'application/json')).rejects.toMatchObject({
      code: 'destination_exists',
    });
  });

  it('fails preflight with a clear code when the bucket does not exist', async () => {
    const sink = createSink({ uri: 's3://no-such-bucket/x', force_path_style: true }, { client: s3.client });
    await expect(sink.preflight(ref)).rejects.toMatchObject({ code: 'destination_unreachable' });
  });
});
