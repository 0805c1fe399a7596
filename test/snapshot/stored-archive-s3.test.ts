/**
 * Stored archives of a snapshot series over S3, end to end against s3rver on loopback: the runs
 * a listing finds, an archive opened with ranged reads, its inventory copied out and checked, a
 * garbage zip passed over by findBase, a tampered inventory refused.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalSink } from '../../src/sink/local-sink.js';
import { S3Sink } from '../../src/sink/s3-sink.js';
import {
  copyTagFile,
  findBaseReporting,
  locateArchive,
  openStoredArchive,
} from '../../src/snapshot/stored-archive.js';
import { INVENTORY_JSONL } from '../../src/snapshot/types.js';
import { startS3rver, type S3rverHandle } from '../sink/s3rver-harness.js';
import { NAME, replaceEntry, sealRun, sha256 } from './series-builder.js';

let s3: S3rverHandle;
let dir: string;
const BUCKET = 'archive';

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  dir = await mkdtemp(join(tmpdir(), 'stored-s3-'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

const sinkAt = (prefix: string): S3Sink => new S3Sink({ client: s3.client, bucket: BUCKET, prefix });
const key = (prefix: string, runId: string): string => `${prefix}/${NAME}/${runId}/${NAME}-${runId}.zip`;
const put = (k: string, body: Buffer | string): Promise<unknown> =>
  s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: body }));

describe('stored archives over S3 (s3rver)', () => {
  it('lists complete runs oldest first; a prefix never written to lists none', async () => {
    const sink = sinkAt('list');
    expect(await sink.listRuns(NAME)).toEqual([]);
    const b = await sealRun(sink, '2026-11-23T00:00:00Z');
    const a = await sealRun(sink, '2026-11-22T00:00:00Z');
    const c = await sealRun(sink, '2026-11-24T00:00:00Z');
    await put(`list/${NAME}/not-a-run/${NAME}-not-a-run.zip`, 'x');
    await put(`list/${NAME}/not-a-run/${NAME}-not-a-run.zip.sha256`, 'x');
    expect(await sink.listRuns(NAME)).toEqual([a.runId, b.runId, c.runId]);
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${key('list', b.runId)}.sha256` }));
    expect(await sink.listRuns(NAME)).toEqual([a.runId, c.runId]);
    expect(await sinkAt('list/elsewhere').listRuns(NAME)).toEqual([]);
  });

  it('opens a stored archive by ranged reads and copies its inventory, checked', async () => {
    const sink = sinkAt('open');
    const a = await sealRun(sink, '2026-11-22T10:13:00Z', ['c1', 'c2', 'c3']);
    const archive = (await openStoredArchive(sink, { name: NAME, runId: a.runId }))!;
    expect(archive.location).toBe(`s3://${BUCKET}/${key('open', a.runId)}`);
    expect(archive.source.kind).toBe('s3');
    expect(archive.bagInfo.get('Payload-Oxum')).toBe('24.3');
    const to = join(dir, 'open-inventory.jsonl');
    expect(await copyTagFile(archive, INVENTORY_JSONL, to, 1 << 20)).toEqual({
      sha256: sha256(a.inventory!),
      size: a.inventory!.length,
    });
    expect(await readFile(to, 'utf8')).toBe(a.inventory);
    await archive.close();
    expect(await sink.openStored({ name: NAME, runId: '20261123T000000Z' })).toBeNull();
    expect(await sink.lockOf({ name: NAME, runId: a.runId })).toBeNull();
  });

  it('refuses an inventory that differs from the tag manifest', async () => {
    const local = new LocalSink(join(dir, 'forge'));
    const a = await sealRun(local, '2026-11-22T10:13:00Z');
    const forged = a.inventory!.replace('"c1"', '"c7"');
    replaceEntry(a.written.location, INVENTORY_JSONL, forged);
    await put(key('forged', a.runId), await readFile(a.written.location));
    await put(`${key('forged', a.runId)}.sha256`, await readFile(a.written.sidecarLocation));
    const sink = sinkAt('forged');
    const archive = (await openStoredArchive(sink, { name: NAME, runId: a.runId }))!;
    const copying = copyTagFile(archive, INVENTORY_JSONL, join(dir, 'forged.jsonl'), 1 << 20);
    await expect(copying).rejects.toMatchObject({ code: 'chain_broken' });
    await expect(copying).rejects.toThrow(
      `${archive.location}: ${INVENTORY_JSONL}: sha256 ${sha256(forged)}`,
    );
    await archive.close();
  });

  it('findBase passes over a garbage zip and takes the run before it', async () => {
    const sink = sinkAt('base');
    const good = await sealRun(sink, '2026-11-21T00:00:00Z');
    const bad = '20261122T000000Z';
    await put(key('base', bad), Buffer.from('PK\u0005\u0006 garbage where a zip should be'));
    await put(`${key('base', bad)}.sha256`, `${'0'.repeat(64)}  ${NAME}-${bad}.zip\n`);
    expect(await sink.listRuns(NAME)).toEqual([good.runId, bad]);
    const { base, skipped } = await findBaseReporting(sink, NAME);
    expect(base?.ref.runId).toBe(good.runId);
    expect(skipped.map((s) => [s.runId, s.location])).toEqual([[bad, `s3://${BUCKET}/${key('base', bad)}`]]);
    await base?.close();
  });

  it('locates an archive by its s3 URI and opens it through the located sink', async () => {
    // The located sink builds its own client, from the environment as the CLI would.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    const sink = sinkAt('located/deep');
    const a = await sealRun(sink, '2026-11-22T10:13:00Z');
    const located = locateArchive(`s3://${BUCKET}/${key('located/deep', a.runId)}`, {
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
    });
    expect(located.sink.root).toBe(`s3://${BUCKET}/located/deep`);
    expect(await located.sink.listRuns(NAME)).toEqual([a.runId]);
    const archive = (await openStoredArchive(located.sink, located.ref))!;
    expect(archive.location).toBe(sink.locationOf(located.ref));
    await archive.close();
    vi.unstubAllEnvs();
  });
});
