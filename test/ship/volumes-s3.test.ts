/**
 * Archive volumes through the S3 sink (a real S3-protocol server on loopback): every volume and
 * its sidecar under the run's prefix, each read back and verified by the run, and `verify` of one
 * volume finding its siblings under the same prefix and naming a deleted one by its key.
 */
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withS3rverCredentials } from '../../demo/local-s3.js';
import { runJob } from '../../src/run-job.js';
import { verifyVolumeSet } from '../../src/verify/volume-group.js';
import { harness, instantSleep, s3JobSpec, type Harness } from '../run-job/helpers.js';
import { startS3rver, type S3rverHandle } from '../sink/s3rver-harness.js';

describe('archive volumes on S3', () => {
  let h: Harness;
  let s3: S3rverHandle;
  let restore: () => void;
  let specPath: string;
  beforeAll(async () => {
    h = await harness({ include: ['directory', 'chats'] });
    s3 = await startS3rver(['archive']);
    restore = withS3rverCredentials();
    specPath = await s3JobSpec(h, s3.endpoint, 's3-volumes', 'archive:\n  max_volume_size: 1MiB\n');
  });
  afterAll(async () => {
    restore?.();
    await s3?.close();
    await h?.close();
  });

  it('ships every volume under the run prefix; verify of one finds the rest and names a deleted one', async () => {
    const result = await runJob({ specPath, env: h.env, sleep: instantSleep, progress: 'off' });
    expect(result.exitCode).toBe(0);
    const volumes = result.archive?.volumes ?? [];
    expect(volumes.length).toBeGreaterThan(1);
    expect(volumes.every((v) => v.verified && !v.adopted)).toBe(true);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'archive', Prefix: 'exports/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
    const zips = volumes.map((v) => v.location.slice('s3://archive/'.length));
    const folder = zips[0]?.slice(0, zips[0].lastIndexOf('/') + 1) ?? '';
    expect(keys).toEqual(
      [...zips, ...zips.map((k) => `${k}.sha256`), `${folder}custody.jsonl`, `${folder}summary.json`].sort(),
    );
    const n = String(volumes.length).padStart(3, '0');
    expect(zips.map((k) => k.slice(k.lastIndexOf('.vol')))).toEqual(
      zips.map((_, i) => `.vol${String(i + 1).padStart(3, '0')}-of-${n}.zip`),
    );

    const set = await verifyVolumeSet(volumes[0]?.location ?? '', { client: s3.client });
    expect(set.problems).toEqual([]);
    expect(set.volumes.map((v) => [v.target, v.ok])).toEqual(volumes.map((v) => [v.location, true]));

    const gone = volumes.at(-1)?.location ?? '';
    await s3.client.send(
      new DeleteObjectCommand({ Bucket: 'archive', Key: gone.slice('s3://archive/'.length) }),
    );
    const broken = await verifyVolumeSet(volumes[0]?.location ?? '', { client: s3.client });
    expect(broken.ok).toBe(false);
    expect(broken.problems.map((p) => [p.code, p.path])).toEqual([['volume_missing', gone]]);
  });
});
