/** plan's destination check: the sinks' read-only inspect, against s3rver and a local folder. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedDestination } from '../../src/spec/types.js';
import { checkDestinationReadOnly } from '../../src/survey/check-destination.js';
import { startS3rver, type S3rverHandle } from '../sink/s3rver-harness.js';

let s3: S3rverHandle;
let dir: string;
beforeAll(async () => {
  s3 = await startS3rver(['archive']);
  dir = await mkdtemp(join(tmpdir(), 'check-destination-'));
});
afterAll(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

const s3Dest = (uri: string, extra: Partial<ResolvedDestination> = {}): ResolvedDestination => ({
  uri,
  endpoint: s3.endpoint,
  force_path_style: true,
  ...extra,
});

describe('checkDestinationReadOnly', () => {
  it('finds the bucket and writes nothing in it', async () => {
    const check = await checkDestinationReadOnly(s3Dest('s3://archive/exports'), { client: s3.client });
    expect(check).toEqual({ kind: 's3', ok: true, detail: 'bucket archive exists' });
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'archive' }));
    expect(listed.KeyCount).toBe(0);
  });

  it('names a missing bucket, and retention on a bucket without versioning, destination_unreachable', async () => {
    await expect(
      checkDestinationReadOnly(s3Dest('s3://no-such-bucket/x'), { client: s3.client }),
    ).rejects.toMatchObject({ code: 'destination_unreachable' });
    const retention = s3Dest('s3://archive/exports', {
      object_lock: { mode: 'COMPLIANCE', retain_days: 30, legal_hold: false },
    });
    await expect(checkDestinationReadOnly(retention, { client: s3.client })).rejects.toMatchObject({
      code: 'destination_unreachable',
    });
  });

  it('asks for versioning and Object Lock exactly when the run would: a retention mode or a legal hold', async () => {
    // No mode and no hold: the run's sink checks no retention, so plan does not either.
    const noRetention = s3Dest('s3://archive/exports', { object_lock: { legal_hold: false } });
    expect(await checkDestinationReadOnly(noRetention, { client: s3.client })).toMatchObject({ ok: true });
    const hold = s3Dest('s3://archive/exports', { object_lock: { legal_hold: true } });
    await expect(checkDestinationReadOnly(hold, { client: s3.client })).rejects.toMatchObject({
      code: 'destination_unreachable',
    });
  });

  it('names a local destination below a file destination_unreachable and creates nothing', async () => {
    await writeFile(join(dir, 'a-file'), 'not a folder');
    await expect(
      checkDestinationReadOnly({ uri: join(dir, 'a-file', 'sub'), force_path_style: false }),
    ).rejects.toMatchObject({ code: 'destination_unreachable' });
    expect(
      await checkDestinationReadOnly({ uri: join(dir, 'new', 'exports'), force_path_style: false }),
    ).toEqual({
      kind: 'local',
      ok: true,
      detail: `${dir} is writable (${join(dir, 'new', 'exports')} would be created)`,
    });
    expect(await readdir(dir)).toEqual(['a-file']);
  });
});
