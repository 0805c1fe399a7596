import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';

const CLI = new URL('../src/cli.ts', import.meta.url).pathname;

/** Start `compliance-sandbox` as a real process and collect what it prints up to "Ctrl-C". */
async function runCli(args: string[]): Promise<{ lines: string[]; stop: () => Promise<number | null> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    rl.on('line', (l) => {
      lines.push(l);
      if (l.includes('Ctrl-C')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
  });
  return {
    lines,
    stop: () =>
      new Promise((resolve) => {
        proc.once('exit', (code) => resolve(code));
        proc.kill('SIGINT');
      }),
  };
}

describe('compliance-sandbox', () => {
  it('prints its base URL and seed-determined keys, answers a curl-style request, stops on Ctrl-C', async () => {
    const a = await runCli(['--seed', '7', '--rpm', '50']);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(a.lines.join('\n'))?.[1];
    const key = (name: string, lines: string[]) =>
      lines
        .find((l) => l.trim().startsWith(`${name} `))
        ?.trim()
        .split(/\s+/)[1];
    const full = key('full', a.lines);
    expect(url).toBeDefined();
    expect(full).toMatch(/^sk-ant-api01-/);
    const res = await fetch(`${url}/v1/compliance/organizations`, {
      headers: { 'x-api-key': full!, 'anthropic-version': '2023-06-01' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('anthropic-ratelimit-requests-limit')).toBe('50');
    expect(((await res.json()) as { data: unknown[] }).data.length).toBe(2);
    expect(await a.stop()).toBe(0);

    const b = await runCli(['--seed', '7']);
    expect(key('full', b.lines)).toBe(full);
    expect(key('admin', b.lines)).toMatch(/^sk-ant-admin01-/);
    await b.stop();
  });

  it.each([
    [['--profile', 'huge'], "--profile: expected one of small, medium, large, got 'huge'"],
    [['--port', '70000'], "--port: expected an integer from 0 to 65535, got '70000'"],
    [['--scenario', 'no-such-scenario'], "--scenario: 'no-such-scenario' is neither a named scenario"],
  ])('rejects %j with exit 2 and says which flag', async (args, message) => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'compliance-sandbox', ...args])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain(
        `compliance-sandbox: usage: ${message}`,
      );
    } finally {
      err.mockRestore();
    }
  });
});
