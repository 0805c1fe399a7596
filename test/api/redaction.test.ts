import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  createComplianceClient,
  createVirtualClock,
  type ComplianceClient,
  type LedgerEntry,
} from '../../src/api/index.js';
import { startFixture, type Fixture, type Reply } from './fixture-server.js';

/**
 * A server that echoes the key back in every string it controls. Nothing the client hands out
 * (errors, result fields, page request ids, ledger lines) may carry it, whole or in part.
 */
const KEY = 'sk-ant-api01-Zq3vR8kLm2Np5Tx7Wb9Yc4Hd6Jf1Gs0AeUiOo-AAbbCC';
const BARE = KEY.slice('sk-ant-api01-'.length);
const FRAGMENT = KEY.slice(20, 36); // 16 characters from the middle
const pct = (s: string): string =>
  [...Buffer.from(s)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

let fixture: Fixture | undefined;
let client: ComplianceClient | undefined;
afterEach(async () => {
  await client?.close();
  await fixture?.close();
  fixture = client = undefined;
});

const echoingError = (status: number): Reply => ({
  status,
  // A 503 is retried anyway; the 400 that follows must be final (x-should-retry: true would retry it).
  headers: { 'request-id': `req_${KEY}`, 'x-should-retry': status >= 500 ? 'true' : 'false' },
  json: {
    error: {
      type: BARE,
      message: `invalid x-api-key ${KEY} (starts ${FRAGMENT})`,
      details: { error_code: `code_${FRAGMENT}_x` },
    },
  },
});

function route(path: string, i: number): Reply {
  if (path.endsWith('/groups/g_bad')) return i === 0 ? echoingError(503) : echoingError(400);
  if (path.endsWith('/files/f_ok/content')) {
    return {
      headers: {
        'request-id': `req_${BARE}`,
        'content-type': `text/plain; charset=${FRAGMENT}`,
        'content-disposition': `attachment; filename*=utf-8''${pct(KEY)}.txt`,
      },
      body: 'hello',
    };
  }
  if (path.endsWith('/files/f_md5/content')) {
    return { headers: { 'content-md5': KEY, 'request-id': `req_${FRAGMENT}` }, body: 'hello' };
  }
  if (path.endsWith('/organizations')) {
    // a walk that loops on a token made of the key
    return {
      headers: { 'request-id': `req_${KEY}` },
      json: { data: [{ id: 'org' }], next_page: KEY },
    };
  }
  return { headers: { 'request-id': `req_${KEY}` }, json: { data: [{ id: 'u1' }], next_page: null } };
}

function describeError(e: unknown): string[] {
  expect(e).toBeInstanceOf(ApiError);
  const a = e as ApiError;
  return [
    a.message,
    JSON.stringify(a),
    JSON.stringify([a.errorType, a.detailCode, a.requestId, a.target, a.host, a.networkCause]),
    a.cause instanceof Error ? `${a.cause.name}: ${a.cause.message}` : '',
  ];
}

describe('the key never leaves the client, even when the server echoes it', () => {
  it('is redacted from errors, result fields, page request ids and ledger lines', async () => {
    fixture = await startFixture((req, i) => {
      const url = new URL(req.url, 'http://x');
      return route(url.pathname, i);
    });
    const ledger: LedgerEntry[] = [];
    client = createComplianceClient({
      baseUrl: fixture.baseUrl,
      apiKey: KEY,
      clock: createVirtualClock(),
      random: () => 0.5,
      requestsPerMinute: 1e6,
      retry: { maxAttempts: 2 },
      ledger: (e) => ledger.push(e),
    });
    const out: string[] = [];
    const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

    // an HTTP error whose body and headers echo the key (retried once, then final)
    const httpError = await client.getGroup('g_bad').catch((e: unknown) => e);
    expect(httpError).toMatchObject({ code: 'api_error', status: 400, attempts: 2 });
    out.push(...describeError(httpError));

    // a download whose headers echo it; the filename decodes to it
    const r = await client.downloadFile('f_ok', sink);
    expect(r.size).toBe(5);
    out.push(JSON.stringify(r));

    // a checksum failure whose message is built from a header that carries it
    const md5Error = await client.downloadFile('f_md5', sink).catch((e: unknown) => e);
    expect(md5Error).toMatchObject({ code: 'checksum_mismatch' });
    out.push(...describeError(md5Error));

    // page request ids, and a loop error that names a token made of the key
    for await (const page of client.listUsers('org-uuid')) out.push(String(page.requestId), page.query);
    const loop = await (async () => {
      for await (const page of client.listOrganizations()) out.push(String(page.requestId));
    })().catch((e: unknown) => e);
    expect(loop).toMatchObject({ code: 'pagination_loop' });
    out.push(...describeError(loop));

    out.push(...ledger.map((l) => JSON.stringify(l)));
    expect(ledger.length).toBeGreaterThanOrEqual(7);
    const text = out.join('\n');
    expect(text).toContain('[REDACTED]'); // the echoes were there, and were masked
    expect(text.includes(KEY)).toBe(false);
    expect(text.includes(BARE)).toBe(false);
    expect(text.includes(FRAGMENT)).toBe(false);
  });
});
