import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Four projects, chosen by file: `npm test` runs them all; `npm run test:unit`,
 * `test:integration`, `test:e2e` and `test:install` run one (`vitest run --project <name>`).
 * - install: `npm pack`, then `npm install -g` of the tarball into a temp prefix (needs the npm
 *   registry for the runtime dependencies; slow) and the installed command against the sandbox.
 * - s3-e2e: an S3 destination end to end against s3rver on loopback.
 * - sandbox-integration: tests that start the sandbox over loopback (in-process or the CLI).
 * - unit: everything else; in-process, no sandbox, no S3 server (a test may still start its own
 *   small misbehaving HTTP server on loopback, test/api/fixture-server.ts).
 */
const S3_E2E = [
  'test/sink/s3-e2e.test.ts',
  'test/sink/s3-sink-contract.test.ts',
  'test/survey/check-destination.test.ts',
  'test/verify/verify-s3.test.ts',
  'test/snapshot/stored-archive-s3.test.ts',
  'test/cli/verify.test.ts',
  'test/run-job/crash-finish.test.ts',
  'test/ship/volumes-s3.test.ts',
  'test/demo/**/*.test.ts',
];
const INSTALL = ['test/install/**/*.test.ts'];
const SANDBOX_INTEGRATION = [
  'packages/sandbox/test/**/*.test.ts',
  'test/run-job/**/*.test.ts',
  'test/api/client-sandbox*.test.ts',
  'test/archive/seal-bag.test.ts',
  'test/cli/plan.test.ts',
  'test/cli/run.test.ts',
  'test/contract/**/*.test.ts',
  'test/plan/plan-sandbox.test.ts',
  'test/archive/bagit-python.test.ts',
  'test/collect/chat-attachments.test.ts',
  'test/collect/code-artifacts.test.ts',
  'test/collect/hostile-zip.test.ts',
  'test/collect/preflight-key.test.ts',
  'test/produce/documents/review-archive.test.ts',
  'test/snapshot/materialize*.test.ts',
  'test/archive/volumes.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'install', include: INSTALL },
      },
      {
        extends: true,
        test: { name: 's3-e2e', include: S3_E2E },
      },
      {
        extends: true,
        test: {
          name: 'sandbox-integration',
          include: SANDBOX_INTEGRATION,
          exclude: [...configDefaults.exclude, ...S3_E2E],
        },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...INSTALL, ...S3_E2E, ...SANDBOX_INTEGRATION],
        },
      },
    ],
  },
});
