import { describe, expect, it } from 'vitest';
import type { RetryEvent } from '../../src/api/index.js';
import { Progress } from '../../src/progress/progress.js';

function sink() {
  const out: string[] = [];
  return { out, stream: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream };
}

describe('progress', () => {
  it('writes JSON log lines with the totals, the request estimate and the ETA when not on a TTY', () => {
    const { out, stream } = sink();
    let t = 0;
    const budget = { requestsPerMinute: 600, waitingUntil: null, waitingFor: null };
    const p = new Progress({
      mode: 'json',
      out: stream,
      requests: () => 120,
      now: () => t,
      budget: () => budget,
    });
    p.beginPass(1, ['chats']);
    const chats = p.stage('chats');
    chats.listed = 10;
    chats.handled = 4;
    for (let i = 0; i < 8; i += 1) p.request('/v1/compliance/apps/chats/c/messages');
    t = 60_000;
    p.enter('collect');
    const line = JSON.parse(out.at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({
      event: 'stage',
      stage: 'collect',
      pass: 1,
      requests: { sent: 120, estimated_total: 132, estimate: 'at_least' },
      requests_per_s: 2,
      elapsed_s: 60,
      eta_s: 1,
      totals: { chats: { done: 4, listed: 10, total: null } },
      waits: { retry_until: null, budget_until: null },
    });
  });

  it('redraws one live line on a TTY: requests of the estimate, ETA at the budget rate, done/listed', () => {
    const { out, stream } = sink();
    let t = 0;
    const budget = { requestsPerMinute: 60, waitingUntil: null, waitingFor: null };
    const p = new Progress({
      mode: 'tty',
      out: stream,
      requests: () => 30,
      now: () => t,
      budget: () => budget,
    });
    p.beginPass(1, ['chats']);
    const c = p.stage('chats');
    c.listed = 100;
    c.handled = 25;
    for (let i = 0; i < 25; i += 1) p.request('/v1/compliance/apps/chats/c/messages');
    p.stage('directory').fetched = 44;
    t = 10_000;
    p.enter('collect');
    expect(out.at(-1)).toBe(
      '\r\x1b[2K[collect] requests 30/≥105 · 3.0/s · ETA ≥1m15s | chats 25/100+ · directory 44 records | 10s',
    );
    c.listingDone();
    p.enter('collect');
    expect(out.at(-1)).toContain('requests 30/~105 · 3.0/s · ETA ~1m15s | chats 25/100 ·');
    p.stop();
    expect(out.at(-1)).toBe('\n');
  });

  it("carries plan's totals with their source in JSON lines, and marks them ~ on the live line", () => {
    const provisional = {
      listed: { chats: 100_000 },
      requests: 380_000,
      requestsByKind: { chats: 370_000 },
    };
    const budget = { requestsPerMinute: 600, waitingUntil: null, waitingFor: null };
    const json = sink();
    const p = new Progress({
      mode: 'json',
      out: json.stream,
      requests: () => 12,
      now: () => 0,
      budget: () => budget,
      provisional,
    });
    p.enter('preflight');
    expect(JSON.parse(json.out.at(-1)!)).toMatchObject({
      pass: 0,
      requests: { sent: 12, estimated_total: 380_000, estimate: 'approx', source: 'plan' },
      eta_s: Math.round((380_000 - 12) / 10),
      totals: { chats: { done: 0, listed: 0, total: 100_000, source: 'plan' } },
    });
    p.beginPass(1, ['chats']);
    const c = p.stage('chats');
    Object.assign(c, { listed: 5_000, handled: 3_412 });
    c.listingDone();
    p.enter('collect');
    expect(JSON.parse(json.out.at(-1)!)).toMatchObject({
      requests: { source: 'listing' },
      totals: { chats: { done: 3_412, listed: 5_000, total: 5_000, source: 'listing' } },
    });

    const tty = sink();
    const q = new Progress({
      mode: 'tty',
      out: tty.stream,
      requests: () => 41_200,
      now: () => 0,
      budget: () => budget,
      provisional,
    });
    q.beginPass(1, ['chats']);
    Object.assign(q.stage('chats'), { listed: 5_000, handled: 3_412 });
    // 41,000 of the 41,200 sent went to chats: plan's total stands (329,000 + 9,800 still to send)
    for (let i = 0; i < 41_000; i += 1) q.request('/v1/compliance/apps/chats/c/messages');
    q.enter('collect');
    expect(tty.out.at(-1)).toContain(
      'requests 41,200/~380,000 · 0.0/s · ETA ~9h24m | chats 3,412/~100,000 |',
    );
  });

  it('shows a quiescence pass as its own phase, not added to pass 1', () => {
    const { out, stream } = sink();
    const p = new Progress({ mode: 'tty', out: stream, requests: () => 700, now: () => 0 });
    p.beginPass(1, ['chats', 'activities']);
    Object.assign(p.stage('chats'), { listed: 600, handled: 600, fetched: 600 });
    Object.assign(p.stage('activities'), { listed: 177, handled: 177, fetched: 177 });
    p.beginPass(2, ['chats', 'activities']);
    const c = p.stage('chats');
    Object.assign(c, { listed: 600, handled: 600, skipped: 597, fetched: 3 });
    c.listingDone();
    Object.assign(p.stage('activities'), { listed: 177, handled: 177, skipped: 177 });
    p.enter('quiesce');
    expect(out.at(-1)).toContain('[quiesce pass 2] ');
    expect(out.at(-1)).toContain('| chats 600/600 · activities 177/177+ · 3 changed |');
    p.enter('seal');
    expect(out.at(-1)).toContain('| chats 600/600+ · activities 177/177+ |');
  });

  it('says what the run waits for: the shared budget, a retry-after', () => {
    const { out, stream } = sink();
    let budget: {
      requestsPerMinute: number;
      waitingUntil: number | null;
      waitingFor: 'retry_after' | 'server_budget' | 'pace' | null;
    } = {
      requestsPerMinute: 600,
      waitingUntil: 42_000,
      waitingFor: 'server_budget',
    };
    const p = new Progress({
      mode: 'tty',
      out: stream,
      requests: () => 3,
      now: () => 0,
      budget: () => budget,
    });
    p.enter('collect');
    expect(out.at(-1)).toBe(
      '\r\x1b[2K[collect] waiting for budget (server budget spent) 42s | requests 3 · 0.0/s · ETA — | 0s',
    );
    budget = { requestsPerMinute: 600, waitingUntil: 200, waitingFor: 'pace' };
    p.enter('collect');
    expect(out.at(-1)).not.toContain('waiting'); // plain pacing is not a stall
    const json = sink();
    budget = { requestsPerMinute: 600, waitingUntil: 25_000, waitingFor: 'retry_after' };
    const q = new Progress({
      mode: 'json',
      out: json.stream,
      requests: () => 3,
      now: () => 0,
      budget: () => budget,
    });
    q.enter('collect');
    expect(JSON.parse(json.out.at(-1)!)).toMatchObject({
      waits: { budget_until: '1970-01-01T00:00:25.000Z', budget_wait: 'retry_after' },
    });
  });

  it('writes the whole line when the stream has no width, and cuts it to the width when it has one', () => {
    const { out, stream } = sink();
    const p = new Progress({ mode: 'tty', out: stream, requests: () => 3, now: () => 0 });
    p.beginPass(1, ['chats', 'projects', 'code_artifacts', 'activities', 'sessions']);
    for (const k of ['chats', 'projects', 'code_artifacts', 'activities', 'sessions'])
      p.stage(k).listed = 123_456;
    p.enter('collect');
    const full = out.at(-1)!;
    expect(full.length).toBeGreaterThan(140);
    expect(full.endsWith('sessions 0/123,456+ | 0s')).toBe(true);
    (stream as { columns?: number }).columns = 60;
    p.enter('collect');
    expect(out.at(-1)).toBe(full.slice(0, 5 + 59));
  });

  const refused: RetryEvent = {
    attempt: 2,
    target: { method: 'GET', path: '/v1/compliance/apps/chats', query: 'limit=1000' },
    status: null,
    errorType: null,
    failure: 'network',
    networkCause: 'ECONNREFUSED',
    host: '127.0.0.1:1',
    delayMs: 4_000,
  };

  it('shows a pending retry on the live line until its wait is over', () => {
    const { out, stream } = sink();
    let t = 0;
    const p = new Progress({ mode: 'tty', out: stream, requests: () => 3, now: () => t });
    p.enter('collect');
    p.retry(refused);
    expect(out.at(-1)).toBe(
      '\r\x1b[2K[collect] retrying GET /v1/compliance/apps/chats (ECONNREFUSED 127.0.0.1:1) in 4s | requests 3 · 0.0/s · ETA — | 0s',
    );
    p.retry({ ...refused, networkCause: null, status: 429, errorType: 'rate_limit_error', delayMs: 25_000 });
    expect(out.at(-1)).toContain('retrying GET /v1/compliance/apps/chats (429 rate_limit_error) in 25s');
    t = 26_000;
    p.enter('collect');
    expect(out.at(-1)).not.toContain('retrying');
  });

  it('writes a retry event line in JSON mode', () => {
    const { out, stream } = sink();
    const p = new Progress({ mode: 'json', out: stream, requests: () => 3, now: () => 0 });
    p.retry(refused);
    expect(JSON.parse(out.at(-1)!)).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      event: 'retry',
      stage: 'preflight',
      method: 'GET',
      path: '/v1/compliance/apps/chats',
      query: 'limit=1000',
      attempt: 2,
      status: null,
      error_type: null,
      failure: 'network',
      cause: 'ECONNREFUSED',
      host: '127.0.0.1:1',
      delay_ms: 4_000,
    });
  });

  it('is silent when off', () => {
    const { out, stream } = sink();
    const p = new Progress({ mode: 'off', out: stream, requests: () => 0 });
    p.enter('collect');
    p.note('x');
    p.stop();
    expect(out).toEqual([]);
  });
});
