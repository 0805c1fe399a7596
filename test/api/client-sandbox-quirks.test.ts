import { describe, expect, it } from 'vitest';
import { createComplianceClient, createVirtualClock, type LedgerEntry } from '../../src/api/index.js';
import { startSandbox, type Scenario } from '@compliance-export/sandbox';

/**
 * The client against the sandbox's quirk knobs (§7.3), client and sandbox on one virtual clock:
 * the waits the client chooses are exact, and a wait that is too short meets a real 429.
 */
async function setup(rpm: number, scenario: Scenario = {}) {
  const clock = createVirtualClock();
  const sb = await startSandbox({
    port: 0,
    seed: 1,
    profile: 'small',
    rpm,
    scenario,
    now: () => clock.now(),
  });
  const ledger: LedgerEntry[] = [];
  const client = createComplianceClient({
    baseUrl: sb.baseUrl,
    apiKey: sb.keys.full,
    clock,
    random: () => 0.5, // jitter factor exactly 1
    ledger: (e) => ledger.push(e),
  });
  /** Another integration on the same parent spends the whole budget now. */
  const spend = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${sb.baseUrl}/v1/compliance/organizations`, {
        headers: { 'x-api-key': sb.keys.orgAudit },
      });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
  };
  const close = async (): Promise<void> => {
    await client.close();
    await sb.close();
  };
  return { clock, sb, client, ledger, spend, close };
}

describe('client against the sandbox quirks (virtual time)', () => {
  it('waits until a retry-after HTTP-date, read against the Date header, then succeeds', async () => {
    const { clock, client, ledger, spend, close } = await setup(2, { quirks: { retryAfterDate: true } });
    try {
      await spend(2);
      clock.advance(20_000);
      const t1 = clock.now();
      const page = await client.listChats({ limit: 3 }).next();
      expect(page.done).toBe(false);
      // the poller's first request leaves the window 40 s later: exactly the wait the date names
      expect(ledger.map((e) => [e.status, e.outcome, e.retry_in_ms])).toEqual([
        [429, 'retry', 40_000],
        [200, 'ok', null],
      ]);
      expect(ledger[1]!.query).toBe(ledger[0]!.query);
      expect(clock.now() - t1).toBeGreaterThanOrEqual(40_000);
    } finally {
      await close();
    }
  });

  it.each(['zero', 'absent'] as const)(
    'backs off exponentially on 429s whose reset is past (pastReset %s), never spinning',
    async (pastReset) => {
      const { clock, client, ledger, spend, close } = await setup(2, { quirks: { pastReset } });
      try {
        await spend(2);
        clock.advance(20_000);
        const t1 = clock.now();
        const page = await client.listChats({ limit: 3 }).next();
        expect(page.done).toBe(false);
        const retries = ledger.filter((e) => e.outcome === 'retry');
        expect(retries.map((e) => [e.status, e.retry_in_ms])).toEqual([
          [429, 1_000],
          [429, 2_000],
        ]);
        expect(ledger.at(-1)!.status).toBe(200);
        // the budget frees 40 s on: reached without a burst of requests into the refusal
        expect(clock.now() - t1).toBeGreaterThanOrEqual(40_000);
        expect(client.stats().requests).toBe(3);
      } finally {
        await close();
      }
    },
  );

  it('retries a 409 that says x-should-retry: true with backoff, on the same query, until it succeeds', async () => {
    const { client, ledger, close } = await setup(0, {
      faults: { transientRate: 0.5, transientKinds: ['409'] },
    });
    try {
      for (let i = 0; i < 6; i++) {
        const page = await client.listChats({ limit: 2 }).next();
        expect(page.done).toBe(false);
      }
      const retried = ledger.filter((e) => e.outcome === 'retry');
      expect(retried.length).toBeGreaterThan(0);
      expect(retried.every((e) => e.status === 409 && e.retry_in_ms! >= 1_000)).toBe(true);
      expect(ledger.filter((e) => e.outcome === 'error')).toEqual([]);
      expect(client.stats().errors).toBe(0);
    } finally {
      await close();
    }
  });
});
