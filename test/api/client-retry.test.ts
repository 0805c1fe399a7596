import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  createComplianceClient,
  createVirtualClock,
  type LedgerEntry,
} from '../../src/api/index.js';
import { ExportError } from '../../src/errors.js';
import { USER_AGENT } from '../../src/version.js';
import { errorBody, startFixture, type Fixture, type Reply } from './fixture-server.js';

const KEY = 'sk-ant-api01-fixture-SECRET-key-0123456789';
let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function setup(
  replies: Reply[] | ((i: number) => Reply),
  extra: { maxAttempts?: number; timeouts?: { headersMs?: number } } = {},
) {
  fixture = await startFixture((_req, i) =>
    typeof replies === 'function' ? replies(i) : (replies[i] ?? { json: {} }),
  );
  const clock = createVirtualClock();
  const ledger: LedgerEntry[] = [];
  const client = createComplianceClient({
    baseUrl: fixture.baseUrl,
    apiKey: KEY,
    clock,
    random: () => 0.5,
    ledger: (e) => ledger.push(e),
    requestsPerMinute: 600_000,
    ...(extra.maxAttempts === undefined ? {} : { retry: { maxAttempts: extra.maxAttempts } }),
    ...(extra.timeouts === undefined ? {} : { timeouts: extra.timeouts }),
  });
  return { client, clock, ledger, fixture };
}

const ok = (id: string): Reply => ({ json: { id, name: 'x', created_at: '2026-01-01T00:00:00Z' } });

describe('client transport and retries (fixture server)', () => {
  it('sends the key, anthropic-version and user-agent headers', async () => {
    const { client, fixture } = await setup([ok('rbac_role_1')]);
    const r = await client.getRole('org-uuid', 'rbac_role_1');
    expect(r.record.id).toBe('rbac_role_1');
    expect(r.requestId).toBe('req_1');
    expect(r.endpoint).toBe('/v1/compliance/organizations/org-uuid/roles/rbac_role_1');
    const h = fixture.requests[0]!.headers;
    expect(h['x-api-key']).toBe(KEY);
    expect(h['anthropic-version']).toBe('2023-06-01');
    expect(h['user-agent']).toBe(USER_AGENT);
    await client.close();
  });

  it('refuses http:// except to loopback, and rejects an empty key', () => {
    expect(() => createComplianceClient({ baseUrl: 'http://api.example.com', apiKey: KEY })).toThrow(
      expect.objectContaining({ code: 'insecure_base_url' }),
    );
    expect(() => createComplianceClient({ baseUrl: 'https://api.example.com', apiKey: ' ' })).toThrow(
      expect.objectContaining({ code: 'api_key_missing' }),
    );
    for (const ok of [
      'https://api.anthropic.com',
      'http://localhost:1',
      'http://127.0.0.2:9',
      'http://[::1]:3',
    ]) {
      const c = createComplianceClient({ baseUrl: ok, apiKey: KEY });
      void c.close();
    }
  });

  it('waits retry-after on a 429, pauses the shared budget, and retries the same query', async () => {
    const { client, clock, ledger, fixture } = await setup([
      { status: 429, headers: { 'retry-after': '25' }, json: errorBody('rate_limit_error', 'slow down') },
      { json: { data: [], has_more: false, first_id: null, last_id: null } },
    ]);
    const pages = [];
    for await (const p of client.listChats(
      { user_ids: ['user_1'], created_at: { gte: '2026-01-01T00:00:00Z' } },
      { resumeFrom: 'CUR' },
    ))
      pages.push(p);
    expect(fixture.requests.map((r) => r.url)).toEqual([
      '/v1/compliance/apps/chats?user_ids[]=user_1&created_at.gte=2026-01-01T00%3A00%3A00Z&after_id=CUR',
      '/v1/compliance/apps/chats?user_ids[]=user_1&created_at.gte=2026-01-01T00%3A00%3A00Z&after_id=CUR',
    ]);
    expect(clock.sleeps).toContain(25_000);
    expect(ledger.map((e) => [e.status, e.attempt, e.outcome, e.error])).toEqual([
      [429, 1, 'retry', 'rate_limit_error'],
      [200, 2, 'ok', null],
    ]);
    expect(client.stats()).toMatchObject({ requests: 2, retries: 1, rateLimited: 1, errors: 0 });
    await client.close();
  });

  /** A 429 whose retry-after is an HTTP-date `offsetMs` from the server's own Date header. */
  const limitedUntil = (offsetMs: number): Reply => {
    const now = Date.now(); // the server's clock; the client's (virtual) clock is days away from it
    return {
      status: 429,
      headers: {
        date: new Date(now).toUTCString(),
        'retry-after': new Date(now + offsetMs).toUTCString(),
      },
      json: errorBody('rate_limit_error', 'slow down'),
    };
  };

  it('honours a retry-after HTTP-date (RFC 9110 §10.2.3) as a wait, read against the server clock', async () => {
    const { client, clock, ledger, fixture } = await setup([limitedUntil(2_000), ok('g')]);
    expect((await client.getGroup('g')).record.id).toBe('g');
    expect(fixture.requests).toHaveLength(2);
    expect(ledger.map((e) => [e.status, e.outcome, e.retry_in_ms])).toEqual([
      [429, 'retry', 2_000],
      [200, 'ok', null],
    ]);
    // one wait of exactly that long (pacing at 600 000/min waits 0.1 ms): the paused budget adds none
    expect(clock.sleeps.filter((ms) => ms >= 1)).toEqual([2_000]);
    await client.close();
  });

  it('backs off exponentially when the retry-after HTTP-date is already past, instead of spinning', async () => {
    const { client, clock, ledger } = await setup([limitedUntil(-10_000), limitedUntil(-10_000), ok('g')]);
    expect((await client.getGroup('g')).record.id).toBe('g');
    expect(ledger.map((e) => [e.outcome, e.retry_in_ms])).toEqual([
      ['retry', 1_000],
      ['retry', 2_000],
      ['ok', null],
    ]);
    expect(clock.sleeps.filter((ms) => ms >= 1)).toEqual([1_000, 2_000]);
    await client.close();
  });

  it('retries 500, 502, 503, 504 and 529 with growing backoff', async () => {
    const statuses = [500, 502, 503, 504, 529];
    const { client, clock } = await setup(
      [...statuses.map((s) => ({ status: s, json: errorBody('api_error', 'boom') })), ok('g')],
      {
        maxAttempts: 10,
      },
    );
    const r = await client.getGroup('rbac_group_1');
    expect(r.record.id).toBe('g');
    expect(clock.sleeps.filter((s) => s >= 1000)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    await client.close();
  });

  it('does not retry a 500 with x-should-retry: false; the error names request and never the key', async () => {
    const { client, ledger } = await setup([
      {
        status: 500,
        headers: { 'x-should-retry': 'false', 'request-id': 'req_abc' },
        json: errorBody('api_error', `bad ${KEY}`),
      },
    ]);
    const error = await client.getProject('claude_proj_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const e = error as ApiError;
    expect(e).toMatchObject({
      code: 'api_error',
      status: 500,
      errorType: 'api_error',
      requestId: 'req_abc',
      attempts: 1,
      retryable: false,
    });
    expect(e.message).toContain('GET /v1/compliance/apps/projects/claude_proj_1');
    expect(e.message).toContain('500 api_error');
    expect(e.message).toContain('req_abc');
    expect(e.message).not.toContain(KEY);
    expect(ledger).toHaveLength(1);
    await client.close();
  });

  it.each([
    [400, 'invalid_request_error', 'api_error'],
    [401, 'authentication_error', 'api_key_rejected'],
    [403, 'permission_error', 'scope_missing'],
    [404, 'not_found_error', 'not_found'],
    [409, 'invalid_request_error', 'api_error'],
    [422, 'invalid_request_error', 'api_error'],
  ])('does not retry %i (%s) and maps it to code %s', async (status, type, code) => {
    const { client, fixture } = await setup([{ status, json: errorBody(type, 'nope') }]);
    await expect(client.getFileMetadata('claude_file_1')).rejects.toMatchObject({
      code,
      status,
      errorType: type,
    });
    expect(fixture.requests).toHaveLength(1);
    await client.close();
  });

  it('marks the temporary 404 "Local sessions are not available." retryable for a later run', async () => {
    const { client, fixture } = await setup([
      { status: 404, json: errorBody('not_found_error', 'Local sessions are not available.') },
      { status: 404, json: errorBody('not_found_error', 'Local session not found.') },
    ]);
    await expect(client.listLocalSessions().next()).rejects.toMatchObject({
      code: 'not_found',
      retryable: true,
    });
    await expect(client.getLocalSession('clls_1')).rejects.toMatchObject({
      code: 'not_found',
      retryable: false,
    });
    expect(fixture.requests).toHaveLength(2);
    await client.close();
  });

  it('keeps error.details.error_code (Code Artifacts 422)', async () => {
    const { client } = await setup([
      {
        status: 422,
        json: {
          error: {
            type: 'invalid_request_error',
            message: 'x',
            details: { error_code: 'multi_file_unavailable' },
          },
        },
      },
    ]);
    const chunks: Buffer[] = [];
    await expect(
      client.downloadCodeArtifactVersion('cart_1', 'v1', { write: (c: Buffer) => void chunks.push(c) }),
    ).rejects.toMatchObject({
      detailCode: 'multi_file_unavailable',
      status: 422,
    });
    await client.close();
  });

  it('gives up after maxAttempts with retries_exhausted, retryable', async () => {
    const { client, fixture, ledger } = await setup(
      () => ({ status: 503, json: errorBody('overloaded_error', 'busy') }),
      { maxAttempts: 3 },
    );
    await expect(client.listOrganizations().next()).rejects.toMatchObject({
      code: 'retries_exhausted',
      status: 503,
      attempts: 3,
      retryable: true,
    });
    expect(fixture.requests).toHaveLength(3);
    expect(ledger.map((e) => e.outcome)).toEqual(['retry', 'retry', 'error']);
    await client.close();
  });

  it('counts 429s apart from failures: a busy budget does not use up the fault retries', async () => {
    const limited: Reply = {
      status: 429,
      headers: { 'retry-after': '2' },
      json: errorBody('rate_limit_error', 'x'),
    };
    const { client, fixture, ledger } = await setup(
      [
        limited,
        limited,
        limited,
        { status: 503, json: errorBody('api_error', 'x') },
        limited,
        limited,
        ok('g'),
      ],
      { maxAttempts: 3 },
    );
    expect((await client.getGroup('g')).record.id).toBe('g');
    expect(fixture.requests).toHaveLength(7);
    expect(ledger.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await client.close();
  });

  it('gives up when the total retry time would exceed maxElapsedMs', async () => {
    fixture = await startFixture(() => ({
      status: 429,
      headers: { 'retry-after': '600' },
      json: errorBody('rate_limit_error', 'x'),
    }));
    const client = createComplianceClient({
      baseUrl: fixture.baseUrl,
      apiKey: KEY,
      clock: createVirtualClock(),
      retry: { maxElapsedMs: 120_000 },
    });
    await expect(client.getGroup('g')).rejects.toMatchObject({
      code: 'retries_exhausted',
      status: 429,
      attempts: 1,
    });
    await client.close();
  });

  it('retries a connection reset and a headers timeout', async () => {
    const { client, ledger } = await setup([{ reset: true }, { delayMs: 2_500, json: {} }, ok('g')], {
      timeouts: { headersMs: 200 },
    });
    const r = await client.getGroup('g');
    expect(r.record.id).toBe('g');
    expect(ledger.map((e) => e.error)).toEqual(['network', 'timeout', null]);
    await client.close();
  });

  it('reports a non-JSON 200 as invalid_response without retrying', async () => {
    const { client, fixture } = await setup([{ body: '<html>proxy</html>' }]);
    await expect(client.getGroup('g')).rejects.toMatchObject({ code: 'invalid_response' });
    expect(fixture.requests).toHaveLength(1);
    await client.close();
  });

  it('close() interrupts a request waiting in backoff', async () => {
    fixture = await startFixture(() => ({ status: 503, json: errorBody('overloaded_error', 'x') }));
    const client = createComplianceClient({
      baseUrl: fixture.baseUrl,
      apiKey: KEY,
      retry: { baseDelayMs: 60_000 },
    });
    const p = client.getGroup('g').catch((x: unknown) => x);
    await new Promise((r) => setTimeout(r, 100));
    await client.close();
    const e = await p;
    expect(e).toBeInstanceOf(ExportError);
    expect((e as ExportError).code).toBe('interrupted');
  });
});
