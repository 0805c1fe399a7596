#!/usr/bin/env node
/**
 * CLI entry: argv → command → exit code. No business logic lives here; each subcommand is
 * registered from its own module under ./commands.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { EXIT, exitCodeFor, isExportError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { createCommandHost, type CliIo, type CommandHost } from './cli-io.js';
import { tuneHeap } from './heap-tuning.js';
import { nodeTooOld } from './node-version.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerRunCommand } from './commands/run.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerMaterializeCommand } from './commands/materialize.js';

export type { CliIo } from './cli-io.js';

export function buildProgram(host: CommandHost): Command {
  const { stdout, stderr } = host.io;
  const program = new Command();
  program
    .name('compliance-export')
    .description(
      'Point-in-time, provably complete export of Claude Enterprise data through the Compliance API,\n' +
        'sealed into a checksummed BagIt archive in S3 or a local directory.',
    )
    .version(TOOL_VERSION, '-V, --version')
    // Help, version and usage errors go to the given streams too; subcommands inherit all three
    // settings, so they are set before any subcommand is added.
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) })
    .showHelpAfterError()
    .exitOverride();
  // Subcommands register here, one module each under ./commands (validate, plan, run, verify, materialize).
  registerValidateCommand(program, host);
  registerRunCommand(program, host);
  registerPlanCommand(program, host);
  registerVerifyCommand(program, host);
  registerMaterializeCommand(program, host);
  return program;
}

/** Run the CLI on `argv` (node, script, args...) and return the exit code; never exits itself. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const { host, exitCode } = createCommandHost(io);
  const program = buildProgram(host);
  try {
    await program.parseAsync([...argv]);
    return exitCode() ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exitCode 0; usage mistakes with 1, which we map to 2.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isExportError(error)) {
      io.stderr.write(`compliance-export: ${error.code}: ${error.message}\n`);
      return exitCodeFor(error);
    }
    const trace = error instanceof Error ? (error.stack ?? String(error)) : String(error);
    io.stderr.write(`compliance-export: internal error\n${trace}\n`);
    return EXIT.failure;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/** Sets the heap's growing factor for this process; false (after saying why) when the setting is bad. */
function tuneHeapOrSay(): boolean {
  try {
    tuneHeap();
    return true;
  } catch (error) {
    process.stderr.write(
      `compliance-export: ${isExportError(error) ? `${error.code}: ${error.message}` : String(error)}\n`,
    );
    return false;
  }
}

/**
 * Everything this process creates starts private: the state and a local archive are evidence
 * (folders 0700, files 0600), and a wider `destination.file_mode` is set by an explicit chmod.
 * The user's umask may narrow further than the modes the tool asks for (0277 takes the owner's
 * write bit, and a resumed run could then not append to its own journal), so the tool's process
 * runs with 077 whatever the shell's is; the shell's own umask is not touched.
 */
const PROCESS_UMASK = 0o077;

/** Node too old or a bad heap setting: said on stderr, and the process exits 2. */
function startupRefused(): boolean {
  const old = nodeTooOld();
  if (old !== null) {
    process.stderr.write(`compliance-export: ${old}\n`);
    return true;
  }
  process.umask(PROCESS_UMASK);
  return !tuneHeapOrSay();
}

if (invokedDirectly() && startupRefused()) {
  process.exitCode = EXIT.usage;
} else if (invokedDirectly()) {
  main(process.argv, { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
