#!/usr/bin/env node
/**
 * CLI entry: argv → command → exit code. No business logic lives here; each subcommand is
 * registered from its own module under ./commands.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ExportError, EXIT, exitCodeFor } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerRunCommand } from './commands/run.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerVerifyCommand } from './commands/verify.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('compliance-export')
    .description(
      'Point-in-time, provably complete export of Claude Enterprise data through the Compliance API,\n' +
        'sealed into a checksummed BagIt archive in S3 or a local directory.',
    )
    .version(TOOL_VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  // Subcommands register here, one module each under ./commands (validate, plan, run, verify).
  registerValidateCommand(program);
  registerRunCommand(program);
  registerPlanCommand(program);
  registerVerifyCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exitCode 0; usage mistakes with 1, which we map to 2.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ExportError) {
      process.stderr.write(`compliance-export: ${error.code}: ${error.message}\n`);
      return exitCodeFor(error);
    }
    process.stderr.write(`compliance-export: internal error\n${(error as Error).stack ?? String(error)}\n`);
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

if (invokedDirectly()) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
