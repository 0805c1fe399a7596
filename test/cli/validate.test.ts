/** `compliance-export validate` in-process: exit codes, positioned problems, --json lines. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'spec-cli-'));
const good = join(dir, 'good.yaml');
const bad = join(dir, 'bad.yaml');
writeFileSync(good, 'version: 1\nname: good\nscope: {}\ndestination: { uri: out }\n');
writeFileSync(bad, 'version: 1\nname: bad\nscope:\n  include: [chat]\ndestination: { uri: "s3://" }\n');

const run = (...args: string[]): ReturnType<typeof runCli> => runCli(['validate', ...args]);

describe('compliance-export validate', () => {
  it('exits 0 on a valid file and prints its hash', async () => {
    const r = await run(good);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/good\.yaml: valid \(job "good", spec sha256 [0-9a-f]{64}\)/);
  });

  it('exits 2 on an invalid file, one positioned line per problem', async () => {
    const r = await run(bad);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain(`${bad}:4:13: /scope/include/0: `);
    expect(r.err).toContain(`${bad}:5:21: /destination/uri: `);
  });

  it('--json prints one object per file and still exits 2 if any is invalid', async () => {
    const r = await run(good, bad, '--json');
    expect(r.code).toBe(EXIT.usage);
    const lines = r.out
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
    const r = await run(join(dir, 'nope.yaml'));
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain('[file_unreadable]');
  });

  it('resolves a relative path against io.cwd', async () => {
    const r = await runCli(['validate', 'good.yaml', '--json'], { cwd: dir });
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, file: 'good.yaml', name: 'good' });
  });

  it('reads the environment from io.env: a spec whose key variable is set there has no warning', async () => {
    const spec = join(dir, 'keyed.yaml');
    writeFileSync(
      spec,
      'version: 1\nname: keyed\nsource: { api_key_env: CLI_IO_TEST_KEY }\nscope: {}\ndestination: { uri: out }\n',
    );
    const unset = await runCli(['validate', spec, '--json'], { env: {} });
    const set = await runCli(['validate', spec, '--json'], { env: { CLI_IO_TEST_KEY: 'x' } });
    const codes = (r: { out: string }): string[] =>
      (JSON.parse(r.out) as { warnings: { code: string }[] }).warnings.map((w) => w.code);
    expect([unset.code, set.code]).toEqual([EXIT.ok, EXIT.ok]);
    expect(codes(unset)).toContain('api_key_env_unset');
    expect(codes(set)).not.toContain('api_key_env_unset');
  });
});
