/**
 * Dead-export check (`npm run lint`): fails listing every exported value (function, class,
 * constant) of src/**\/*.ts that no other file in src/, test/, bench/, demo/ or scripts/ imports. An export nobody
 * imports is either dead code or a private helper that should not be exported; either way a
 * reader cannot tell, so we say it. Exported types are left alone: a type exported beside the
 * function whose parameter or result it names is part of that function's contract, not code.
 *
 * Uses the TypeScript compiler over tsconfig.json, so imports are resolved exactly as tsc does:
 * an import through a re-export (`export { x } from`, `export *`) counts for every module on the
 * way, a namespace import (`import * as m`) or a dynamic `import('…')` counts for all of the
 * module's exports. Entry points (run as programs, not imported) are exempt, and so is the
 * sandbox, which is its own package with its own public surface.
 */
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Programs, not libraries: nothing imports them. */
const ENTRY_POINTS = new Set(['src/cli/main.ts', 'src/spec/update-readme.ts']);

export function loadProgram(root: string): ts.Program {
  const configPath = join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error !== undefined)
    throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  return ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
}

export function findDeadExports(program: ts.Program, root: string): string[] {
  const posix = (file: string): string => relative(root, file).split(sep).join('/');
  const isChecked = (file: string): boolean => {
    const path = posix(file);
    return (
      path.startsWith('src/') &&
      path.endsWith('.ts') &&
      !path.endsWith('.d.ts') &&
      !path.startsWith('src/sandbox/') &&
      !ENTRY_POINTS.has(path)
    );
  };
  const isImporter = (file: string): boolean => /^(src|test|bench|demo|scripts)\//u.test(posix(file));

  const checker = program.getTypeChecker();
  /** Interfaces and type aliases (also through a re-export): no runtime code to be dead. */
  const isTypeOnly = (symbol: ts.Symbol): boolean => {
    const target = (symbol.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(symbol) : symbol;
    return (target.flags & ts.SymbolFlags.Value) === 0;
  };
  const used = new Set<ts.Symbol>();

  /** Marks a symbol and every alias it goes through (import → re-export → declaration). */
  const markChain = (start: ts.Symbol | undefined): void => {
    let symbol = start;
    while (symbol !== undefined && !used.has(symbol)) {
      used.add(symbol);
      if ((symbol.flags & ts.SymbolFlags.Alias) === 0) return;
      symbol = checker.getImmediateAliasedSymbol(symbol);
    }
  };
  const markModule = (specifier: ts.Expression): void => {
    const moduleSymbol = checker.getSymbolAtLocation(specifier);
    if (moduleSymbol === undefined) return;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) markChain(exported);
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const bindings = node.importClause?.namedBindings;
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) markModule(node.moduleSpecifier);
      else if (bindings !== undefined)
        for (const element of bindings.elements) markChain(checker.getSymbolAtLocation(element.name));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      // `export * from` makes the target's exports the barrel's; they are judged where imported.
      if (node.exportClause !== undefined && ts.isNamespaceExport(node.exportClause))
        markModule(node.moduleSpecifier);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined
    ) {
      markModule(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      markModule(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  for (const file of program.getSourceFiles()) if (isImporter(file.fileName)) visit(file);

  const dead: string[] = [];
  for (const file of program.getSourceFiles()) {
    if (!isChecked(file.fileName)) continue;
    const moduleSymbol = checker.getSymbolAtLocation(file);
    if (moduleSymbol === undefined) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      if (used.has(exported) || isTypeOnly(exported)) continue;
      // A re-export (`export { x } from`) is judged at its own name; a local export at its declaration.
      const declaration = exported.declarations?.[0];
      if (declaration === undefined || declaration.getSourceFile() !== file) continue;
      const { line } = file.getLineAndCharacterOfPosition(declaration.getStart());
      dead.push(`${posix(file.fileName)}:${line + 1} ${exported.getName()}`);
    }
  }
  return dead.sort((a, b) => a.localeCompare(b, 'en'));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dead = findDeadExports(loadProgram(ROOT), ROOT);
  if (dead.length > 0) {
    console.error(
      `${dead.length} export(s) nothing in src/, test/, bench/, demo/ or scripts/ imports (un-export or remove):`,
    );
    for (const line of dead) console.error(`  ${line}`);
    process.exitCode = 1;
  } else console.log('dead exports: none');
}
