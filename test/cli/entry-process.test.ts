/**
 * The entry point itself, in a real second process: `node src/cli/main.ts` hands main the
 * process's streams and turns its result into the process exit code. Everything else about the
 * commands runs in-process (run-cli.ts).
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function cli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('compliance-export as a process', () => {
  it('exits 2 on an invalid spec, the problem on its stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-entry-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nname: bad\nscope:\n  include: [chat]\ndestination: { uri: out }\n');
    const r = cli('validate', bad);
    expect([r.status, r.signal]).toEqual([EXIT.usage, null]);
    expect(r.stderr).toContain('/scope/include/0');
    expect(r.stdout).toBe('');
  });

  it('ends with exit 2 on `validate /dev/zero` instead of reading it forever', () => {
    const r = cli('validate', '/dev/zero');
    expect([r.status, r.signal]).toEqual([EXIT.usage, null]);
    expect(r.stderr).toContain('[file_unreadable]');
  });

  it('ends with exit 2 on `verify` of a FIFO or /dev/zero instead of waiting on or reading it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-entry-'));
    const fifo = join(dir, 'archive.zip');
    execFileSync('mkfifo', [fifo]);
    for (const target of [fifo, '/dev/zero']) {
      const r = cli('verify', target);
      expect([r.status, r.signal], target).toEqual([EXIT.usage, null]);
      expect(r.stderr).toContain(`${target}: not a zip file or a bag folder`);
    }
  });

  it('prints its version on its stdout and exits 0', () => {
    const r = cli('--version');
    expect([r.status, r.signal]).toEqual([EXIT.ok, null]);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/u);
  });
});
