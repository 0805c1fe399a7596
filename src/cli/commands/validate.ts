/**
 * `compliance-export validate <file...> [--json]`: check job specs without touching the network.
 * Exit 0 when every file is valid (warnings allowed), 2 when any is not.
 */
import type { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { formatDiagnostics, loadSpecFile, SpecError } from '../../spec/index.js';
import type { Diagnostic } from '../../spec/index.js';
import { envOption, pathArg, type CliIo, type CommandHost } from '../cli-io.js';

interface ValidateOptions {
  json?: boolean;
  quiet?: boolean;
}

/** One line of `--json` output per file. */
export type ValidateJsonLine =
  | { ok: true; file: string; name: string; sha256: string; warnings: Diagnostic[]; spec: unknown }
  | { ok: false; file: string; diagnostics: Diagnostic[] };

export function registerValidateCommand(program: Command, host: CommandHost): void {
  program
    .command('validate')
    .description('Check job spec files against the schema and the rules; no network access.')
    .argument('<file...>', 'job spec YAML file(s)')
    .option(
      '--json',
      'print one JSON object per file on stdout (the resolved spec and its SHA-256, or the diagnostics)',
    )
    .option('-q, --quiet', 'print nothing on success')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  compliance-export validate jobs/legal-hold.yaml\n' +
        '  compliance-export validate jobs/*.yaml --json\n' +
        '\nEach problem prints as <file>:<line>:<col>: <json-path>: <message> [code], then the line and a caret.\n' +
        'Exit codes: 0 valid, 2 invalid.',
    )
    .action(
      host.action(async (files: string[], opts: ValidateOptions) => {
        let failed = false;
        for (const file of files) {
          const ok = await validateOne(host.io, file, opts);
          failed ||= !ok;
        }
        return failed ? EXIT.usage : EXIT.ok;
      }),
    );
}

async function validateOne(io: CliIo, file: string, opts: ValidateOptions): Promise<boolean> {
  try {
    const loaded = await loadSpecFile(pathArg(io, file), envOption(io));
    if (opts.json === true) {
      const line: ValidateJsonLine = {
        ok: true,
        file,
        name: loaded.spec.name,
        sha256: loaded.sha256,
        warnings: loaded.warnings,
        spec: loaded.spec,
      };
      io.stdout.write(`${JSON.stringify(line)}\n`);
    } else {
      if (loaded.warnings.length > 0)
        io.stderr.write(`${formatDiagnostics(loaded.warnings, loaded.sourceText)}\n`);
      if (opts.quiet !== true)
        io.stdout.write(`${file}: valid (job "${loaded.spec.name}", spec sha256 ${loaded.sha256})\n`);
    }
    return true;
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    if (opts.json === true) {
      const line: ValidateJsonLine = { ok: false, file, diagnostics: error.diagnostics };
      io.stdout.write(`${JSON.stringify(line)}\n`);
    } else {
      io.stderr.write(`${error.message}\n`);
    }
    return false;
  }
}
