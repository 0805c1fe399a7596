import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JOB_SCHEMA, type SchemaNode } from '../../src/spec/check-schema.js';
import {
  README_END,
  README_START,
  renderSpecReference,
  replaceReferenceBlock,
} from '../../src/spec/render-reference.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Every dotted key path the schema defines (following $refs into $defs). */
function keyPaths(node: SchemaNode, prefix: string, out: string[]): string[] {
  const target = node.$ref !== undefined ? (JOB_SCHEMA.$defs?.[node.$ref.split('/').pop()!] ?? node) : node;
  for (const [k, child] of Object.entries(target.properties ?? {})) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    out.push(path);
    keyPaths(child, path, out);
  }
  return out;
}

describe('README job-spec reference', () => {
  it('is in sync with the schema (run `npm run docs:spec` to fix)', () => {
    expect(replaceReferenceBlock(readme)).toBe(readme);
  });

  it('documents every key of the schema, each with a description', () => {
    const block = readme.slice(readme.indexOf(README_START), readme.indexOf(README_END));
    const paths = keyPaths(JOB_SCHEMA, '', []);
    expect(paths.length).toBeGreaterThan(50);
    for (const p of paths) expect(block, p).toContain(`| \`${p}\` |`);
    for (const row of block.split('\n').filter((l) => l.startsWith('| `'))) {
      expect(row.split(' | ').at(-1)!.trim().length, row).toBeGreaterThan(3);
    }
  });

  it('changes when the schema does', () => {
    const original = JOB_SCHEMA.properties!.state_dir!.description!;
    try {
      JOB_SCHEMA.properties!.state_dir!.description = 'changed';
      expect(replaceReferenceBlock(readme)).not.toBe(readme);
    } finally {
      JOB_SCHEMA.properties!.state_dir!.description = original;
    }
    expect(renderSpecReference()).toContain('| `state_dir` |');
  });
});
