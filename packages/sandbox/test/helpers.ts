/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
/** Shared helpers for sandbox tests: real HTTP against a sandbox on port 0. */
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../src/index.js';
import type { SandboxTruth } from '../src/truth.js';

export const V1 = '/v1/compliance';

export interface Api {
  sb: RunningSandbox;
  get(path: string, key?: string | null, headers?: Record<string, string>): Promise<Response>;
  json(path: string, key?: string | null): Promise<any>;
  del(path: string, key: string): Promise<Response>;
  truth(asOf?: string): Promise<SandboxTruth>;
  stats(): Promise<any>;
}

export async function openApi(options: SandboxOptions = {}): Promise<Api> {
  const sb = await startSandbox({ rpm: 0, ...options });
  const get = (path: string, key: string | null = sb.keys.full, headers: Record<string, string> = {}) =>
    fetch(sb.baseUrl + path, { headers: { ...(key === null ? {} : { 'x-api-key': key }), ...headers } });
  return {
    sb,
    get,
    async json(path, key) {
      const res = await get(path, key);
      const body = await res.json();
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    },
    del: (path, key) => fetch(sb.baseUrl + path, { method: 'DELETE', headers: { 'x-api-key': key } }),
    truth: async (asOf) =>
      (await (
        await fetch(
          `${sb.baseUrl}/_sandbox/truth${asOf === undefined ? '' : `?as_of=${encodeURIComponent(asOf)}`}`,
        )
      ).json()) as SandboxTruth,
    stats: async () => (await fetch(`${sb.baseUrl}/_sandbox/stats`)).json(),
  };
}

/** Walk a page-token endpoint until next_page is null; returns every page. */
export async function walkPages(api: Api, path: string, key?: string): Promise<any[]> {
  const pages: any[] = [];
  let page: string | null = null;
  for (let i = 0; i < 10_000; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const body = await api.json(page === null ? path : `${path}${sep}page=${encodeURIComponent(page)}`, key);
    pages.push(body);
    page = body.next_page ?? null;
    if (page === null) return pages;
  }
  throw new Error('walk did not end');
}

/** Walk a cursor endpoint with after_id until has_more is false. */
export async function walkCursor(api: Api, path: string, listKey = 'data', key?: string): Promise<any[]> {
  const items: any[] = [];
  let after: string | null = null;
  for (let i = 0; i < 10_000; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const body = await api.json(
      after === null ? path : `${path}${sep}after_id=${encodeURIComponent(after)}`,
      key,
    );
    items.push(...body[listKey]);
    if (!body.has_more) return items;
    after = body.last_id;
  }
  throw new Error('walk did not end');
}

export async function errorOf(res: Response): Promise<{ status: number; type: string; message: string }> {
  const body = (await res.json()) as { error: { type: string; message: string } };
  return { status: res.status, type: body.error.type, message: body.error.message };
}
