/** Real CLI processes for the local-machine tests: locks, signals, file modes, kills. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Harness } from './helpers.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CLI_CHILD = fileURLToPath(new URL('./fixtures/cli-child.ts', import.meta.url));

export interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** A barrier-started child has loaded everything and waits for the barrier file. */
  readonly ready: Promise<void>;
  /** Resolves once the process ended and its output is read. */
  readonly exited: Promise<Exited>;
}

export interface SpawnCliOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Start the run only once this file exists (the child prints "ready" while it waits). */
  readonly barrier?: string;
  /** Octal umask for the child, e.g. "022". */
  readonly umask?: string;
}

/** `compliance-export <args>` in a new node process (src/cli/main.ts through tsx). */
export function spawnCli(args: readonly string[], options: SpawnCliOptions): CliProcess {
  const viaFixture = options.barrier !== undefined;
  const env = { ...options.env, ...(viaFixture ? { CE_TEST_BARRIER: options.barrier } : {}) };
  const node = [process.execPath, '--import', 'tsx', viaFixture ? CLI_CHILD : CLI, ...args];
  // A umask is set the way a user's shell sets it, before the real entry point starts.
  const [command, ...rest] =
    options.umask === undefined
      ? node
      : ['/bin/sh', '-c', 'umask "$1" && shift && exec "$@"', 'sh', options.umask, ...node];
  const child = spawn(command!, rest, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady = (): void => undefined;
  const readyLine = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exited>((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: stdout.replace(/^ready\n/u, ''), stderr }),
    ),
  );
  const ready = Promise.race([
    readyLine,
    exited.then((e) => {
      throw new Error(`child ended before it was ready (code ${e.code}): ${e.stderr}`);
    }),
  ]);
  ready.catch(() => undefined);
  return { child, pid: child.pid!, ready, exited };
}

/** Resolves once the journal holds at least `count` chat records (polling; the run is in flight). */
export async function chatsJournaled(journal: string, count: number): Promise<void> {
  for (;;) {
    const text = await readFile(journal, 'utf8').catch(() => '');
    if ((text.match(/"type":"record","kind":"chat"/gu) ?? []).length >= count) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A copy of the harness spec with another destination (and optionally `file_mode`); returns its path. */
export async function specVariant(
  h: Harness,
  name: string,
  destination: string,
  fileMode?: string,
): Promise<string> {
  const text = await readFile(h.specPath, 'utf8');
  const lines = [`  uri: ${destination}`, ...(fileMode !== undefined ? [`  file_mode: "${fileMode}"`] : [])];
  const out = text.replace(/^ {2}uri: .*$/mu, lines.join('\n'));
  if (out === text) throw new Error('spec has no destination uri line');
  const path = `${h.dir}/${name}.yaml`;
  await writeFile(path, out);
  return path;
}
