import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type ComplianceClientOptions } from '../../src/api/index.js';
import { stageDownload, type CollectContext } from '../../src/collect/context.js';
import { openStore, type StagingStore } from '../../src/store/index.js';
import { startFixture, type Fixture, type Reply, fixtureClient } from './fixture-server.js';

/** Downloads are bounded in bytes (listed size + slack, or a cap) and in time. */
const KEY = 'sk-ant-api01-download-limits-SECRET-0123456789';
const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = Buffer.alloc(64 * KiB, 0x61);

let fixture: Fixture | undefined;
let store: StagingStore | undefined;
let dir: string | undefined;
afterEach(async () => {
  await fixture?.close();
  await store?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  fixture = store = dir = undefined;
});

async function setup(reply: (i: number) => Reply, extra: Partial<ComplianceClientOptions> = {}) {
  fixture = await startFixture((_r, i) => reply(i));
  const { client, ledger } = fixtureClient(fixture, KEY, { retry: { maxAttempts: 3 }, ...extra });
  return { client, fixture, ledger };
}

/** A sink factory that counts each attempt's bytes and whether it was committed or destroyed. */
function countingSinks() {
  const attempts: { bytes: number; finished: boolean; destroyed: boolean }[] = [];
  const factory = (): Writable => {
    const rec = { bytes: 0, finished: false, destroyed: false };
    attempts.push(rec);
    const w = new Writable({
      write(chunk: Buffer, _enc, cb) {
        rec.bytes += chunk.length;
        cb();
      },
    });
    w.on('finish', () => (rec.finished = true));
    w.on('close', () => (rec.destroyed = !rec.finished));
    return w;
  };
  return { attempts, factory };
}

const endless = (max: number): Reply => ({
  headers: { 'content-type': 'application/octet-stream' },
  stream: { chunk: CHUNK, max },
});

describe('download onto a full disk', () => {
  it('a write refused later (ENOSPC from /dev/full, the body still trickling) fails the download as disk_full; the process lives', async () => {
    // The file stream accepts the first chunk and fails it on the disk while the server waits 50 ms
    // before the next: the error must reach the download, not crash the process as an unhandled
    // 'error' event, and a refused write must not leave it waiting for a 'drain' that never comes.
    const { client, fixture } = await setup(() => ({
      headers: { 'content-type': 'application/octet-stream' },
      // 1 KiB chunks: each write is under the stream's high-water mark, so nothing waits on it.
      stream: { chunk: Buffer.alloc(KiB, 0x63), max: 8, everyMs: 50 },
    }));
    const crashes: unknown[] = [];
    const onCrash = (e: unknown): void => void crashes.push(e);
    process.on('uncaughtException', onCrash);
    try {
      await expect(
        client.downloadFile('claude_file_1', () => createWriteStream('/dev/full', { flush: true }), {
          expectedSize: 8 * KiB,
        }),
      ).rejects.toMatchObject({ code: 'disk_full' });
    } finally {
      process.off('uncaughtException', onCrash);
    }
    expect(crashes).toEqual([]);
    expect(fixture.requests).toHaveLength(1);
  });
});

describe('download size bounds', () => {
  it('stops a body that runs past its listed size plus the 16 MiB slack: response_too_large, not retried, sink discarded', async () => {
    // listed at 37 bytes; the server would send 40 MiB (its own limit, so a broken client ends)
    const { client, fixture, ledger } = await setup(() => endless(640));
    const { attempts, factory } = countingSinks();
    await expect(
      client.downloadFile('claude_file_1', factory, { expectedSize: 37, expectedMd5: 'f'.repeat(32) }),
    ).rejects.toMatchObject({
      code: 'response_too_large',
      failure: 'too_large',
      attempts: 1,
      retryable: false,
    });
    expect(fixture.requests).toHaveLength(1);
    await fixture.settled();
    expect(fixture.served[0]!.dropped).toBe(true);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ finished: false, destroyed: true });
    expect(attempts[0]!.bytes).toBeLessThanOrEqual(16 * MiB + 37);
    expect(ledger[0]!.bytes).toBeLessThanOrEqual(16 * MiB + 37 + 64 * KiB);
  });

  it('accepts a served copy that differs from the listing within the slack (§3.10)', async () => {
    const body = Buffer.alloc(3 * MiB, 0x62); // listed 1 MiB: a processed copy, 3x the size
    const md5 = createHash('md5').update(body).digest('base64');
    const { client } = await setup(() => ({ headers: { 'content-md5': md5 }, body }));
    const { factory } = countingSinks();
    const r = await client.downloadFile('claude_file_1', factory, { expectedSize: MiB });
    expect(r).toMatchObject({ size: 3 * MiB, metadataMismatch: { size: MiB } });
  });

  it('caps a download with no listed size at limits.downloadBytes', async () => {
    const { client, fixture } = await setup(() => endless(640), { limits: { downloadBytes: MiB } });
    const { attempts, factory } = countingSinks();
    await expect(client.downloadCodeArtifactContent('cart_1', factory)).rejects.toMatchObject({
      code: 'response_too_large',
      attempts: 1,
    });
    expect(fixture.requests).toHaveLength(1);
    expect(attempts[0]!.bytes).toBeLessThanOrEqual(MiB);
  });

  it('refuses a Content-Length past the allowance before opening the sink', async () => {
    const { client, fixture } = await setup(() => ({
      headers: { 'content-length': String(2 * 1024 * MiB) },
      chunks: ['abc'],
      truncate: true,
    }));
    const { attempts, factory } = countingSinks();
    await expect(client.downloadFile('claude_file_1', factory, { expectedSize: 37 })).rejects.toMatchObject({
      code: 'response_too_large',
      attempts: 1,
    });
    expect(fixture.requests).toHaveLength(1);
    expect(attempts).toHaveLength(0);
  });

  it('leaves no temp file behind when staged through the collect stage (stageDownload)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ce-dl-limits-'));
    store = await openStore({ stateDir: dir, jobName: 'job', specSha256: 'a'.repeat(64) });
    const tmp = dirname(store.blobs.tempPath());
    const { client } = await setup(() => endless(640));
    const ctx = { store, signal: undefined } as Pick<CollectContext, 'store' | 'signal'> as CollectContext;
    await expect(
      stageDownload(ctx, 'files/x', (sink, expect) => client.downloadFile('claude_file_1', sink, expect), {
        expectedSize: 37,
      }),
    ).rejects.toMatchObject({ code: 'response_too_large' });
    expect(await readdir(tmp)).toEqual([]);
  });
});

describe('download deadline', () => {
  it('gives up on a body that trickles past the overall deadline, as a retried timeout', async () => {
    const { client, fixture, ledger } = await setup(
      () => ({ stream: { chunk: 'z', max: 100_000, everyMs: 20 } }),
      {
        limits: { downloadBytes: 16 * KiB }, // 16 KiB at 128 KiB/s: the 300 ms minimum rules
        timeouts: { downloadTotalMs: 300, bodyIdleMs: 60_000 },
        retry: { maxAttempts: 2 },
      },
    );
    const { attempts, factory } = countingSinks();
    await expect(client.downloadFile('claude_file_1', factory, { expectedSize: 10 })).rejects.toMatchObject({
      code: 'timeout',
      failure: 'timeout',
      attempts: 2,
    });
    expect(fixture.requests).toHaveLength(2);
    expect(attempts.map((a) => a.destroyed)).toEqual([true, true]);
    expect(ledger.map((e) => e.error)).toEqual(['timeout', 'timeout']);
  });
});
