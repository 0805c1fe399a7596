// ESLint flat config: typescript-eslint typed rules over src/, test/ and bench/, and the layer
// boundaries of src/ (which folder may import which).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * Layer boundaries, as `no-restricted-imports` regexes over the import string. The folders they
 * guard are flat, so a relative import that starts with `../` leaves the folder.
 *
 * - Shared leaves anyone may import: src/errors.ts, src/local-files.ts, src/version.ts.
 * - Low layers (api, archive, sink) and the standalone verifier (verify) import only their own
 *   folder, node/npm packages and the leaves. The verifier reads archives (zip, folder, S3) with
 *   its own code and the AWS SDK, never the writer's, so an auditor can trust it on its own.
 * - Middle layers (spec, store) may also import the low layers and each other, never a stage.
 * - Nothing in src/ imports the sandbox, wherever it lives (src/sandbox today, packages/sandbox
 *   as the workspace package `@compliance-export/sandbox`).
 */
const LEAVES = '(aws-sdk|errors|local-files|version)\\.js$';
const leavesFolder = (message) => ({ regex: `^\\.\\./(?!${LEAVES})`, message });
const SANDBOX = [
  {
    regex: '(^|/)sandbox(/|$)|^@compliance-export/sandbox|(^|/)packages/',
    message: 'the product never imports the sandbox (it is a dev/demo dependency only)',
  },
];
const boundary = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [...patterns, ...SANDBOX] }] },
});

export default tseslint.config(
  { ignores: ['**/dist/**', 'dist-typecheck/**', 'node_modules/**', 'coverage/**', '.state/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  boundary(['src/**/*.ts'], []),
  boundary(
    ['src/api/**/*.ts', 'src/archive/**/*.ts'],
    [
      leavesFolder(
        'a low layer (api, archive, sink) imports only its own folder and src/errors, local-files, version, aws-sdk',
      ),
    ],
  ),
  // A sink hands out the archives it stores (snapshot chains) through the verifier's own zip
  // reader, so a stored archive is read the one way an auditor reads it; nothing else of verify.
  boundary(
    ['src/sink/**/*.ts'],
    [
      {
        regex: `^\\.\\./(?!${LEAVES}|verify/(bag-source|zip-source)\\.js$)`,
        message:
          'a low layer (api, archive, sink) imports only its own folder and src/errors, local-files, version, aws-sdk (a sink may also open stored zips with verify/zip-source)',
      },
    ],
  ),
  boundary(
    ['src/verify/**/*.ts'],
    [
      leavesFolder(
        'the verifier stands alone: it imports nothing of the writer, only src/errors, local-files, version, aws-sdk',
      ),
    ],
  ),
  boundary(
    ['src/spec/**/*.ts', 'src/store/**/*.ts'],
    [
      {
        regex: `^\\.\\./(?!${LEAVES}|(api|archive|sink|spec|store)/)`,
        message:
          'a middle layer (spec, store) imports no stage, only api, archive, sink, spec, store and the leaves',
      },
    ],
  ),
  { files: ['src/sandbox/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'packages/*/test/**/*.ts', 'packages/*/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
