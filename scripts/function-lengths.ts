/**
 * The longest functions of the product (src/, every function, method and arrow with a body), to
 * keep each one something a reader can hold: `npx tsx scripts/function-lengths.ts [count]`.
 * Prints `<lines> <file>:<line> <name>`, longest first.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const count = Number(process.argv[2] ?? 10);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name !== undefined) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText();
  return '<anonymous>';
}

const lengths: { lines: number; where: string }[] = [];
for (const file of sourceFiles(join(root, 'src'))) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const fn = node;
      const start = source.getLineAndCharacterOfPosition(fn.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(fn.end).line;
      lengths.push({ lines: end - start + 1, where: `${relative(root, file)}:${start + 1} ${nameOf(fn)}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
lengths.sort((a, b) => b.lines - a.lines);
for (const { lines, where } of lengths.slice(0, count)) console.log(`${lines} ${where}`);
