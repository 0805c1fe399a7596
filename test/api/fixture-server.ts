import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createComplianceClient,
  createVirtualClock,
  type ComplianceClient,
  type ComplianceClientOptions,
  type LedgerEntry,
} from '../../src/api/index.js';

/**
 * A tiny node:http server for the sharp cases the sandbox may not produce on demand: exact 429 /
 * 5xx sequences, truncated chunked bodies, wrong Content-MD5, connection resets, stalls, bodies
 * that never end or trickle a byte at a time.
 */
export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string | Buffer;
  /** Send these chunks with chunked encoding... */
  chunks?: (string | Buffer)[];
  /** ...then cut the connection without the terminating chunk. */
  truncate?: boolean;
  /** Destroy the socket without any response. */
  reset?: boolean;
  /** Wait before sending headers. */
  delayMs?: number;
  /**
   * After `chunks` (if any), write `chunk` again and again (obeying backpressure, `everyMs` apart
   * when given) until the client drops the connection or `max` writes, then end. `max` keeps a test
   * of a broken client from filling the machine.
   */
  stream?: { chunk: string | Buffer; max: number; everyMs?: number };
}

/** How a response ended, from the server's side. */
export interface Served {
  /** Body bytes written (accepted by the socket). */
  bytes: number;
  /** True when the client closed the connection before the body was complete. */
  dropped: boolean;
}

export interface Fixture {
  baseUrl: string;
  requests: RecordedRequest[];
  /** One entry per response with a `stream`, in request order. */
  served: Served[];
  /** Resolves once every `stream` response so far has ended or been dropped. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export function errorBody(type: string, message: string): { error: { type: string; message: string } } {
  return { error: { type, message } };
}

export async function startFixture(
  handler: (req: RecordedRequest, index: number) => Reply | Promise<Reply>,
): Promise<Fixture> {
  const requests: RecordedRequest[] = [];
  const served: Served[] = [];
  const streaming: Promise<void>[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
    };
    requests.push(recorded);
    void (async () => {
      const reply = await handler(recorded, requests.length - 1);
      if (reply.delayMs !== undefined) await new Promise((r) => setTimeout(r, reply.delayMs));
      if (reply.reset === true) {
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = { 'request-id': `req_${requests.length}`, ...reply.headers };
      if (reply.stream !== undefined) {
        const record: Served = { bytes: 0, dropped: false };
        served.push(record);
        res.writeHead(reply.status ?? 200, headers);
        const done = streamBody(res, repeat(reply.chunks ?? [], reply.stream), record, reply.stream.everyMs);
        streaming.push(done);
        await done;
        return;
      }
      if (reply.chunks !== undefined) {
        res.writeHead(reply.status ?? 200, headers);
        for (const chunk of reply.chunks) res.write(chunk);
        if (reply.truncate === true) {
          // flush what was written, then drop the connection mid-body
          setTimeout(() => req.socket.destroy(), 20);
        } else {
          res.end();
        }
        return;
      }
      let body: string | Buffer = reply.body ?? '';
      if (reply.json !== undefined) {
        body = JSON.stringify(reply.json);
        headers['content-type'] ??= 'application/json';
      }
      res.writeHead(reply.status ?? 200, headers);
      res.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    served,
    settled: async () => {
      await Promise.all(streaming);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function* repeat(
  first: (string | Buffer)[],
  stream: { chunk: string | Buffer; max: number },
): Generator<string | Buffer> {
  yield* first;
  for (let i = 0; i < stream.max; i++) yield stream.chunk;
}

/** Write chunks until done or the client goes away; note which. */
async function streamBody(
  res: ServerResponse,
  chunks: Iterable<string | Buffer>,
  record: Served,
  everyMs: number | undefined,
): Promise<void> {
  let gone = false;
  const closed = new Promise<void>((resolve) =>
    res.on('close', () => {
      gone = true;
      if (!res.writableFinished) record.dropped = true;
      resolve();
    }),
  );
  for (const chunk of chunks) {
    if (gone) break;
    if (everyMs !== undefined) await new Promise((r) => setTimeout(r, everyMs));
    if (gone) break;
    const ok = res.write(chunk);
    record.bytes += Buffer.byteLength(chunk);
    if (!ok && !gone) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!gone) res.end();
  await closed;
}

/**
 * A client of a fixture on a virtual clock (backoff never really sleeps), no jitter, no budget to
 * speak of, its ledger kept in memory. `extra` overrides any of that (retry policy, limits...).
 */
export function fixtureClient(
  fixture: Fixture,
  apiKey: string,
  extra: Partial<ComplianceClientOptions> = {},
): { client: ComplianceClient; ledger: LedgerEntry[] } {
  const ledger: LedgerEntry[] = [];
  const client = createComplianceClient({
    baseUrl: fixture.baseUrl,
    apiKey,
    clock: createVirtualClock(),
    random: () => 0.5,
    requestsPerMinute: 1e6,
    ledger: (e) => ledger.push(e),
    ...extra,
  });
  return { client, ledger };
}
