/**
 * Child processes for the install test: npm and the installed `compliance-export`, each with a
 * clean environment (what a jump host with only Node and npm has), never this process's own.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';

export interface Exited {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Passed through from this process: the path to node and npm, the home folder (npm's cache),
 * and how this machine reaches the registry (proxy, CA, registry URL). Nothing else: no
 * NODE_OPTIONS (vitest's or tsx's loaders), no NODE_PATH, no npm_package_* of `npm test`.
 */
const PASS_THROUGH = new Set([
  'HOME',
  'TMPDIR',
  'LANG',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'npm_config_registry',
  'npm_config_cafile',
  'npm_config_userconfig',
  'npm_config_cache',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'npm_config_strict_ssl',
]);

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (PASS_THROUGH.has(name) && value !== undefined) env[name] = value;
  }
  // The node running this test first, so `#!/usr/bin/env node` finds the same one.
  env['PATH'] = [dirname(process.execPath), process.env['PATH'] ?? ''].join(delimiter);
  return { ...env, ...extra };
}

export function run(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv },
): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** The last lines of a child's stderr, for a failure message. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Every package name installed anywhere under `nodeModules` (nested copies included), read
 * from the folder layout: `name/` and `@scope/name/`, then each one's own node_modules.
 */
export async function installedPackages(nodeModules: string): Promise<Set<string>> {
  const names = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      return; // no node_modules here
    }
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const scoped = entry.startsWith('@');
      const packages = scoped ? (await readdir(join(dir, entry))).map((n) => `${entry}/${n}`) : [entry];
      for (const name of packages) {
        names.add(name);
        await walk(join(dir, name, 'node_modules'));
      }
    }
  };
  await walk(nodeModules);
  return names;
}
