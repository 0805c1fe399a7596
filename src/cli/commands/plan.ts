/**
 * `compliance-export plan <job.yaml> [--json] [--state-dir DIR] [--min-free SIZE] [--assume ITEM=SIZE]
 * [--no-save]`: validate the spec, run the preflight, enumerate listings only, and print counts, the
 * estimated requests and duration, the estimated bytes to stage and to ship, and the free space
 * they need. Its one write is plan-estimate.json in the job's state folder (the run's progress
 * totals until its listings are through); when that is not possible (a running export holds the
 * folder) stderr says so and the exit code is the same. Exit 0 planned (also when the disk would
 * not fit: that is a WARNING line, and `disk.warnings` in --json), 1 preflight failure, 2 bad spec
 * or flags.
 */
import type { Command } from 'commander';
import { EXIT, ExportError } from '../../errors.js';
import { planJob } from '../../plan-job.js';
import {
  ASSUMABLE_ITEMS,
  renderPlan,
  warningLine,
  type ByteItem,
  type SizeOverrides,
} from '../../plan/index.js';
import { parseSize } from '../../spec/index.js';
import { envOption, pathArg, type CommandHost } from '../cli-io.js';

interface PlanOptions {
  json?: boolean;
  stateDir?: string;
  minFree?: string;
  assume?: string[];
  save?: boolean;
}

/** `--assume chat_file=2MiB` (repeatable) → payload bytes per item; exit 2 on anything else. */
function parseAssume(values: readonly string[]): SizeOverrides {
  const out: Partial<Record<ByteItem, number>> = {};
  for (const value of values) {
    const [item = '', size = '', ...rest] = value.split('=');
    const bytes = parseSize(size);
    if (!(ASSUMABLE_ITEMS as readonly string[]).includes(item) || bytes === undefined || rest.length > 0)
      throw new ExportError(
        'usage',
        `--assume must be <item>=<size> with item one of ${ASSUMABLE_ITEMS.join(', ')} and a size ` +
          `such as 2MiB (got ${JSON.stringify(value)})`,
      );
    out[item as ByteItem] = bytes;
  }
  return out;
}

export function registerPlanCommand(program: Command, host: CommandHost): void {
  program
    .command('plan')
    .description(
      'Show what a job would export: validate, preflight, list (no content is fetched), count per\n' +
        'organization / custodian / kind, estimate requests and duration under the budget, and the\n' +
        'bytes to stage and to ship against the free disk space.',
    )
    .argument('<job>', 'job spec YAML file')
    .option('--json', 'print the plan as one JSON object on stdout')
    .option('--state-dir <dir>', "state folder a run would use (default: the spec's state_dir)")
    .option('--min-free <size>', 'free space the run would keep on the state folder disk (default 1GiB)')
    .option(
      '--assume <item=size>',
      `bytes per item instead of the measured default (repeatable): ${ASSUMABLE_ITEMS.join(', ')}`,
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--no-save', "do not leave plan-estimate.json in the job's state folder for the run")
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  compliance-export plan jobs/legal-hold.yaml\n' +
        '  compliance-export plan jobs/legal-hold.yaml --min-free 20GiB --assume chat_file=1MiB\n' +
        '  compliance-export plan jobs/regulator-request.yaml --json > plan.json\n' +
        '\nThe API key is read from the environment variable named by source.api_key_env.\n' +
        "Nothing is written at the destination. In the job's state folder plan leaves only\n" +
        'plan-estimate.json (unless --no-save): a run uses it for its progress totals and ETA until\n' +
        'its own listings are through. A folder a running export holds is not touched.\n' +
        'Exit codes: 0 planned (a disk the run would fill is a WARNING line, and disk.warnings in\n' +
        '--json, not a failure), 1 preflight failed (key, scopes, destination), 2 bad spec or flags.',
    )
    .action(
      host.action(async (job: string, opts: PlanOptions) => {
        const { io } = host;
        const minFree = opts.minFree === undefined ? undefined : parseSize(opts.minFree);
        if (opts.minFree !== undefined && minFree === undefined)
          throw new ExportError(
            'usage',
            `--min-free must be a size such as 2GiB (got ${JSON.stringify(opts.minFree)})`,
          );
        const assume = opts.assume === undefined ? undefined : parseAssume(opts.assume);
        const { plan, estimateFile } = await planJob({
          specPath: pathArg(io, job),
          ...(opts.save === false ? { save: false } : {}),
          ...(opts.stateDir !== undefined ? { stateDir: pathArg(io, opts.stateDir) } : {}),
          ...(minFree !== undefined ? { minFree } : {}),
          ...(assume !== undefined ? { assume } : {}),
          ...envOption(io),
        });
        if (opts.json === true) {
          io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
          // The JSON goes to a file or a pipe: the warning still reaches the person running it.
          for (const w of plan.disk.warnings)
            io.stderr.write(`${warningLine(w, plan.disk, plan.bytes.shipped)}\n`);
        } else io.stdout.write(renderPlan(plan));
        if (estimateFile !== null && !estimateFile.saved)
          io.stderr.write(`compliance-export: plan estimate not saved: ${estimateFile.detail}\n`);
        return EXIT.ok;
      }),
    );
}
