/**
 * `compliance-export run <job.yaml> [--state-dir DIR] [--force] [--json] [--quiet]`: run a job
 * (preflight → collect → quiesce → seal → ship → verify). Ctrl-C or SIGTERM (systemd, Kubernetes,
 * `timeout`) stops at a clean checkpoint, prints the resume command and exits 130 (Ctrl-C) or 143
 * (SIGTERM); a second signal exits at once (state stays consistent: the journal tolerates a torn
 * last line).
 */
import type { Command } from 'commander';
import { ExportError } from '../../errors.js';
import { parseSize as parseSpecSize } from '../../spec/index.js';
import { runJob } from '../../run-job.js';
import { stopOnSignals } from '../stop-on-signals.js';
import type { RunJobResult } from '../../run-job.js';
import { envOption, pathArg, type CommandHost } from '../cli-io.js';

interface RunOptions {
  stateDir?: string;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
  progress?: 'tty' | 'json' | 'off';
  minFree?: string;
  ignoreDiskSpace?: boolean;
}

/** A size as a job spec writes it (`2GiB`), or null. */
function parseSize(text: string): number | null {
  return parseSpecSize(text) ?? null;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/u.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const byKey = (entries: Record<string, number | undefined>): [string, number][] =>
  Object.entries(entries)
    .filter((e): e is [string, number] => e[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const indented = (entries: Record<string, number | undefined>): string[] =>
  byKey(entries).map(([key, n]) => `  ${key.padEnd(22)} ${n}`);

/**
 * The counts part of the summary: the archive's tally (documents per kind, records per data-set
 * kind, payload files), or the staged records per kind when no payload was staged.
 */
function countLines(result: RunJobResult): string[] {
  const p = result.production;
  if (p === null) return ['staged records:', ...indented(result.counts)];
  return [
    `documents: ${p.documents}   records: ${p.records}   payload files: ${p.payloadFiles} (${p.payloadBytes} bytes)`,
    ...indented(p.documentsByKind),
    'records by data set:',
    ...indented(p.recordsByKind),
  ];
}

/** Each gap's reason and count, and where the rows are. */
function gapLines(result: RunJobResult): string[] {
  if (result.exceptions === 0) return ['gaps: 0'];
  const where = result.archive !== null ? 'reports/exceptions.csv in the archive' : 'reports/exceptions.csv';
  return [
    `gaps: ${result.exceptions}, each named with its reason in ${where}:`,
    ...indented(result.exceptionsByReason),
  ];
}

/** The summary `run` prints on stdout (without --json or --quiet). */
function printRunSummary(out: NodeJS.WritableStream, result: RunJobResult): void {
  const lines = [
    `status: ${result.status}${result.resumed ? ' (resumed)' : ''}`,
    `as-of cut: ${result.asOfCut ?? '-'}`,
    ...countLines(result),
    ...gapLines(result),
    `drift: ${result.drift}   duplicates: ${result.duplicates}`,
    `requests: ${result.requests}` +
      (result.quiescence !== null
        ? `   quiescence: ${result.quiescence.passes} pass(es), ${result.quiescence.settled ? 'settled' : 'NOT settled'}`
        : ''),
    `state: ${result.stateDir}`,
  ];
  const volumes = result.archive?.volumes;
  if (volumes !== undefined) {
    lines.push(`archive: ${volumes.length} volumes (archive.max_volume_size)`);
    for (const v of volumes) lines.push(`  ${v.location}`, `    sha256: ${v.zipSha256}`);
  } else if (result.archive !== null) {
    lines.push(`archive: ${result.archive.location}`, `sha256: ${result.archive.zipSha256}`);
  }
  out.write(`${lines.join('\n')}\n`);
}

export function registerRunCommand(program: Command, host: CommandHost): void {
  program
    .command('run')
    .description(
      'Run an export job: preflight, collect, quiesce, seal, ship, verify. Resumes where it stopped.',
    )
    .argument('<job>', 'job spec YAML file')
    .option('--state-dir <dir>', "staging state folder (default: the spec's state_dir)")
    .option('--force', 'accept (and start over from) state left by a different version of the spec')
    .option('--json', 'print the run summary as one JSON object on stdout')
    .option('-q, --quiet', 'no progress output and no summary (exit code only)')
    .option('--progress <mode>', 'progress on stderr: tty (live line), json (log lines) or off')
    .option('--min-free <size>', 'free space to keep on the state folder disk, e.g. 5GiB (default 1GiB)')
    .option('--ignore-disk-space', 'start and go on whatever the free space (no disk_full stop)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  compliance-export run jobs/legal-hold.yaml\n' +
        '  compliance-export run jobs/legal-hold.yaml --state-dir /var/lib/compliance-export\n' +
        '  compliance-export run jobs/legal-hold.yaml --json > run-summary.json\n' +
        '\nThe API key is read from the environment variable named by source.api_key_env.\n' +
        'Exit codes: 0 complete, 1 failure (including state_locked: another run holds the state\n' +
        'folder), 2 bad spec or flags, 3 finished with gaps (see the exceptions report), 130\n' +
        'interrupted by Ctrl-C, 143 stopped by SIGTERM (both at a clean checkpoint: run the same\n' +
        'command again to resume). disk_full (exit 1): the state folder disk fell below --min-free;\n' +
        'the run stopped at a clean checkpoint: free space and run the same command to resume.',
    )
    .action(
      host.action(async (job: string, opts: RunOptions) => {
        const { io } = host;
        if (opts.progress !== undefined && !['tty', 'json', 'off'].includes(opts.progress)) {
          throw new ExportError(
            'usage',
            `--progress must be tty, json or off (got ${JSON.stringify(opts.progress)})`,
          );
        }
        const minFree = opts.minFree === undefined ? undefined : parseSize(opts.minFree);
        if (minFree === null)
          throw new ExportError(
            'usage',
            `--min-free must be a size such as 2GiB (got ${JSON.stringify(opts.minFree)})`,
          );
        const controller = new AbortController();
        const stop = stopOnSignals(controller, 'stopping at the next checkpoint', io.stderr);
        const argv = ['compliance-export', 'run', job];
        if (opts.stateDir !== undefined) argv.push('--state-dir', opts.stateDir);
        try {
          const result = await runJob({
            specPath: pathArg(io, job),
            ...(opts.stateDir !== undefined ? { stateDir: pathArg(io, opts.stateDir) } : {}),
            ...(opts.force === true ? { force: true } : {}),
            ...(minFree !== undefined ? { minFree } : {}),
            ...(opts.ignoreDiskSpace === true ? { ignoreDiskSpace: true } : {}),
            ...envOption(io),
            stderr: io.stderr,
            signal: controller.signal,
            ...(opts.quiet === true
              ? { progress: 'off' as const }
              : opts.progress
                ? { progress: opts.progress }
                : {}),
            commandLine: argv.map(shellQuote).join(' '),
          });
          // Stopped by SIGTERM: 143, so a supervisor sees the stop it asked for.
          const exitCode = result.status === 'interrupted' ? stop.exitCode() : result.exitCode;
          const final = { ...result, exitCode };
          if (opts.json === true) io.stdout.write(`${JSON.stringify(final)}\n`);
          else if (opts.quiet !== true) printRunSummary(io.stdout, final);
          return exitCode;
        } finally {
          stop.dispose();
        }
      }),
    );
}
