import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny node:http server for the sharp cases the sandbox may not produce on demand: exact 429 /
 * 5xx sequences, truncated chunked bodies, wrong Content-MD5, connection resets, stalls.
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
}

export interface Fixture {
  baseUrl: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export function errorBody(type: string, message: string): { error: { type: string; message: string } } {
  return { error: { type, message } };
}

export async function startFixture(
  handler: (req: RecordedRequest, index: number) => Reply | Promise<Reply>,
): Promise<Fixture> {
  const requests: RecordedRequest[] = [];
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
