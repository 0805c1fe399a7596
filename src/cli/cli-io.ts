/**
 * What a command gets from `main` instead of reaching for `process`: its output streams, the
 * environment and the working directory, and where its exit code goes. Tests run the CLI in
 * their own process with captured streams; the real entry point passes the process's.
 */
import { resolve } from 'node:path';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Where `source.api_key_env` is read (default: the process environment). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Resolves the paths given on the command line (default: the process's). Paths inside a spec
   * (`state_dir`, a local destination) stay relative to the process's working directory.
   */
  readonly cwd?: string;
}

export interface CommandHost {
  readonly io: CliIo;
  /** Wrap a command's action: the exit code it returns is what `main` returns. */
  action<A extends unknown[]>(run: (...args: A) => Promise<number>): (...args: A) => Promise<void>;
}

export function createCommandHost(io: CliIo): { host: CommandHost; exitCode: () => number | null } {
  let code: number | null = null;
  const host: CommandHost = {
    io,
    action:
      (run) =>
      async (...args) => {
        code = await run(...args);
      },
  };
  return { host, exitCode: () => code };
}

/** A path argument resolved against `io.cwd` (kept as typed when no cwd is given). */
export function pathArg(io: CliIo, path: string): string {
  return io.cwd === undefined ? path : resolve(io.cwd, path);
}

/** `{ env }` when the io names one, for options that default to the process environment. */
export function envOption(io: CliIo): { env?: NodeJS.ProcessEnv } {
  return io.env === undefined ? {} : { env: io.env };
}
