/** Pins the S3 requests of the stored-archive reads (aws-sdk-client-mock): lockOf's HeadObject, openStored's absent key. */
import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3Sink } from '../../src/sink/s3-sink.js';

const ref = { name: 'hold', runId: '20261122T101300Z' };
const KEY = 'exports/hold/20261122T101300Z/hold-20261122T101300Z.zip';
const client = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
});
const s3 = mockClient(client);
const sink = new S3Sink({ client, bucket: 'vault', prefix: 'exports' });

afterEach(() => {
  s3.reset();
});

describe('S3Sink.lockOf', () => {
  it('reads retention and legal hold from HeadObject of the archive key', async () => {
    s3.on(HeadObjectCommand).resolves({
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: new Date('2033-01-01T00:00:00Z'),
      ObjectLockLegalHoldStatus: 'ON',
    });
    expect(await sink.lockOf(ref)).toEqual({ retainUntil: '2033-01-01T00:00:00.000Z', legalHold: true });
    expect(s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'vault', Key: KEY },
    ]);
  });

  it('gives each on its own, and null when the archive has neither', async () => {
    s3.on(HeadObjectCommand)
      .resolvesOnce({ ObjectLockLegalHoldStatus: 'ON' })
      .resolvesOnce({
        ObjectLockRetainUntilDate: new Date('2030-05-01T12:00:00Z'),
        ObjectLockLegalHoldStatus: 'OFF',
      })
      .resolvesOnce({ ObjectLockLegalHoldStatus: 'OFF' });
    expect(await sink.lockOf(ref)).toEqual({ retainUntil: null, legalHold: true });
    expect(await sink.lockOf(ref)).toEqual({ retainUntil: '2030-05-01T12:00:00.000Z', legalHold: false });
    expect(await sink.lockOf(ref)).toBeNull();
  });

  it('reports a HeadObject failure as destination_unreachable', async () => {
    s3.on(HeadObjectCommand).rejects(
      new S3ServiceException({
        name: 'Forbidden',
        $fault: 'client',
        message: 'x',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    await expect(sink.lockOf(ref)).rejects.toMatchObject({ code: 'destination_unreachable' });
  });
});

describe('S3Sink.openStored', () => {
  it('is null when HeadObject of the archive key says 404', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'nf', $metadata: { httpStatusCode: 404 } }));
    expect(await sink.openStored(ref)).toBeNull();
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'vault', Key: KEY });
  });

  it('reports any other HeadObject failure as destination_unreachable', async () => {
    s3.on(HeadObjectCommand).rejects(
      new S3ServiceException({
        name: 'Forbidden',
        $fault: 'client',
        message: 'x',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    await expect(sink.openStored(ref)).rejects.toMatchObject({ code: 'destination_unreachable' });
  });
});
