import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  createComplianceClient,
  createVirtualClock,
  type LedgerEntry,
  type RetryEvent,
} from '../../src/api/index.js';

/** Transport failures name the host and the cause; causes a retry cannot fix fail at once. */
const KEY = 'sk-ant-api01-network-errors-SECRET-0123456789';

function client(baseUrl: string) {
  const events: RetryEvent[] = [];
  const ledger: LedgerEntry[] = [];
  const c = createComplianceClient({
    baseUrl,
    apiKey: KEY,
    clock: createVirtualClock(),
    random: () => 0.5,
    requestsPerMinute: 1e6,
    ledger: (e) => ledger.push(e),
    onRetry: (e) => events.push(e),
  });
  return { client: c, events, ledger };
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

/** A port that was just listening and is now closed: connections are refused. */
async function closedPort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('network failures', () => {
  it('names ECONNREFUSED and host:port, retries it, and reports each retry to onRetry', async () => {
    const port = await closedPort();
    const { client: c, events, ledger } = client(`http://127.0.0.1:${port}`);
    const e = await failure(c.getGroup('rbac_group_1'));
    expect(e).toMatchObject({
      code: 'network_error',
      failure: 'network',
      networkCause: 'ECONNREFUSED',
      host: `127.0.0.1:${port}`,
      attempts: 8,
      retryable: true,
    });
    expect(e.message).toContain(`(ECONNREFUSED 127.0.0.1:${port}: nothing listens there)`);
    expect(ledger).toHaveLength(8);
    expect(events.map((r) => [r.attempt, r.networkCause, r.host, r.status])).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => [n, 'ECONNREFUSED', `127.0.0.1:${port}`, null]),
    );
    expect(events.map((r) => r.delayMs)).toEqual(ledger.slice(0, 7).map((l) => l.retry_in_ms));
    expect(events[0]!.target.path).toBe('/v1/compliance/groups/rbac_group_1');
    await c.close();
  });

  it('fails an unknown host after exactly one attempt, naming ENOTFOUND', async () => {
    const { client: c, events, ledger } = client('https://no-such-host.invalid');
    const e = await failure(c.getGroup('rbac_group_1'));
    expect(e).toMatchObject({
      code: 'network_error',
      networkCause: 'ENOTFOUND',
      host: 'no-such-host.invalid:443',
      attempts: 1,
      retryable: false,
    });
    expect(e.message).toContain('ENOTFOUND no-such-host.invalid:443: unknown host, check source.base_url');
    expect(ledger).toHaveLength(1);
    expect(events).toEqual([]);
    await c.close();
  });

  describe('a TLS certificate that does not verify', () => {
    let dir: string;
    let server: Server;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ce-tls-'));
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1',
      ], { stdio: 'ignore' }); // prettier-ignore
      server = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => res.end('{}'),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('fails at once (self-signed), naming the certificate error', async () => {
      const { port } = server.address() as AddressInfo;
      const { client: c, events, ledger } = client(`https://127.0.0.1:${port}`);
      const e = await failure(c.getGroup('rbac_group_1'));
      expect(e).toMatchObject({
        code: 'network_error',
        networkCause: 'DEPTH_ZERO_SELF_SIGNED_CERT',
        attempts: 1,
        retryable: false,
      });
      expect(ledger).toHaveLength(1);
      expect(events).toEqual([]);
      await c.close();
    });
  });
});
