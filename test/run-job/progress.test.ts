import { describe, expect, it } from 'vitest';
import type { RetryEvent } from '../../src/api/index.js';
import { Progress } from '../../src/progress/progress.js';

function sink() {
  const out: string[] = [];
  return { out, stream: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream };
}

describe('progress', () => {
  it('writes JSON log lines with the stage, counters and request rate when not on a TTY', () => {
    const { out, stream } = sink();
    let t = 0;
    const p = new Progress({ mode: 'json', out: stream, requests: () => 120, now: () => t });
    p.stage('chats').listed = 10;
    p.stage('chats').fetched = 4;
    t = 60_000;
    p.enter('collect');
    const line = JSON.parse(out.at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({
      event: 'stage',
      stage: 'collect',
      requests: 120,
      requests_per_s: 2,
      elapsed_s: 60,
    });
    expect(line['counters']).toEqual({ chats: { listed: 10, fetched: 4, skipped: 0, gaps: 0, total: null } });
  });

  it('redraws one live line on a TTY with done/listed, rate and ETA', () => {
    const { out, stream } = sink();
    let t = 0;
    const p = new Progress({ mode: 'tty', out: stream, requests: () => 30, now: () => t });
    const c = p.stage('chats');
    c.listed = 100;
    c.fetched = 25;
    t = 10_000;
    p.enter('collect');
    expect(out.at(-1)).toBe('\r\x1b[2K[collect] chats 25/100 | 30 req, 3.0/s | ETA 30s | 10s');
    p.stop();
    expect(out.at(-1)).toBe('\n');
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
      '\r\x1b[2K[collect] retrying GET /v1/compliance/apps/chats (ECONNREFUSED 127.0.0.1:1) in 4s | 3 req, 0.0/s | ETA — | 0s',
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
