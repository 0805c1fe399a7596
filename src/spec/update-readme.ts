/**
 * `npm run docs:spec`: rewrite README.md's job-spec reference block from the schema.
 * `--check` exits 1 when the block is stale instead of writing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceReferenceBlock } from './render-reference.js';

const readmeUrl = new URL('../../README.md', import.meta.url);
const current = readFileSync(readmeUrl, 'utf8');
const next = replaceReferenceBlock(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    process.stderr.write('README.md job-spec reference is out of date: run `npm run docs:spec`\n');
    process.exitCode = 1;
  }
} else if (next !== current) {
  writeFileSync(readmeUrl, next);
  process.stdout.write('README.md job-spec reference updated\n');
} else {
  process.stdout.write('README.md job-spec reference already up to date\n');
}
