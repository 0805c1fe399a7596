/**
 * `compliance-export <args>` in this process through `main(argv, io)`, with stdout and stderr
 * captured: no build, no child process. Tests that need a real second process (signals, locks,
 * the entry point itself) spawn one instead.
 */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector();
  const code = await main(['node', 'compliance-export', ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    ...options,
  });
  return { code, out: stdout.text(), err: stderr.text() };
}
