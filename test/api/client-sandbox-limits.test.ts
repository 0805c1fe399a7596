import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createComplianceClient,
  createVirtualClock,
  jsonlLedger,
  RateBudget,
  type LedgerEntry,
} from '../../src/api/index.js';
import { startSandbox } from '@compliance-export/sandbox';

/**
 * The sandbox's real rate limiter (sliding 60 s window) driven by the same virtual clock as the
 * client: 429s, retry-after and the adaptive budget over real HTTP, without real sleeping.
 */
describe('client against the sandbox rate limiter (virtual time)', () => {
  it('adapts to a tight server limit from its headers and loses nothing', async () => {
    const clock = createVirtualClock();
    const sb = await startSandbox({ port: 0, seed: 1, profile: 'small', rpm: 10, now: () => clock.now() });
    const ledger: LedgerEntry[] = [];
    const client = createComplianceClient({
      baseUrl: sb.baseUrl,
      apiKey: sb.keys.full,
      clock,
      requestsPerMinute: 6_000, // far above the server's 10: the headers must rein us in
      maxInFlight: 1,
      ledger: (e) => ledger.push(e),
    });
    try {
      const t0 = clock.now();
      const orgs: string[] = [];
      for (let i = 0; i < 25; i++) {
        for await (const p of client.listOrganizations({ limit: 1 }))
          orgs.push(...p.items.map((o) => o.uuid));
      }
      const stats = client.stats();
      expect(stats.errors).toBe(0);
      expect(new Set(orgs).size).toBe(2);
      expect(orgs).toHaveLength(50);
      // 50 successful requests at 10/min need at least 4 minutes of (virtual) time
      expect(clock.now() - t0).toBeGreaterThanOrEqual(4 * 60_000);
      // the first response's ratelimit headers already pace us below the server's limit
      expect(stats.rateLimited).toBe(0);
    } finally {
      await client.close();
      await sb.close();
    }
  });

  it('waits retry-after when another integration has spent the budget, then retries the same request', async () => {
    const clock = createVirtualClock();
    const sb = await startSandbox({ port: 0, seed: 1, profile: 'small', rpm: 5, now: () => clock.now() });
    const ledger: LedgerEntry[] = [];
    const client = createComplianceClient({
      baseUrl: sb.baseUrl,
      apiKey: sb.keys.full,
      clock,
      ledger: (e) => ledger.push(e),
    });
    try {
      // a SIEM poller on the same parent uses up the window
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${sb.baseUrl}/v1/compliance/organizations`, {
          headers: { 'x-api-key': sb.keys.orgAudit },
        });
        expect(r.status).toBe(200);
      }
      clock.advance(20_000);
      const page = await client.listChats({ limit: 3 }, { resumeFrom: undefined }).next();
      expect(page.done).toBe(false);
      expect(ledger.map((e) => [e.status, e.outcome])).toEqual([
        [429, 'retry'],
        [200, 'ok'],
      ]);
      expect(ledger[0]!.retry_in_ms).toBe(40_000); // the oldest poller request leaves the window in 40 s
      expect(ledger[1]!.query).toBe(ledger[0]!.query);
      expect(client.stats().rateLimited).toBe(1);
    } finally {
      await client.close();
      await sb.close();
    }
  });

  it('shares one budget between two clients of a job', async () => {
    const clock = createVirtualClock();
    const sb = await startSandbox({ port: 0, seed: 1, profile: 'small', rpm: 0, now: () => clock.now() });
    const budget = new RateBudget({ requestsPerMinute: 60, maxInFlight: 2, clock });
    const a = createComplianceClient({ baseUrl: sb.baseUrl, apiKey: sb.keys.full, budget, clock });
    const b = createComplianceClient({ baseUrl: sb.baseUrl, apiKey: sb.keys.orgAudit, budget, clock });
    try {
      const t0 = clock.now();
      await Promise.all([
        ...Array.from({ length: 5 }, () => a.listOrganizations().next()),
        ...Array.from({ length: 5 }, () => b.listGroups().next()),
      ]);
      // 10 starts at 60/min: the last one no earlier than 9 s after the first
      expect(clock.now() - t0).toBeGreaterThanOrEqual(9_000);
      expect(budget.snapshot().granted).toBe(10);
    } finally {
      await a.close();
      await b.close();
      await sb.close();
    }
  });

  it('writes the ledger as JSON Lines', async () => {
    const sb = await startSandbox({ port: 0, seed: 1, profile: 'small', rpm: 0 });
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const client = createComplianceClient({
      baseUrl: sb.baseUrl,
      apiKey: sb.keys.full,
      ledger: jsonlLedger(out),
    });
    try {
      await client.getGroup('rbac_group_missing').catch(() => undefined);
      for await (const _p of client.listOrganizations({ limit: 1 })) void _p;
      await new Promise((r) => setImmediate(r));
      const lines = text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as LedgerEntry);
      expect(lines.map((l) => [l.status, l.outcome])).toEqual([
        [404, 'error'],
        [200, 'ok'],
        [200, 'ok'],
      ]);
      expect(lines[2]!.query).toMatch(/^limit=1&page=/);
      expect(lines.every((l) => l.key_fp === client.keyFingerprint && typeof l.request_id === 'string')).toBe(
        true,
      );
    } finally {
      await client.close();
      await sb.close();
    }
  });
});
