/**
 * `compliance-export demo [--keep] [--json] [--profile P]` (what `npm start` runs): sandbox and
 * local S3 in this process, jobs/demo.yaml end to end, then verify and a summary. The wiring is
 * src/demo/run-demo.ts; this file only maps flags, signals and the exit code.
 */
import type { Command } from 'commander';
import { runDemo } from '../../demo/run-demo.js';
import { demoSummary, renderDemoSummary } from '../../demo/render-summary.js';
import { ExportError } from '../../errors.js';
import { stopOnSignals } from '../stop-on-signals.js';

const PROFILES = ['small', 'medium', 'large'] as const;

interface DemoFlags {
  keep?: boolean;
  json?: boolean;
  profile: string;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the demo export end to end on this machine: the Compliance API sandbox and a local\n' +
        'S3-protocol server start in-process on loopback, jobs/demo.yaml runs against them, the\n' +
        'archive is verified, and a summary is printed. Nothing leaves the computer.',
    )
    .option('--keep', 'leave the servers running for inspection (Ctrl-C stops them) and the files in place')
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--profile <name>', `sandbox data size: ${PROFILES.join(' | ')}`, 'medium')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  npm start                                   # the same as: compliance-export demo\n' +
        '  compliance-export demo --profile small      # a few seconds\n' +
        '  compliance-export demo --keep               # then browse the sandbox and the bucket\n' +
        '  compliance-export demo --json > demo-summary.json\n' +
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
            `\ncompliance-export: servers stopped; files kept in ${result.s3.directory} and ${result.stateDir}\n`,
          );
        }
      } finally {
        stop.dispose();
      }
    });
}
