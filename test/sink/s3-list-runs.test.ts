/**
 * S3Sink.listRuns against a real misbehaving S3 listing server on loopback (node:http, speaking
 * ListObjectsV2 XML): pages walked by continuation token, keys that are not runs ignored, and a
 * listing that walks in a circle, never ends, or is truncated without a token stopped.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LIST_PAGES } from '../../src/sink/s3-stored.js';
import { S3Sink } from '../../src/sink/s3-sink.js';
import { startFixture, type Fixture, type Reply } from '../api/fixture-server.js';

const A = '20261122T101300Z';
const B = '20261123T101300Z';
const zip = (run: string): string => `exports/hold/${run}/hold-${run}.zip`;

function page(keys: string[], next?: string): Reply {
  const contents = keys
    .map((k) => `<Contents><Key>${k}</Key><Size>1</Size><ETag>"x"</ETag></Contents>`)
    .join('');
  const more =
    next === undefined
      ? '<IsTruncated>false</IsTruncated>'
      : `<IsTruncated>true</IsTruncated>${next === '' ? '' : `<NextContinuationToken>${next}</NextContinuationToken>`}`;
  return {
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>vault</Name><Prefix>exports/hold/</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys>${more}${contents}</ListBucketResult>`,
  };
}

let fixture: Fixture | undefined;
let client: S3Client | undefined;
afterEach(async () => {
  client?.destroy();
  await fixture?.close();
  fixture = undefined;
});

async function sinkOver(handler: (index: number) => Reply): Promise<S3Sink> {
  fixture = await startFixture((_req, index) => handler(index));
  client = new S3Client({
    region: 'us-east-1',
    endpoint: fixture.baseUrl,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  return new S3Sink({ client, bucket: 'vault', prefix: 'exports' });
}

describe('S3Sink.listRuns over a real listing server', () => {
  it('walks the pages by continuation token and keeps runs holding both zip and sidecar', async () => {
    const sink = await sinkOver((i) =>
      i === 0
        ? page(
            [
              zip(A),
              zip(B),
              `${zip(B)}.sha256`,
              'exports/hold/20261124T101300Z/summary.json',
              `exports/hold/${A}/sub/hold-${A}.zip.sha256`, // one level too deep
              `exports/hold/../hold/${A}/hold-${A}.zip.sha256`,
              'exports/hold/20261399T101300Z/hold-20261399T101300Z.zip',
            ],
            'token/1+=',
          )
        : page([`${zip(A)}.sha256`, 'exports/hold/20261125T101300Z/hold-20261125T101300Z.zip']),
    );
    expect(await sink.listRuns('hold')).toEqual([A, B]);
    const requests = fixture!.requests;
    expect(requests.map((r) => [r.query.get('list-type'), r.query.get('prefix')])).toEqual([
      ['2', 'exports/hold/'],
      ['2', 'exports/hold/'],
    ]);
    expect(requests[0]?.query.get('continuation-token')).toBeNull();
    expect(requests[1]?.query.get('continuation-token')).toBe('token/1+=');
  });

  it('stops with destination_unreachable when a continuation token comes back', async () => {
    const tokens = ['t1', 't2', 't1'];
    const sink = await sinkOver((i) => page([zip(A)], tokens[i] ?? 'never'));
    const listing = sink.listRuns('hold');
    await expect(listing).rejects.toMatchObject({ code: 'destination_unreachable' });
    await expect(listing).rejects.toThrow('continuation token "t1" came back on page 3');
    expect(fixture!.requests.map((r) => r.query.get('continuation-token'))).toEqual([null, 't1', 't2']);
  });

  it('stops after MAX_LIST_PAGES pages of a listing that never ends', async () => {
    const sink = await sinkOver((i) => page([], `fresh-${i}`));
    await expect(sink.listRuns('hold')).rejects.toMatchObject({ code: 'destination_unreachable' });
    expect(fixture!.requests).toHaveLength(MAX_LIST_PAGES);
  });

  it('refuses a truncated page without a continuation token', async () => {
    const sink = await sinkOver(() => page([zip(A), `${zip(A)}.sha256`], ''));
    await expect(sink.listRuns('hold')).rejects.toMatchObject({ code: 'destination_unreachable' });
    expect(fixture!.requests).toHaveLength(1);
  });

  it('reports a listing the server refuses as destination_unreachable', async () => {
    const sink = await sinkOver(() => ({
      status: 403,
      headers: { 'content-type': 'application/xml' },
      body: '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>',
    }));
    await expect(sink.listRuns('hold')).rejects.toMatchObject({ code: 'destination_unreachable' });
  });
});
