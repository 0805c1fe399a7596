/**
 * The frame every bench runs in: one `key=value` line on stdout, everything else on stderr, a hard
 * deadline, and cleanup (child processes, servers, temp dirs) however the bench ends — success,
 * error, deadline or Ctrl-C. A bench registers what it creates with `cleanup.add`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Fields = Record<string, string | number>;

/** Progress and detail: stderr only, so stdout stays one machine-readable line. */
export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function formatFields(fields: Fields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

type Cleanup = () => Promise<void> | void;

class CleanupStack {
  private readonly items: Cleanup[] = [];
  add(fn: Cleanup): void {
    this.items.push(fn);
  }
  /** Runs newest first; a failing step never stops the others. */
  async run(): Promise<void> {
    while (this.items.length > 0) {
      const fn = this.items.pop()!;
      try {
        await fn();
      } catch (error) {
        info(`cleanup: ${String(error)}`);
      }
    }
  }
}

export const cleanup = new CleanupStack();

/** A temp dir removed when the bench ends (kept, for a post-mortem, when BENCH_KEEP=1). */
export async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `bench-${label}-`));
  if (process.env.BENCH_KEEP === '1') info(`keeping ${dir}`);
  else cleanup.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Run `body`, print its fields as the one stdout line, clean up. Exit code 1 on error or when the
 * deadline passes (the line is then not printed: a figure from a cut-short run would mislead).
 */
export function runBench(name: string, deadlineMs: number, body: () => Promise<Fields>): void {
  let finished = false;
  const finish = async (code: number, message?: string): Promise<void> => {
    if (finished) return;
    finished = true;
    if (message !== undefined) info(`${name}: ${message}`);
    await cleanup.run();
    process.exit(code);
  };
  const timer = setTimeout(() => void finish(1, `deadline of ${deadlineMs / 1000} s passed`), deadlineMs);
  timer.unref();
  // `on`, not `once`: a second Ctrl-C during cleanup must not kill the process half-way.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void finish(130, `stopped by ${signal}`));
  }
  const started = Date.now();
  body().then(
    async (fields) => {
      if (finished) return;
      info(`${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      process.stdout.write(`${formatFields(fields)}\n`);
      await finish(0);
    },
    (error: unknown) =>
      void finish(1, `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  );
}
