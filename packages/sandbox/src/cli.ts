#!/usr/bin/env node
/**
 * `compliance-sandbox`: run the local Compliance API sandbox until Ctrl-C, printing its base URL and
 * API keys (deterministic per seed). Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 internal error,
 * 2 usage (a bad flag or scenario). The sandbox itself is ./index.ts.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { SCENARIOS, startSandbox, type SandboxOptions, type Scenario } from './index.js';
import { checkScenario } from './scenario.js';

/** A bad flag or scenario: printed as `compliance-sandbox: usage: …`, exit 2. */
class UsageError extends Error {}

const PROFILES = ['small', 'medium', 'large'] as const;

function intOption(name: string, min: number, max: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, got '${raw}'`);
    }
    return n;
  };
}

interface SandboxFlags {
  port: number;
  host: string;
  seed: number;
  profile: string;
  rpm: number;
  scenario: string;
}

/** A named scenario, or a JSON/YAML file holding one; problems are reported with their path. */
function loadScenario(nameOrFile: string): Scenario {
  const named = SCENARIOS[nameOrFile];
  if (named !== undefined) return named;
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch {
    throw new UsageError(
      `--scenario: '${nameOrFile}' is neither a named scenario (${Object.keys(SCENARIOS).join(', ')}) nor a readable file`,
    );
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new UsageError(`${nameOrFile}: ${(error as Error).message}`);
  }
  const problems = checkScenario(value);
  if (problems.length > 0) throw new UsageError(problems.map((p) => `${nameOrFile}:${p}`).join('\n'));
  return value as Scenario;
}

function buildProgram(): Command {
  return new Command()
    .name('compliance-sandbox')
    .description(
      'Run the local Compliance API sandbox (deterministic data, documented behaviour) until Ctrl-C',
    )
    .showHelpAfterError()
    .exitOverride()
    .option('--port <n>', 'TCP port (0 = any free port)', intOption('port', 0, 65535), 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option(
      '--seed <n>',
      'data seed: same seed, same ids, bytes and keys',
      intOption('seed', 0, 2 ** 31 - 1),
      1,
    )
    .option('--profile <name>', `data size: ${PROFILES.join(' | ')}`, 'small')
    .option(
      '--rpm <n>',
      'requests per minute per parent org (0 = unlimited; the rate-limit headers still come)',
      intOption('rpm', 0, 1_000_000),
      600,
    )
    .option(
      '--scenario <name|file>',
      `adversity: ${Object.keys(SCENARIOS).join(' | ')}, or a JSON/YAML file (faults, consistency, mutations, activities, quirks)`,
      'calm',
    )
    .addHelpText(
      'after',
      `
Example:
  $ compliance-sandbox --seed 7 --port 8787
  $ curl -s -H "x-api-key: <full key printed above>" -H "anthropic-version: 2023-06-01" \\
      http://127.0.0.1:8787/v1/compliance/organizations
  $ curl -s http://127.0.0.1:8787/_sandbox/truth     # what a complete export must contain`,
    )
    .action(async (flags: SandboxFlags) => {
      if (!(PROFILES as readonly string[]).includes(flags.profile)) {
        throw new UsageError(`--profile: expected one of ${PROFILES.join(', ')}, got '${flags.profile}'`);
      }
      const options: SandboxOptions = {
        port: flags.port,
        host: flags.host,
        seed: flags.seed,
        profile: flags.profile as SandboxOptions['profile'] & string,
        rpm: flags.rpm,
        scenario: loadScenario(flags.scenario),
      };
      const sandbox = await startSandbox(options);
      const width = Math.max(...Object.keys(sandbox.keys).map((k) => k.length));
      const lines = [
        `Compliance API sandbox listening on ${sandbox.baseUrl}`,
        `  profile=${flags.profile} seed=${flags.seed} rpm=${flags.rpm === 0 ? 'unlimited' : flags.rpm} scenario=${flags.scenario}`,
        '',
        'API keys (send as x-api-key):',
        ...Object.entries(sandbox.keys).map(([name, key]) => `  ${name.padEnd(width)}  ${key}`),
        '',
        'Try:',
        `  curl -s -H "x-api-key: ${sandbox.keys.full}" -H "anthropic-version: 2023-06-01" ${sandbox.baseUrl}/v1/compliance/organizations`,
        `  curl -s ${sandbox.baseUrl}/_sandbox/truth`,
        `  curl -s ${sandbox.baseUrl}/_sandbox/stats`,
        `  curl -s ${sandbox.baseUrl}/_sandbox/transparency   # Access Transparency log key`,
        `  curl -s -X POST '${sandbox.baseUrl}/_sandbox/mutate?kind=new_chat'`,
        '',
        'Press Ctrl-C to stop.',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void sandbox.close().finally(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    // --help ends here with exitCode 0; commander's own usage mistakes with 1, which we map to 2.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      process.stderr.write(`compliance-sandbox: usage: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`compliance-sandbox: internal error\n${(error as Error).stack ?? String(error)}\n`);
    return 1;
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
