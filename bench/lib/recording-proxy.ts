/**
 * A pass-through HTTP proxy in front of the sandbox that records every request the exporter
 * sends (time, method, path, status) under the current `label`. The exporter's own ledger cannot
 * serve here: a SIGKILLed process loses the ledger lines still buffered in its write stream.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cleanup } from './run-bench.js';

export interface SeenRequest {
  readonly label: string;
  readonly at: number;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** HTTP status, or 0 when no response reached the proxy. */
  status: number;
}

export interface RecordingProxy {
  readonly baseUrl: string;
  /** Requests are recorded under this label (e.g. the run they belong to). */
  label: string;
  readonly seen: SeenRequest[];
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const state: { label: string; seen: SeenRequest[] } = { label: '', seen: [] };
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const entry: SeenRequest = {
      label: state.label,
      at: Date.now(),
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      status: 0,
    };
    state.seen.push(entry);
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: url,
        method: req.method,
        headers: req.headers,
        agent,
      },
      (ur) => {
        entry.status = ur.statusCode ?? 0;
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        ur.on('error', () => res.destroy());
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  );
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    get label() {
      return state.label;
    },
    set label(value: string) {
      state.label = value;
    },
    seen: state.seen,
  };
}
