import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeadExports, loadProgram } from '../../scripts/check-dead-exports.js';

// A small project on disk, checked the way `npm run lint` checks this one.
const FILES: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true, types: [] },
    include: ['src', 'test'],
  }),
  'package.json': '{"type":"module"}',
  'src/lib.ts': [
    'export const used = 1;',
    'export function unused(): number { return helper(); }',
    'export function helper(): number { return 2; }',
    'export interface OnlyAType { a: number }',
    'export const viaBarrel = 3;',
    'export const alsoBarrel = 4;',
  ].join('\n'),
  'src/index.ts': "export { viaBarrel, alsoBarrel } from './lib.js';\n",
  'src/whole.ts': 'export const a = 1;\nexport const b = 2;\n',
  'src/lazy.ts': 'export const lazy = 1;\n',
  'src/sandbox/sim.ts': 'export const simulated = 1;\n',
  'src/cli/main.ts': "import { used } from '../lib.js';\nexport const entry = used;\n",
  'test/a.test.ts': [
    "import { viaBarrel } from '../src/index.js';",
    "import * as whole from '../src/whole.js';",
    'export const all = [viaBarrel, whole.a];',
    "export const later = async (): Promise<number> => (await import('../src/lazy.js')).lazy;",
  ].join('\n'),
};

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dead-exports-'));
  for (const [path, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the dead-export check', () => {
  it('lists exported values no other file imports, at the barrel and at the declaration', () => {
    // Used: `used` (by the entry point), `viaBarrel` (through the barrel), every export of a
    // namespace import and of a dynamic import. Exempt: types, the sandbox, entry points.
    expect(findDeadExports(loadProgram(root), root)).toEqual([
      'src/index.ts:1 alsoBarrel',
      'src/lib.ts:2 unused',
      'src/lib.ts:3 helper',
      'src/lib.ts:6 alsoBarrel',
    ]);
  });
});
