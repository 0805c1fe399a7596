/**
 * The `compliance-export` CLI as a user runs it, in a child process (from source under tsx):
 * `verify`, `materialize`. The bench reads its exit code and output, never its internals.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseString } from 'fast-csv';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `compliance-export <args…>`; resolves with the exit code whatever it is. */
export function runCli(args: readonly string[], timeoutMs = 10 * 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        if (code === null)
          reject(new Error(`compliance-export ${args.join(' ')}: ${error?.message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The rows of a CSV text with a header line. */
export function csvRows(text: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  return new Promise((resolve, reject) => {
    parseString<Record<string, string>, Record<string, string>>(text, { headers: true })
      .on('data', (r: Record<string, string>) => rows.push(r))
      .on('error', reject)
      .on('end', () => resolve(rows));
  });
}
