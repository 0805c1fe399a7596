/**
 * An S3 endpoint that answers a GET's headers and first bytes, then stalls or cuts the connection
 * (a real HTTP server on loopback). Hashing the body (the read-back of a store that reports no
 * CRC32, and adopting an archive a killed run left) must end either way: a stop (Ctrl-C, SIGTERM)
 * throws it at once, and a cut connection is an error, never a wait for bytes that will not come.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withS3rverCredentials } from '../../demo/local-s3.js';
import { createS3Client, createSink } from '../../src/sink/create-sink.js';
import type { WrittenArchive } from '../../src/sink/sink.js';

const SIZE = 4 * 1024 * 1024;
const FIRST = 64 * 1024;

type Behaviour = 'stall' | 'cut';

let server: Server;
let endpoint: string;
let behaviour: Behaviour = 'stall';
/** Resolves once the server has sent the first bytes of a GET body. */
let firstBytesSent: Promise<void> = Promise.resolve();
let onFirstBytes: () => void = () => undefined;
const open = new Set<ServerResponse>();

function armFirstBytes(): void {
  firstBytesSent = new Promise((resolve) => {
    onFirstBytes = resolve;
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const headers = {
      'content-type': 'application/zip',
      'content-length': String(SIZE),
      etag: '"0123456789abcdef0123456789abcdef"',
      'last-modified': new Date(0).toUTCString(),
    };
    if (req.method === 'HEAD') {
      res.writeHead(200, headers).end();
      return;
    }
    open.add(res);
    res.on('close', () => open.delete(res));
    res.writeHead(200, headers);
    res.write(Buffer.alloc(FIRST, 1), () => {
      if (behaviour === 'cut') res.socket?.destroy();
      onFirstBytes();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of open) res.socket?.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const client = (): S3Client =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });

const written: WrittenArchive = {
  location: 's3://archive/exports/job/20261128T000000Z/job-20261128T000000Z.zip',
  sidecarLocation: 's3://archive/exports/job/20261128T000000Z/job-20261128T000000Z.zip.sha256',
  bytes: SIZE,
  sha256: '0'.repeat(64),
  crc32: 'AAAAAA==',
};

const ref = { name: 'job', runId: '20261128T000000Z' };

/** The sink's read-back of the archive, or its digest of one a killed run left (to adopt it). */
function hashBody(
  s3: S3Client,
  what: 'read-back' | 'adopt',
  signal?: AbortSignal,
  bodyIdleMs?: number,
): Promise<unknown> {
  const sink = createSink(
    { uri: 's3://archive/exports', endpoint, force_path_style: true },
    { client: s3, ...(bodyIdleMs === undefined ? {} : { bodyIdleMs }) },
  );
  return what === 'read-back' ? sink.readBack(ref, written, signal) : sink.digestStored(ref, signal);
}

/** Rejects with what `work` threw, or fails the test if it is still pending after `ms`. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, deadline]);
    return null;
  } catch (error) {
    return error;
  } finally {
    clearTimeout(timer);
  }
}

describe('an S3 body that stalls or is cut mid-way', () => {
  it.each(['read-back', 'adopt'] as const)(
    '%s: a stop after the first bytes throws the stop at once',
    async (what) => {
      behaviour = 'stall';
      armFirstBytes();
      const stop = new AbortController();
      const s3 = client();
      const work = hashBody(s3, what, stop.signal);
      await firstBytesSent;
      stop.abort();
      const error = await settlesWithin(work, 5_000);
      expect(error).toMatchObject({ name: 'AbortError' });
      s3.destroy();
    },
  );

  it.each(['read-back', 'adopt'] as const)(
    '%s: a body that stalls with no stop fails once it has sent nothing for the idle limit',
    async (what) => {
      behaviour = 'stall';
      const restore = withS3rverCredentials();
      // The tool's own client; the body's idle limit shortened from 120 s.
      const s3 = createS3Client({ endpoint, forcePathStyle: true });
      try {
        const error = await settlesWithin(hashBody(s3, what, undefined, 300), 5_000);
        expect(error).toMatchObject({ code: 'destination_unreachable' });
        expect((error as Error).message).toContain('(the body sent nothing for 0.3 s)');
      } finally {
        s3.destroy();
        restore();
      }
    },
  );

  it.each(['read-back', 'adopt'] as const)(
    '%s: a connection cut after the first bytes is an error, not a wait',
    async (what) => {
      behaviour = 'cut';
      armFirstBytes();
      const s3 = client();
      const work = hashBody(s3, what);
      const error = await settlesWithin(work, 5_000);
      expect(error).toMatchObject({ code: 'destination_unreachable' });
      expect((error as Error).message).toContain(what === 'read-back' ? 'read-back of ' : 'GetObject ');
      s3.destroy();
    },
  );
});
