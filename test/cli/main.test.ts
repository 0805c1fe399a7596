/**
 * `main(argv, io)` in-process: help, version and usage mistakes go to the given streams, never to
 * the process's, with the documented exit codes (0 help/version, 2 usage).
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { TOOL_VERSION } from '../../src/version.js';
import { runCli } from './run-cli.js';

let processOut: MockInstance;
let processErr: MockInstance;
beforeEach(() => {
  processOut = vi.spyOn(process.stdout, 'write');
  processErr = vi.spyOn(process.stderr, 'write');
});
afterEach(() => {
  // Whatever a command printed, it printed to the streams it was given.
  expect(processOut).not.toHaveBeenCalled();
  expect(processErr).not.toHaveBeenCalled();
  vi.restoreAllMocks();
});

describe('compliance-export (in-process)', () => {
  it('--help lists every command on io.stdout; exit 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(EXIT.ok);
    for (const command of ['validate', 'plan', 'run', 'verify'])
      expect(r.out).toMatch(new RegExp(`\\n  ${command} `));
    expect(r.err).toBe('');
  });

  it('a subcommand --help prints its own options; exit 0', async () => {
    const r = await runCli(['run', '--help']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('compliance-export run [options] <job>');
    expect(r.out).toContain('--state-dir <dir>');
  });

  it('--version prints the tool version; exit 0', async () => {
    const r = await runCli(['--version']);
    expect(r).toEqual({ code: EXIT.ok, out: `${TOOL_VERSION}\n`, err: '' });
  });

  it('an unknown option is exit 2, named on io.stderr with the help after it', async () => {
    const r = await runCli(['validate', '--nope', 'x.yaml']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain("'--nope'");
    expect(r.err).toContain('Usage: compliance-export validate');
    expect(r.out).toBe('');
  });

  it('an unknown command and a missing argument are exit 2', async () => {
    expect((await runCli(['export'])).code).toBe(EXIT.usage);
    expect((await runCli(['plan'])).code).toBe(EXIT.usage);
  });

  it('a bad flag value the command checks is exit 2 with the usage code', async () => {
    const r = await runCli(['run', 'job.yaml', '--progress', 'loud']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/^compliance-export: usage: /u);
  });
});
