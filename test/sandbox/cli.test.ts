import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Start `compliance-export sandbox` as a real process and collect what it prints up to "Ctrl-C". */
async function runCli(args: string[]): Promise<{ lines: string[]; stop: () => Promise<number | null> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, 'sandbox', ...args], {
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

describe('compliance-export sandbox', () => {
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
});
