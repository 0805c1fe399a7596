import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'spec-cli-'));
const good = join(dir, 'good.yaml');
const bad = join(dir, 'bad.yaml');
writeFileSync(good, 'version: 1\nname: good\nscope: {}\ndestination: { uri: out }\n');
writeFileSync(bad, 'version: 1\nname: bad\nscope:\n  include: [chat]\ndestination: { uri: "s3://" }\n');

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  process.exitCode = undefined;
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const run = (...args: string[]): Promise<number> => main(['node', 'compliance-export', 'validate', ...args]);

describe('compliance-export validate', () => {
  it('exits 0 on a valid file and prints its hash', async () => {
    expect(await run(good)).toBe(EXIT.ok);
    expect(out).toMatch(/good\.yaml: valid \(job "good", spec sha256 [0-9a-f]{64}\)/);
  });

  it('exits 2 on an invalid file, one positioned line per problem', async () => {
    expect(await run(bad)).toBe(EXIT.usage);
    expect(err).toContain(`${bad}:4:13: /scope/include/0: `);
    expect(err).toContain(`${bad}:5:21: /destination/uri: `);
  });

  it('--json prints one object per file and still exits 2 if any is invalid', async () => {
    expect(await run(good, bad, '--json')).toBe(EXIT.usage);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.ok, l.file])).toEqual([
      [true, good],
      [false, bad],
    ]);
    expect(lines[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(lines[0].spec.consistency.overlap_ms).toBe(300_000);
    const errors = lines[1].diagnostics.filter((d: { severity: string }) => d.severity === 'error');
    expect(errors.map((d: { code: string; path: string; line: number }) => [d.code, d.path, d.line])).toEqual(
      [
        ['enum', '/scope/include/0', 4],
        ['s3_uri', '/destination/uri', 5],
      ],
    );
  });

  it('a missing file is exit 2 too', async () => {
    expect(await run(join(dir, 'nope.yaml'))).toBe(EXIT.usage);
    expect(err).toContain('[file_unreadable]');
  });

  it('the real process exits 2 on an invalid spec', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'validate', bad], {
      cwd: new URL('../../', import.meta.url).pathname,
      encoding: 'utf8',
    });
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toContain('/scope/include/0');
  });
});
