/**
 * Child process for bench/sandbox.ts: starts a sandbox (limits and latency off) for the profile in
 * argv[2], prints `{"baseUrl", "key", "buildMs"}` on one line, then answers each stdin line with
 * the process's RSS in MB, so the parent measures memory in a process of its own.
 */
import { createInterface } from 'node:readline';
import { startSandbox } from '../src/index.js';

const profile = (process.argv[2] ?? 'small') as 'small' | 'medium' | 'large';
const t0 = Date.now();
const sb = await startSandbox({ profile, seed: 1, rpm: 0 });
process.stdout.write(
  `${JSON.stringify({ baseUrl: sb.baseUrl, key: sb.keys.full, buildMs: Date.now() - t0 })}\n`,
);
const rl = createInterface({ input: process.stdin });
rl.on('line', () => {
  process.stdout.write(`${JSON.stringify({ rssMb: Math.round(process.memoryUsage().rss / 1e6) })}\n`);
});
rl.on('close', () => {
  void sb.close().then(() => process.exit(0));
});
