/**
 * The exporter as it ships: `src/` and the bench's child entry compiled with tsc into a temp
 * folder, run with plain Node. Under tsx the child also carries the TypeScript loader and its
 * transform cache (~35 MB of RSS measured at start-up: 110 MB against 77 MB for the compiled
 * modules), which an installed tool never has. The folder gets what the compiled code reads
 * beside it: package.json (the version), schemas/ and node_modules (links).
 */
import { execFile } from 'node:child_process';
import { copyFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { info, tempDir } from './run-bench.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Compiles the exporter; returns the path of the compiled child entry (export-child.js). */
export async function compiledChild(): Promise<string> {
  const started = Date.now();
  const out = await tempDir('compiled');
  const tsconfig = join(out, 'tsconfig.json');
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: {
        rootDir: ROOT,
        outDir: out,
        typeRoots: [join(ROOT, 'node_modules/@types')],
        sourceMap: false,
        declaration: false,
      },
      include: [join(ROOT, 'src'), join(ROOT, 'bench/lib/export-child.ts')],
    }),
  );
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsc'), ['-p', tsconfig], { cwd: ROOT });
  await copyFile(join(ROOT, 'package.json'), join(out, 'package.json'));
  await symlink(join(ROOT, 'schemas'), join(out, 'schemas'));
  await symlink(join(ROOT, 'node_modules'), join(out, 'node_modules'));
  info(`compiled the exporter into ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return join(out, 'bench/lib/export-child.js');
}
