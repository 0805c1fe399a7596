/**
 * The `npm start` demo: `npm start -- [--keep] [--json] [--profile P]`. The sandbox and a local S3
 * server start in this process, jobs/demo.yaml runs end to end, then verify and a summary. The
 * wiring is ./run-demo.ts; this file only maps flags, signals and the exit code. Not part of the
 * published product: it imports the product from ../src and runs under tsx.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { EXIT, ExportError, exitCodeFor } from '../src/errors.js';
import { tuneHeap } from '../src/cli/heap-tuning.js';
import { stopOnSignals } from '../src/cli/stop-on-signals.js';
import { demoSummary, renderDemoSummary } from './render-summary.js';
import { runDemo } from './run-demo.js';

const PROFILES = ['small', 'medium', 'large'] as const;

interface DemoFlags {
  keep?: boolean;
  json?: boolean;
  profile: string;
}

function buildProgram(): Command {
  return new Command()
    .name('npm start --')
    .description(
      'Run the demo export end to end on this machine: the Compliance API sandbox and a local\n' +
        'S3-protocol server start in-process on loopback, jobs/demo.yaml runs against them, the\n' +
        'archive is verified, and a summary is printed. Nothing leaves the computer.',
    )
    .showHelpAfterError()
    .exitOverride()
    .option('--keep', 'leave the servers running for inspection (Ctrl-C stops them) and the files in place')
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--profile <name>', `sandbox data size: ${PROFILES.join(' | ')}`, 'medium')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  npm start                                   # medium profile, about a minute\n' +
        '  npm start -- --profile small                # a few seconds\n' +
        '  npm start -- --keep                         # then browse the sandbox and the bucket\n' +
        '  npx tsx demo/main.ts --json > out.json      # after npm run build; no npm banner\n' +
        '\nExit codes: 0 complete, 1 failure (including an archive that does not verify),\n' +
        '3 finished with gaps, 130 interrupted by Ctrl-C, 143 stopped by SIGTERM.',
    )
    .action(async (flags: DemoFlags) => {
      if (!(PROFILES as readonly string[]).includes(flags.profile)) {
        throw new ExportError(
          'usage',
          `--profile: expected one of ${PROFILES.join(', ')}, got '${flags.profile}'`,
        );
      }
      tuneHeap(); // as the installed CLI does at start-up
      const controller = new AbortController();
      const stop = stopOnSignals(controller, 'stopping the demo', process.stderr);
      try {
        const result = await runDemo({
          profile: flags.profile as (typeof PROFILES)[number],
          keep: flags.keep === true,
          progress: process.stderr.isTTY && flags.json !== true ? 'tty' : 'off',
          signal: controller.signal,
        });
        const summary = demoSummary(result);
        process.stdout.write(
          flags.json === true ? `${JSON.stringify(summary, null, 2)}\n` : renderDemoSummary(summary),
        );
        process.exitCode = result.run.status === 'interrupted' ? stop.exitCode() : result.exitCode;
        if (result.kept && !controller.signal.aborted) {
          stop.dispose();
          await new Promise<void>((resolve) => {
            const done = (): void => {
              process.off('SIGINT', done);
              process.off('SIGTERM', done);
              resolve();
            };
            process.on('SIGINT', done);
            process.on('SIGTERM', done);
          });
          await result.close({ keepFiles: true });
          process.stderr.write(
            `\ndemo: servers stopped; files kept in ${result.s3.directory} and ${result.stateDir}\n`,
          );
        }
      } finally {
        stop.dispose();
      }
    });
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    // --help ends here with exitCode 0; commander's own usage mistakes with 1, which we map to 2.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof ExportError) {
      process.stderr.write(`demo: ${error.code}: ${error.message}\n`);
      return exitCodeFor(error);
    }
    process.stderr.write(`demo: internal error\n${(error as Error).stack ?? String(error)}\n`);
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
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
