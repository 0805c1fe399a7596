import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {} from '../../src/api/index.js';
import { startFixture, type Fixture, type Reply, fixtureClient } from './fixture-server.js';

const KEY = 'sk-ant-api01-download-SECRET-0123456789';
const BYTES = Buffer.from('hello, compliance world — ünïcode\n'.repeat(200));
const md5b64 = (b: Buffer): string => createHash('md5').update(b).digest('base64');
const md5hex = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function setup(replies: (i: number) => Reply) {
  fixture = await startFixture((_r, i) => replies(i));
  const { client, ledger } = fixtureClient(fixture, KEY, { retry: { maxAttempts: 3 } });
  return { client, fixture, ledger };
}

/** A sink factory that keeps each attempt's bytes separately and notes which were committed. */
function memorySinks() {
  const attempts: { chunks: Buffer[]; finished: boolean; destroyed: boolean }[] = [];
  const factory = (_attempt: number): Writable => {
    const rec = { chunks: [] as Buffer[], finished: false, destroyed: false };
    attempts.push(rec);
    const w = new Writable({
      write(chunk: Buffer, _enc, cb) {
        rec.chunks.push(chunk);
        cb();
      },
    });
    w.on('finish', () => (rec.finished = true));
    w.on('close', () => (rec.destroyed = !rec.finished));
    return w;
  };
  return { attempts, factory };
}

const good = (extra: Record<string, string> = {}): Reply => ({
  chunks: [BYTES.subarray(0, 1000), BYTES.subarray(1000)],
  headers: {
    'content-type': 'text/plain',
    'content-md5': md5b64(BYTES),
    'content-disposition': "attachment; filename*=utf-8''%E2%82%AC%20rates%20%C3%BC.txt",
    ...extra,
  },
});

describe('streaming downloads', () => {
  it('streams to the sink, hashes on the fly, verifies and decodes filename*', async () => {
    const { client, fixture } = await setup(() => good());
    const { attempts, factory } = memorySinks();
    const r = await client.downloadFile('claude_file_1', factory, {
      expectedMd5: md5hex(BYTES),
      expectedSize: BYTES.length,
    });
    expect(r).toMatchObject({
      sha256: sha(BYTES),
      md5: md5hex(BYTES),
      size: BYTES.length,
      contentType: 'text/plain',
      filename: '€ rates ü.txt',
      verified: { contentMd5: true, metadataMd5: true, metadataSize: true },
      metadataMismatch: null,
      requestId: 'req_1',
      endpoint: '/v1/compliance/apps/chats/files/claude_file_1/content',
      attempts: 1,
    });
    expect(Buffer.concat(attempts[0]!.chunks).equals(BYTES)).toBe(true);
    expect(attempts[0]!.finished).toBe(true);
    expect(fixture.requests[0]!.path).toBe('/v1/compliance/apps/chats/files/claude_file_1/content');
  });

  it('retries a wrong Content-MD5 from the start with a fresh sink', async () => {
    const { client } = await setup((i) =>
      i === 0 ? good({ 'content-md5': md5b64(Buffer.from('other')) }) : good(),
    );
    const { attempts, factory } = memorySinks();
    const r = await client.downloadFile('claude_file_1', factory);
    expect(r.attempts).toBe(2);
    expect(attempts.map((a) => [a.finished, a.destroyed])).toEqual([
      [false, true],
      [true, false],
    ]);
    expect(Buffer.concat(attempts[1]!.chunks).equals(BYTES)).toBe(true);
  });

  it('reports a persistent checksum mismatch as checksum_mismatch', async () => {
    const { client, ledger } = await setup(() => good({ 'content-md5': md5b64(Buffer.from('other')) }));
    const { attempts, factory } = memorySinks();
    await expect(client.downloadFile('claude_file_1', factory)).rejects.toMatchObject({
      code: 'checksum_mismatch',
      attempts: 3,
      retryable: true,
    });
    expect(attempts.every((a) => !a.finished)).toBe(true);
    expect(ledger.map((e) => e.error)).toEqual(['checksum', 'checksum', 'checksum']);
  });

  it('retries a chunked body cut short, then reports body_truncated', async () => {
    const cut: Reply = {
      chunks: [BYTES.subarray(0, 500)],
      truncate: true,
      headers: { 'content-md5': md5b64(BYTES) },
    };
    const first = await setup((i) => (i === 0 ? cut : good()));
    const sinks = memorySinks();
    const r = await first.client.downloadGeneratedFile('claude_gen_file_1', sinks.factory);
    expect(r.attempts).toBe(2);
    expect(sinks.attempts[0]!.finished).toBe(false);
    expect(first.fixture.requests[0]!.path).toBe(
      '/v1/compliance/apps/chats/generated-files/claude_gen_file_1/content',
    );
    await first.client.close();
    await fixture?.close();

    const second = await setup(() => cut);
    await expect(
      second.client.downloadCodeArtifactVersion('cart_1', '1741803761-9f3a', memorySinks().factory),
    ).rejects.toMatchObject({
      code: 'body_truncated',
      attempts: 3,
    });
  });

  it('checks metadata md5/size when no Content-MD5 is sent', async () => {
    const { client } = await setup(() => ({ chunks: [BYTES] }));
    await expect(
      client.downloadFile('claude_file_1', memorySinks().factory, { expectedSize: BYTES.length + 1 }),
    ).rejects.toMatchObject({
      code: 'checksum_mismatch',
    });
    const r = await client.downloadFile('claude_file_1', memorySinks().factory, {
      expectedMd5: md5hex(BYTES),
    });
    expect(r.verified).toEqual({ contentMd5: false, metadataMd5: true, metadataSize: false });
  });

  it('reopens the same temp file per attempt; the file ends up exactly the verified bytes', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const small = Buffer.from('short final body');
    const { client } = await setup((i) =>
      i === 0
        ? { chunks: [big], truncate: true }
        : { chunks: [small], headers: { 'content-md5': md5b64(small) } },
    );
    const tmp = join(mkdtempSync(join(tmpdir(), 'api-dl-')), 'blob.tmp');
    const r = await client.downloadFile('claude_file_1', () => createWriteStream(tmp, { flags: 'w' }));
    expect(r.attempts).toBe(2);
    expect(readFileSync(tmp).equals(small)).toBe(true);
    expect(r.sha256).toBe(sha(small));
  });

  it('does not retry when the sink itself fails (disk full, permissions)', async () => {
    const { client, fixture } = await setup(() => good());
    const failing = (code: string) => (): Writable => {
      throw Object.assign(new Error(`${code}: the sink refused`), { code });
    };
    // No room is `disk_full` (the run stops at a clean checkpoint); anything else is `internal`.
    await expect(client.downloadFile('claude_file_1', failing('ENOSPC'))).rejects.toMatchObject({
      code: 'disk_full',
    });
    await expect(client.downloadFile('claude_file_1', failing('EACCES'))).rejects.toMatchObject({
      code: 'internal',
    });
    expect(fixture.requests).toHaveLength(2);
    // the connection was freed: the next request goes through
    expect((await client.downloadFile('claude_file_1', memorySinks().factory)).size).toBe(BYTES.length);
  });

  it('lets a verified Content-MD5 win over differing metadata (processed copy), reporting the difference', async () => {
    const { client } = await setup(() => good());
    const r = await client.downloadFile('claude_file_1', memorySinks().factory, {
      expectedMd5: 'ffff',
      expectedSize: 3,
    });
    expect(r.metadataMismatch).toEqual({ md5: 'ffff', size: 3 });
    expect(r.verified.contentMd5).toBe(true);
  });

  it('routes claude_file_ generated-file ids to the files endpoint', async () => {
    const { client, fixture } = await setup(() => good());
    await client.downloadGeneratedFile('claude_file_9', memorySinks().factory);
    expect(fixture.requests[0]!.path).toBe('/v1/compliance/apps/chats/files/claude_file_9/content');
  });

  it('resets a ChunkSink before retrying', async () => {
    const { client } = await setup((i) =>
      i === 0 ? { chunks: [BYTES.subarray(0, 10)], truncate: true } : good(),
    );
    let received: Buffer[] = [];
    let resets = 0;
    const r = await client.downloadFile('claude_file_1', {
      write: (c: Buffer) => void received.push(c),
      reset: () => {
        resets++;
        received = [];
      },
    });
    expect(resets).toBe(1);
    expect(Buffer.concat(received).equals(BYTES)).toBe(true);
    expect(r.attempts).toBe(2);
  });

  it('does not retry into a plain Writable that already received bytes', async () => {
    const { client, fixture } = await setup(() => ({ chunks: [BYTES.subarray(0, 10)], truncate: true }));
    const w = new Writable({ write: (_c, _e, cb) => cb() });
    await expect(client.downloadFile('claude_file_1', w)).rejects.toMatchObject({ code: 'body_truncated' });
    expect(fixture.requests).toHaveLength(1);
  });

  it('passes multi_file_format=zip to code artifact downloads and streams current content', async () => {
    const { client, fixture } = await setup(() => ({
      chunks: [BYTES],
      headers: { 'content-type': 'application/zip' },
    }));
    const r = await client.downloadCodeArtifactContent('cart_1', memorySinks().factory, {
      multi_file_format: 'zip',
    });
    expect(r.contentType).toBe('application/zip');
    expect(fixture.requests[0]!.url).toBe(
      '/v1/compliance/apps/code/artifacts/cart_1/content?multi_file_format=zip',
    );
  });
});

describe('text content (artifact versions, project documents)', () => {
  const content = 'Ünïcode artifact body\n';
  const bytes = Buffer.from(content, 'utf8');

  it('verifies md5/size over the UTF-8 bytes of `content`, not the whole body', async () => {
    const { client, fixture } = await setup(() => ({
      json: { content, title: 'T', artifact_type: 'text/markdown' },
    }));
    const r = await client.getArtifactContent('claude_artifact_version_1', {
      expectedMd5: md5hex(bytes),
      expectedSize: bytes.length,
    });
    expect(r).toMatchObject({ md5: md5hex(bytes), sha256: sha(bytes), size: bytes.length });
    expect(r.record.title).toBe('T');
    expect(fixture.requests[0]!.path).toBe('/v1/compliance/apps/artifacts/claude_artifact_version_1/content');
  });

  it('retries then fails with checksum_mismatch when the content does not match', async () => {
    const { client, fixture } = await setup(() => ({
      json: { id: 'claude_proj_doc_1', content: 'changed' },
    }));
    await expect(
      client.getProjectDocument('claude_proj_doc_1', { expectedMd5: md5hex(bytes) }),
    ).rejects.toMatchObject({ code: 'checksum_mismatch' });
    expect(fixture.requests).toHaveLength(3);
  });
});
