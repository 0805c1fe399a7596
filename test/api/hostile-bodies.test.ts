import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type ComplianceClientOptions } from '../../src/api/index.js';
import { startFixture, type Fixture, type Reply, fixtureClient } from './fixture-server.js';

/** JSON and error bodies from a server that does not stop: capped, cut off, not retried. */
const KEY = 'sk-ant-api01-hostile-bodies-SECRET-0123456789';
const KiB = 1024;
const CHUNK = Buffer.alloc(16 * KiB, 0x20); // JSON whitespace: valid inside an array

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function setup(reply: (i: number) => Reply, extra: Partial<ComplianceClientOptions> = {}) {
  fixture = await startFixture((_r, i) => reply(i));
  const { client, ledger } = fixtureClient(fixture, KEY, { retry: { maxAttempts: 3 }, ...extra });
  return { client, fixture, ledger };
}

/** `{"data":[` then whitespace for ever (up to `max` chunks, so a broken client cannot fill the disk). */
const endlessPage = (max: number): Reply => ({
  headers: { 'content-type': 'application/json' },
  chunks: ['{"data":['],
  stream: { chunk: CHUNK, max },
});

describe('JSON bodies are capped', () => {
  it('cuts a never-ending page at the cap: response_too_large after one attempt, connection dropped', async () => {
    const cap = 256 * KiB;
    // 64 MiB at most; a client without a cap reads it all and then fails differently
    const { client, fixture, ledger } = await setup(() => endlessPage(4096), { limits: { jsonBytes: cap } });
    const error = await client
      .listChats({ limit: 10 })
      .next()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'response_too_large', failure: 'too_large', attempts: 1 });
    expect(fixture.requests).toHaveLength(1);
    await fixture.settled();
    expect(fixture.served[0]!.dropped).toBe(true);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ outcome: 'error', error: 'too_large' });
    // undici hands over up to 64 KiB at a time: at most one read past the cap
    expect(ledger[0]!.bytes).toBeLessThanOrEqual(cap + 64 * KiB);
    await client.close();
  });

  it('refuses a Content-Length past the cap before reading the body', async () => {
    const { client, fixture, ledger } = await setup(
      () => ({
        headers: { 'content-length': String(10 * 1024 * KiB) },
        chunks: ['{"id":"g"'],
        truncate: true,
      }),
      { limits: { jsonBytes: 1024 * KiB } },
    );
    await expect(client.getGroup('rbac_group_1')).rejects.toMatchObject({
      code: 'response_too_large',
      attempts: 1,
    });
    expect(fixture.requests).toHaveLength(1);
    expect(ledger[0]!.bytes).toBe(0);
    await client.close();
  });

  it('applies the same cap to artifact and document content (fetchTextContent)', async () => {
    const { client, fixture } = await setup(
      () => ({ chunks: ['{"content":"'], stream: { chunk: 'x'.repeat(16 * KiB), max: 4096 } }),
      { limits: { jsonBytes: 128 * KiB } },
    );
    await expect(client.getArtifactContent('claude_artifact_version_1')).rejects.toMatchObject({
      code: 'response_too_large',
      attempts: 1,
    });
    await fixture.settled();
    expect(fixture.served[0]!.dropped).toBe(true);
    await client.close();
  });

  it('reads only the first 64 KiB of an error body, then drops the connection', async () => {
    const { client, fixture, ledger } = await setup(() => ({
      status: 400,
      headers: { 'content-type': 'application/json' },
      chunks: ['{"error":{"type":"invalid_request_error","message":"'],
      stream: { chunk: 'y'.repeat(16 * KiB), max: 4096 },
    }));
    await expect(client.getGroup('rbac_group_1')).rejects.toMatchObject({ code: 'api_error', status: 400 });
    await fixture.settled();
    expect(fixture.served[0]!.dropped).toBe(true);
    expect(ledger[0]!.bytes).toBeLessThanOrEqual(64 * KiB + 64 * KiB);
    await client.close();
  });
});

describe('every JSON attempt has an overall deadline', () => {
  it('gives up on a body that trickles (never idle long enough for the idle timeout) and retries it as a timeout', async () => {
    const { client, fixture, ledger } = await setup(
      () => ({ chunks: ['{"data":['], stream: { chunk: ' ', max: 100_000, everyMs: 20 } }),
      { timeouts: { totalMs: 300, bodyIdleMs: 60_000 }, retry: { maxAttempts: 2 } },
    );
    await expect(client.listChats({ limit: 10 }).next()).rejects.toMatchObject({
      code: 'timeout',
      failure: 'timeout',
      attempts: 2,
      retryable: true,
    });
    expect(fixture.requests).toHaveLength(2);
    await fixture.settled();
    expect(fixture.served.map((s) => s.dropped)).toEqual([true, true]);
    expect(ledger.map((e) => [e.outcome, e.error])).toEqual([
      ['retry', 'timeout'],
      ['error', 'timeout'],
    ]);
    await client.close();
  });
});
