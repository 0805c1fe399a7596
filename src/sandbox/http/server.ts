/**
 * The HTTP core on plain `node:http`. Every request goes through `handleRequest`, in the order
 * route → authenticate (no quota) → limiter → authorize (403 costs a unit) → query validation →
 * handler → `send`. Latency and fault injection (issue 3) hook in at `send`/`handleRequest`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { authenticate, authorize } from './auth.js';
import type { Reply, RequestContext, Route, SandboxState } from './context.js';
import { ApiError, notFound } from './errors.js';
import { Query } from './query.js';

export interface CompiledRoute {
  route: Route;
  segments: string[];
  literals: number;
}

export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  return routes.map((route) => {
    const segments = route.template.split('/').slice(1);
    return { route, segments, literals: segments.filter((s) => !s.startsWith('{')).length };
  });
}

/** Best match: same method and length, every literal equal, most literals wins. */
export function matchRoute(
  compiled: readonly CompiledRoute[],
  method: string,
  parts: readonly string[],
): { route: Route; params: Record<string, string> } | null {
  let best: CompiledRoute | null = null;
  let bestParams: Record<string, string> = {};
  for (const c of compiled) {
    if (c.route.method !== method || c.segments.length !== parts.length) continue;
    if (best !== null && c.literals <= best.literals) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = c.segments[i] ?? '';
      const part = parts[i] ?? '';
      if (seg.startsWith('{')) {
        if (part === '') ok = false;
        else params[seg.slice(1, -1)] = part;
      } else if (seg !== part) ok = false;
    }
    if (ok) {
      best = c;
      bestParams = params;
    }
  }
  return best === null ? null : { route: best.route, params: bestParams };
}

export type SandboxHandler = (url: URL, state: SandboxState) => Reply | null;

export function createSandboxServer(
  state: SandboxState,
  routes: readonly Route[],
  sandboxRoutes: SandboxHandler,
): Server {
  const compiled = compileRoutes(routes);
  return createServer((req, res) => {
    handleRequest(state, compiled, sandboxRoutes, req, res);
  });
}

function nextRequestId(state: SandboxState): string {
  state.requestSeq++;
  return `req_011CV${state.requestSeq.toString(36).padStart(8, '0')}${(state.world.seed >>> 0).toString(36)}`;
}

function count(state: SandboxState, template: string, status: number): void {
  state.stats.total++;
  if (status === 429) state.stats.rateLimited++;
  const byStatus = (state.stats.byRoute[template] ??= {});
  byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
}

export function handleRequest(
  state: SandboxState,
  compiled: readonly CompiledRoute[],
  sandboxRoutes: SandboxHandler,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const requestId = nextRequestId(state);
  res.setHeader('request-id', requestId);
  const url = new URL(req.url ?? '/', 'http://sandbox.local');
  const method = req.method ?? 'GET';
  // Requests with a body are not part of this API; drain it so keep-alive connections stay usable.
  req.resume();

  if (url.pathname.startsWith('/_sandbox/')) {
    const reply = method === 'GET' ? sandboxRoutes(url, state) : null;
    send(res, reply ?? { kind: 'json', status: 404, body: notFound().body() }, {});
    return;
  }

  let parts: string[];
  try {
    parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    parts = [];
  }
  const match = matchRoute(compiled, method, parts);
  if (match === null) {
    count(state, '(unmatched)', 404);
    send(res, { kind: 'json', status: 404, body: notFound().body() }, {});
    return;
  }
  const { route, params } = match;
  const rateHeaders: Record<string, string> = {};
  let status = 500;
  try {
    const header = req.headers['x-api-key'];
    const principal = authenticate(state.world, route, Array.isArray(header) ? header[0] : header);
    if (state.limiter.enabled) {
      const d = state.limiter.take();
      rateHeaders['anthropic-ratelimit-requests-limit'] = String(d.limit);
      rateHeaders['anthropic-ratelimit-requests-remaining'] = String(d.remaining);
      rateHeaders['anthropic-ratelimit-requests-reset'] = new Date(d.resetAt)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
      if (!d.allowed) {
        throw new ApiError(
          429,
          'rate_limit_error',
          `Compliance API rate limit of ${d.limit} requests per minute per parent organization has been exceeded. Retry after the time indicated by the retry-after header. Quote the request-id response header when contacting Anthropic support.`,
          { headers: { 'retry-after': String(d.retryAfterSeconds) } },
        );
      }
    }
    authorize(principal, route);
    const query = new Query(url.searchParams.entries(), route.params ?? {});
    const ctx: RequestContext = { state, method, url, params, query, principal, requestId, now: state.now() };
    const reply = route.handle(ctx);
    status = reply.kind === 'json' ? (reply.status ?? 200) : 200;
    send(res, reply, rateHeaders);
  } catch (error) {
    const e = error instanceof ApiError ? error : new ApiError(500, 'api_error', 'Internal server error');
    if (!(error instanceof ApiError))
      process.stderr.write(`sandbox: ${(error as Error).stack ?? String(error)}\n`);
    status = e.status;
    send(res, { kind: 'json', status: e.status, body: e.body() }, { ...rateHeaders, ...e.headers });
  }
  count(state, route.template, status);
}

export function send(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (reply.kind === 'json') {
    const body = Buffer.from(JSON.stringify(reply.body), 'utf8');
    res.writeHead(reply.status ?? 200, {
      'content-type': 'application/json',
      'content-length': String(body.length),
    });
    res.end(body);
    return;
  }
  // No Content-Length: node:http answers HTTP/1.1 with Transfer-Encoding: chunked (§3.10).
  res.writeHead(200, { ...reply.headers, 'transfer-encoding': 'chunked' });
  const stream = Readable.from(reply.chunks, { objectMode: false });
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
