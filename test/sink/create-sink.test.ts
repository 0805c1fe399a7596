import { resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createSink, parseDestination } from '../../src/sink/create-sink.js';
import { LocalSink } from '../../src/sink/local-sink.js';
import { S3Sink } from '../../src/sink/s3-sink.js';
import { parseSidecar, sidecarText } from '../../src/sink/sink.js';

const ref = { name: 'hold', runId: '20261122T101300Z' };
const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

describe('createSink', () => {
  it.each([
    ['s3://vault', { kind: 's3', bucket: 'vault', prefix: '' }],
    ['s3://vault/', { kind: 's3', bucket: 'vault', prefix: '' }],
    ['s3://vault/exports/legal/', { kind: 's3', bucket: 'vault', prefix: 'exports/legal' }],
    ['file:///srv/out%20dir', { kind: 'local', path: '/srv/out dir' }],
    ['out/archives', { kind: 'local', path: resolve('out/archives') }],
  ])('parses %s', (uri, expected) => {
    expect(parseDestination(uri)).toEqual(expected);
  });

  it('refuses unknown schemes and a missing bucket', () => {
    expect(() => parseDestination('gs://b/x')).toThrow(/unsupported scheme/u);
    expect(() => parseDestination('s3:///x')).toThrow(/no bucket/u);
  });

  it('lays out <root>/<name>/<run-id>/<name>-<run-id>.zip for both sinks', () => {
    const s3 = createSink({ uri: 's3://vault/exports' }, { client });
    expect(s3).toBeInstanceOf(S3Sink);
    expect(s3.locationOf(ref)).toBe('s3://vault/exports/hold/20261122T101300Z/hold-20261122T101300Z.zip');
    const local = createSink({ uri: '/srv/out' });
    expect(local).toBeInstanceOf(LocalSink);
    expect(local.locationOf(ref)).toBe('/srv/out/hold/20261122T101300Z/hold-20261122T101300Z.zip');
  });

  it('turns retain_days into a retain-until from now, and refuses one in the past', async () => {
    const now = () => new Date('2026-11-22T10:00:00Z');
    const sink = createSink(
      { uri: 's3://vault', object_lock: { mode: 'GOVERNANCE', retain_days: 30, legal_hold: false } },
      { client, now },
    ) as S3Sink;
    expect(sink.settings.objectLock).toEqual({
      mode: 'GOVERNANCE',
      retainUntil: new Date('2026-12-22T10:00:00Z'),
    });
    expect(sink.settings.legalHold).toBeUndefined();
    expect(() =>
      createSink(
        {
          uri: 's3://vault',
          object_lock: { mode: 'COMPLIANCE', retain_until: '2020-01-01T00:00:00Z', legal_hold: true },
        },
        { client, now },
      ),
    ).toThrow(expect.objectContaining({ code: 'spec_invalid' }));
  });
});

describe('sidecar format', () => {
  it('round-trips sha256sum lines, binary marker included', () => {
    const sha = 'ab'.repeat(32);
    expect(sidecarText(sha, 'x.zip')).toBe(`${sha}  x.zip\n`);
    expect(parseSidecar(sidecarText(sha, 'x.zip'))).toEqual({ sha256: sha, fileName: 'x.zip' });
    expect(parseSidecar(`${sha.toUpperCase()} *x.zip\n`)).toEqual({ sha256: sha, fileName: 'x.zip' });
    expect(parseSidecar('nonsense')).toBeNull();
  });
});
