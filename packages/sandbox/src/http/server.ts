/**
 * The HTTP core on plain `node:http`. Every request goes through `handleRequest`, in the order
 * route → authenticate (no quota) → limiter → authorize (403 costs a unit) → query validation →
 * handler → `send`. Latency and fault injection hook in at `send`/`handleRequest`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { authenticate, authorize } from './auth.js';
import type { Reply, RequestContext, Route, SandboxState } from './context.js';
import { ApiError, notFound } from './errors.js';
import { TRANSIENT_BODIES } from '../faults.js';
import type { TransientKind } from '../scenario.js';
import { rateHeaders as rateHeadersOf, rateLimited } from './rate-headers.js';
import { buildZip } from '../zip.js';
import { addActivity, apiActor } from '../mutate.js';
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

export type SandboxHandler = (url: URL, state: SandboxState, method: string) => Reply | null;

export function createSandboxServer(
  state: SandboxState,
  routes: readonly Route[],
  sandboxRoutes: SandboxHandler,
): Server {
  const compiled = compileRoutes(routes);
  return createServer((req, res) => {
    handleRequest(state, compiled, sandboxRoutes, req, res).catch((error: unknown) => {
      process.stderr.write(`sandbox: ${(error as Error).stack ?? String(error)}\n`);
      res.destroy();
    });
  });
}

function nextRequestId(state: SandboxState): string {
  state.requestSeq++;
  return `req_011CV${state.requestSeq.toString(36).padStart(8, '0')}${(state.world.seed >>> 0).toString(36)}`;
}

function count(state: SandboxState, template: string, status: number | string): void {
  state.stats.total++;
  if (status === 429) state.stats.rateLimited++;
  const byStatus = (state.stats.byRoute[template] ??= {});
  byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function handleRequest(
  state: SandboxState,
  compiled: readonly CompiledRoute[],
  sandboxRoutes: SandboxHandler,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // Live mutations and index catch-ups due by now happen before anything reads the world.
  state.live.advance(state.now());
  const requestId = nextRequestId(state);
  res.setHeader('request-id', requestId);
  // The sandbox's own clock, so HTTP-dates it sends (retry-after) read right against it.
  res.setHeader('date', new Date(state.now()).toUTCString());
  const url = new URL(req.url ?? '/', 'http://sandbox.local');
  const method = req.method ?? 'GET';
  // Requests with a body are not part of this API; drain it so keep-alive connections stay usable.
  req.resume();

  if (url.pathname.startsWith('/_sandbox/')) {
    const reply = sandboxRoutes(url, state, method);
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
  let keyId: string | null = null;
  const done = (st: number | string): void => {
    count(state, route.template, st);
    if (keyId !== null && state.activities.apiAccessEvents === true) {
      recordAccess(state, keyId, requestId, method, typeof st === 'number' ? st : 0, url);
    }
  };
  let rateHeaders: Record<string, string> = {};
  let status = 500;
  try {
    const header = req.headers['x-api-key'];
    const principal = authenticate(state.world, route, Array.isArray(header) ? header[0] : header);
    keyId = principal.key.id;
    // Every authenticated response carries the headers, an unlimited sandbox's too (§5.8).
    const d = state.limiter.take();
    rateHeaders = rateHeadersOf(d);
    if (!d.allowed) {
      throw rateLimited(
        { limit: d.limit, resetAt: d.resetAt, retryAfterSeconds: d.retryAfterSeconds, now: state.now() },
        state.quirks,
      );
    }
    // The remote-session endpoints also draw on a second, undocumented per-parent budget whose
    // 429 always says `retry-after: 1` (a floor, not the real reset) (§5.8).
    if (state.remoteLimiter !== null && route.template.startsWith('/v1/compliance/apps/sessions/remote')) {
      if (!state.remoteLimiter.take().allowed) {
        throw new ApiError(
          429,
          'rate_limit_error',
          'Rate limit exceeded for remote session requests. Retry later.',
          {
            headers: { 'retry-after': '1' },
          },
        );
      }
    }
    authorize(principal, route);
    const query = new Query(url.searchParams.entries(), route.params ?? {});
    const ctx: RequestContext = { state, method, url, params, query, principal, requestId, now: state.now() };
    const plan = state.faults?.plan(`${method} ${url.pathname}${url.search}`) ?? null;
    if (plan !== null && plan.latencyMs > 0) await sleep(plan.latencyMs);
    const transient = plan?.transient ?? null;
    if (transient !== null && transient !== 'reset' && transient !== 'truncate') {
      throw transientError(state, transient);
    }
    checkPermanentFaults(state, route, params);
    const reply = route.handle(ctx);
    if (transient === 'reset' || (transient === 'truncate' && reply.kind === 'json')) {
      done('reset');
      res.socket?.destroy();
      return;
    }
    status = reply.kind === 'json' ? (reply.status ?? 200) : 200;
    if (
      reply.kind === 'stream' &&
      state.faults !== null &&
      state.faults.badMd5.has(params.claude_file_id ?? '')
    ) {
      // A Content-MD5 that never matches the bytes (a permanent fault).
      reply.headers['content-md5'] = Buffer.from('0123456789abcdef').toString('base64');
    }
    if (
      reply.kind === 'stream' &&
      state.faults !== null &&
      state.faults.processed.has(params.claude_file_id ?? '')
    ) {
      processedCopy(reply);
    }
    if (
      reply.kind === 'stream' &&
      state.faults !== null &&
      state.faults.unsafeZip.has(`${params.artifact_id ?? ''}/${params.version_id ?? ''}`)
    ) {
      hostileZip(reply, `${params.artifact_id ?? ''}-${params.version_id ?? ''}`, state.now());
    }
    send(res, reply, rateHeaders, transient === 'truncate');
    if (transient === 'truncate') {
      done('truncated');
      return;
    }
  } catch (error) {
    const e = error instanceof ApiError ? error : new ApiError(500, 'api_error', 'Internal server error');
    if (!(error instanceof ApiError))
      process.stderr.write(`sandbox: ${(error as Error).stack ?? String(error)}\n`);
    status = e.status;
    send(res, { kind: 'json', status: e.status, body: e.body() }, { ...rateHeaders, ...e.headers });
  }
  done(status);
}

/**
 * Serve what claude.ai stored instead of the upload (§3.10 newest): the bytes with a marker line
 * appended, so size and md5 differ from the metadata, and a Content-MD5 over what is served.
 */
function processedCopy(reply: Extract<Reply, { kind: 'stream' }>): void {
  const body = Buffer.concat([...reply.chunks, Buffer.from('\n[stored as a processed copy]\n')]);
  reply.chunks = [body];
  reply.headers['content-md5'] = createHash('md5').update(body).digest('base64');
}

/**
 * A ZIP whose entries try to escape wherever it is extracted (`../`, an absolute path), with the
 * index a well-formed version has, so only the names are wrong.
 */
function hostileZip(reply: Extract<Reply, { kind: 'stream' }>, folder: string, now: number): void {
  const entries = [
    { name: `${folder}/files/index.html`, data: Buffer.from('<p>hello</p>\n') },
    { name: '../../escape.sh', data: Buffer.from('echo pwned\n') },
    { name: '/etc/cron.d/evil', data: Buffer.from('* * * * * root true\n') },
    { name: `${folder}/files.json`, data: Buffer.from('{"files":["files/index.html"]}\n') },
  ];
  reply.chunks = [buildZip(entries, now)];
}

/**
 * `compliance_api_accessed` for an authenticated request (§3.7), when the scenario asks for it.
 * It is subject to the activity lag like any event, so a feed walk cannot chase its own tail.
 */
function recordAccess(
  state: SandboxState,
  keyId: string,
  requestId: string,
  method: string,
  status: number,
  url: URL,
): void {
  addActivity(state.world, {
    type: 'compliance_api_accessed',
    createdAt: state.now(),
    orgUuid: null,
    actor: apiActor(keyId),
    fields: {
      request_id: requestId,
      request_method: method,
      status_code: status,
      url: `${url.pathname}${url.search}`,
      request_body: null,
    },
  });
}

/** The error reply of a transient fault (§5.9; 429 and 409 only when named in transientKinds). */
function transientError(state: SandboxState, kind: Exclude<TransientKind, 'reset' | 'truncate'>): ApiError {
  if (kind === '429') {
    // someone else on the parent spent the shared budget: the next slot frees in 2 s
    const now = state.now();
    return rateLimited(
      { limit: state.limiter.limit, resetAt: now + 2_000, retryAfterSeconds: 2, now },
      state.quirks,
    );
  }
  if (kind === '409') {
    // a status a client would not retry on its own, marked transient by the server
    return new ApiError(409, 'invalid_request_error', 'The request conflicted with another in progress.', {
      headers: { 'x-should-retry': 'true' },
    });
  }
  const b = TRANSIENT_BODIES[kind];
  return new ApiError(Number(kind), b.type, b.message);
}

/** Items that always fail (500, x-should-retry: false) and versions still "in flight" (503). */
function checkPermanentFaults(state: SandboxState, route: Route, params: Record<string, string>): void {
  const f = state.faults;
  if (f === null || route.method !== 'GET') return;
  const fileId = params.claude_file_id;
  if (fileId !== undefined && f.permanent.has(fileId)) {
    throw new ApiError(500, 'api_error', 'Internal server error', { headers: { 'x-should-retry': 'false' } });
  }
  const art = params.artifact_id;
  const ver = params.version_id;
  if (art !== undefined && ver !== undefined && f.takeInFlight(art, ver)) {
    throw new ApiError(
      503,
      'overloaded_error',
      'The artifact version is still being uploaded. Try again shortly.',
      {
        headers: { 'retry-after': '1' },
      },
    );
  }
}

export function send(
  res: ServerResponse,
  reply: Reply,
  headers: Record<string, string>,
  truncate = false,
): void {
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
  const source = truncate ? halfOf(reply.chunks) : reply.chunks;
  const stream = Readable.from(source, { objectMode: false });
  stream.on('error', () => res.destroy());
  if (truncate) {
    // The chunked body stops early with no terminating chunk: the only sign of truncation (§3.15).
    // End the socket (not destroy): what was written is flushed first, then the connection closes
    // with no terminating chunk, so the client sees headers and a partial body, not a bare reset.
    stream.on('end', () => res.socket?.end());
    stream.pipe(res, { end: false });
  } else {
    stream.pipe(res);
  }
}

function* halfOf(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
  const all: Uint8Array[] = [];
  let size = 0;
  for (const c of chunks) {
    all.push(c);
    size += c.length;
    if (size > 8 * 1024 * 1024) break;
  }
  let left = Math.floor(size / 2);
  for (const c of all) {
    if (left <= 0) return;
    yield c.subarray(0, Math.min(c.length, left));
    left -= c.length;
  }
}
