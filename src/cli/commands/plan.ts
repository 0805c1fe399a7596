/**
 * `compliance-export plan <job.yaml> [--json] [--state-dir DIR]`: validate the spec, run the
 * preflight, enumerate listings only, and print counts and the estimated requests and duration.
 * Writes nothing anywhere. Exit 0 planned, 1 preflight failure, 2 bad spec or flags.
 */
import type { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { planJob } from '../../plan-job.js';
import { renderPlan } from '../../plan/index.js';
import { envOption, pathArg, type CommandHost } from '../cli-io.js';

interface PlanOptions {
  json?: boolean;
  stateDir?: string;
}

export function registerPlanCommand(program: Command, host: CommandHost): void {
  program
    .command('plan')
    .description(
      'Show what a job would export: validate, preflight, list (no content is fetched), count per\n' +
        'organization / custodian / kind, and estimate requests and duration under the budget.',
    )
    .argument('<job>', 'job spec YAML file')
    .option('--json', 'print the plan as one JSON object on stdout')
    .option('--state-dir <dir>', "state folder a run would use (default: the spec's state_dir); only read")
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  compliance-export plan jobs/legal-hold.yaml\n' +
        '  compliance-export plan jobs/regulator-request.yaml --json > plan.json\n' +
        '\nThe API key is read from the environment variable named by source.api_key_env.\n' +
        'Nothing is written at the destination or in the state folder.\n' +
        'Exit codes: 0 planned, 1 preflight failed (key, scopes, destination), 2 bad spec or flags.',
    )
    .action(
      host.action(async (job: string, opts: PlanOptions) => {
        const { io } = host;
        const { plan } = await planJob({
          specPath: pathArg(io, job),
          ...(opts.stateDir !== undefined ? { stateDir: pathArg(io, opts.stateDir) } : {}),
          ...envOption(io),
        });
        io.stdout.write(opts.json === true ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
        return EXIT.ok;
      }),
    );
}
