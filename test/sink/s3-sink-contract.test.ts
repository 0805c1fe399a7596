/** The Sink contract over S3: a real s3rver on loopback, a fresh key prefix per test. */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe } from 'vitest';
import { createSink } from '../../src/sink/create-sink.js';
import { S3Sink } from '../../src/sink/s3-sink.js';
import { startS3rver, type S3rverHandle } from './s3rver-harness.js';
import type { Sink } from '../../src/sink/sink.js';
import { sinkContract, type SinkUnderTest } from './sink-contract.js';

let s3: S3rverHandle;
beforeAll(async () => {
  s3 = await startS3rver(['archive']);
});
afterAll(async () => {
  await s3.close();
});

const keyOf = (location: string): string => {
  const prefix = 's3://archive/';
  if (!location.startsWith(prefix)) throw new Error(`not in the test bucket: ${location}`);
  return location.slice(prefix.length);
};

describe('S3Sink contract (s3rver)', () => {
  let tests = 0;
  sinkContract({ open, openUnreachable });

  async function openUnreachable(): Promise<{ sink: Sink; close(): Promise<void> }> {
    const sink = createSink(
      { uri: 's3://no-such-bucket/exports', endpoint: s3.endpoint, force_path_style: true },
      { client: s3.client },
    );
    return { sink, close: async () => undefined };
  }

  async function open(): Promise<SinkUnderTest> {
    tests += 1;
    const prefix = `exports-${tests}`;
    const sink = createSink(
      { uri: `s3://archive/${prefix}`, endpoint: s3.endpoint, force_path_style: true },
      { client: s3.client },
    );
    if (!(sink instanceof S3Sink)) throw new Error('createSink did not build an S3Sink');
    return {
      sink,
      list: async (ref) => {
        const folder = `${prefix}/${ref.name}/${ref.runId}/`;
        const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'archive', Prefix: folder }));
        return (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(folder.length)).sort();
      },
      read: async (location) => {
        const object = await s3.client.send(
          new GetObjectCommand({ Bucket: 'archive', Key: keyOf(location) }),
        );
        return Buffer.from(await object.Body!.transformToByteArray());
      },
      tamper: async (location, bytes) => {
        await s3.client.send(new PutObjectCommand({ Bucket: 'archive', Key: keyOf(location), Body: bytes }));
      },
      close: async () => undefined,
    };
  }
});
