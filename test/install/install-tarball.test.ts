/**
 * The tool as an operator gets it: `npm pack` in this repo, `npm install -g` of the tarball into a
 * temp prefix (runtime dependencies from the npm registry, no dev dependencies), then the installed
 * `compliance-export` from an unrelated folder: --version, validate, and a run against the
 * sandbox on loopback to a local folder, its archive checked by the installed `verify`.
 * Needs `npm run build` first (npm test's pretest does it) and the npm registry.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '@compliance-export/sandbox';
import { cleanEnv, installedPackages, run, tail } from './installed-tool.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const KEY_ENV = 'INSTALL_TEST_KEY';

interface PackedFile {
  readonly path: string;
  readonly mode: number;
}

let root: string;
let packed: { filename: string; size: number; files: PackedFile[] };
let prefix: string;
let installedDir: string;
let bin: string;
let work: string; // an unrelated working directory: no package.json, no node_modules
let sandbox: RunningSandbox;

beforeAll(async () => {
  const built = join(REPO, PKG.bin['compliance-export']!);
  if (!existsSync(built)) {
    throw new Error(`${built} is missing: run \`npm run build\` first (npm test's pretest does)`);
  }
  root = await mkdtemp(join(tmpdir(), 'install-tarball-'));
  prefix = join(root, 'prefix');
  work = join(root, 'work');
  await mkdir(join(root, 'pack'));
  await mkdir(work);
  const env = cleanEnv();

  const pack = await run('npm', ['pack', '--json', '--pack-destination', join(root, 'pack')], {
    cwd: REPO,
    env,
  });
  if (pack.code !== 0) throw new Error(`npm pack failed (exit ${pack.code}):\n${tail(pack.stderr)}`);
  [packed] = JSON.parse(pack.stdout) as [typeof packed];

  // The runtime dependencies come from the registry: without it this test cannot pass, so it
  // fails here and says why instead of skipping.
  const ping = await run('npm', ['ping'], { cwd: work, env });
  if (ping.code !== 0) {
    throw new Error(
      `the npm registry is unreachable (npm ping exit ${ping.code}); installing the tarball ` +
        `needs it for the runtime dependencies:\n${tail(ping.stderr)}`,
    );
  }
  const tgz = join(root, 'pack', packed.filename);
  const install = await run(
    'npm',
    ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--omit=dev', tgz],
    { cwd: work, env },
  );
  if (install.code !== 0) {
    throw new Error(
      `npm install -g of ${packed.filename} failed (exit ${install.code}):\n${tail(install.stderr)}`,
    );
  }
  installedDir = join(prefix, 'lib', 'node_modules', PKG.name);
  bin = join(prefix, 'bin', 'compliance-export');
  sandbox = await startSandbox({ port: 0, seed: 5, profile: 'small', rpm: 0 });
}, 600_000);

afterAll(async () => {
  await sandbox?.close();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('packs only the runtime: dist (no source maps), the schema, the example jobs', () => {
    const paths = packed.files.map((f) => f.path).sort();
    for (const path of paths) {
      expect(path).toMatch(
        /^(package\.json|README\.md|dist\/.+\.js|schemas\/[^/]+\.json|jobs\/[^/]+\.yaml)$/u,
      );
      expect(path).not.toMatch(/sandbox|demo|(^|\/)test\/|\.map$|\.ts$|update-readme/u);
    }
    expect(paths).toEqual(
      expect.arrayContaining([
        'dist/cli/main.js',
        'dist/version.js',
        'schemas/job.schema.json',
        'jobs/legal-hold.yaml',
        'jobs/regulator-request.yaml',
        'jobs/cold-storage-snapshot.yaml',
        'jobs/nightly-snapshot.yaml',
      ]),
    );
  });

  it('the command file starts with a node shebang and is executable, in the build and the tarball', () => {
    const main = join(REPO, 'dist/cli/main.js');
    expect(readFileSync(main, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(main).mode & 0o111).toBe(0o111);
    expect(packed.files.find((f) => f.path === 'dist/cli/main.js')!.mode & 0o111).toBe(0o111);
  });
});

describe('npm install -g of the tarball', () => {
  it('installs every runtime dependency and no dev dependency', async () => {
    const names = await installedPackages(join(installedDir, 'node_modules'));
    for (const dep of Object.keys(PKG.dependencies)) expect(names, dep).toContain(dep);
    const dev = Object.keys(PKG.devDependencies).filter((d) => names.has(d));
    expect(dev).toEqual([]);
    for (const tool of ['vitest', 's3rver', 'tsx', 'typescript', 'eslint', 'aws-sdk-client-mock']) {
      expect(names.has(tool), tool).toBe(false);
    }
    // Nothing beside the tool itself in the global folder (dependencies are its own).
    expect(await readdir(join(prefix, 'lib', 'node_modules'))).toEqual([PKG.name]);
  });

  it('--version from an unrelated folder prints the package version', async () => {
    const r = await run(bin, ['--version'], { cwd: work, env: cleanEnv() });
    expect([r.code, r.stdout.trim()], r.stderr).toEqual([0, PKG.version]);
  });

  it('validate: a shipped example copied elsewhere passes (0); a misspelt key fails (2, unknown_key)', async () => {
    const good = join(work, 'legal-hold.yaml');
    await copyFile(join(installedDir, 'jobs', 'legal-hold.yaml'), good);
    const ok = await run(bin, ['validate', 'legal-hold.yaml'], { cwd: work, env: cleanEnv() });
    expect(ok.code, ok.stderr).toBe(0);

    const text = await readFile(good, 'utf8');
    await writeFile(join(work, 'typo.yaml'), text.replace('on_missing_scope:', 'on_missing_scop:'));
    const bad = await run(bin, ['validate', 'typo.yaml', '--json'], { cwd: work, env: cleanEnv() });
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).toContain('unknown_key');
  });

  it('run: a complete export from the sandbox to a local folder (0), verified by the installed verify', async () => {
    await writeFile(
      join(work, 'job.yaml'),
      `version: 1
name: installed
source:
  base_url: ${sandbox.baseUrl}
  api_key_env: ${KEY_ENV}
  requests_per_minute: 60000
  allow_above_documented_limit: true
scope:
  organizations: all
  include: [directory, chats, files]
consistency:
  indexing_lag: 1s
  overlap: 10s
  quiescence:
    interval: 1s
    max_passes: 2
destination:
  uri: out
state_dir: state
`,
    );
    // The key only in the child's environment, never in this process's.
    expect(process.env[KEY_ENV]).toBeUndefined();
    const env = cleanEnv({ [KEY_ENV]: sandbox.keys.full });
    const r = await run(bin, ['run', 'job.yaml', '--json', '--progress', 'off'], { cwd: work, env });
    expect(r.code, tail(r.stderr)).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(sandbox.keys.full);
    const summary = JSON.parse(r.stdout) as {
      status: string;
      exceptions: number;
      counts: Record<string, number>;
      archive: { location: string; zipSha256: string; verified: boolean };
    };
    expect([summary.status, summary.exceptions, summary.archive.verified]).toEqual(['complete', 0, true]);
    expect(summary.counts['chat']).toBeGreaterThan(0);
    expect(summary.archive.location.startsWith(join(work, 'out'))).toBe(true);
    const zipSha256 = createHash('sha256')
      .update(await readFile(summary.archive.location))
      .digest('hex');
    expect(summary.archive.zipSha256).toBe(zipSha256);

    const v = await run(bin, ['verify', summary.archive.location, '--json'], { cwd: work, env: cleanEnv() });
    const report = JSON.parse(v.stdout) as { ok: boolean; archiveSha256: string; problems: unknown[] };
    expect([v.code, report.ok, report.archiveSha256, report.problems]).toEqual([0, true, zipSha256, []]);
  });
});
