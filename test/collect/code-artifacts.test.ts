import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createComplianceClient, type ComplianceClient } from '../../src/api/index.js';
import { codeArtifacts } from '../../src/collect/kinds/code-artifacts.js';
import type { PassContext } from '../../src/collect/context.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { openStore, type StagingStore } from '../../src/store/index.js';
import { harness, type Harness } from '../run-job/helpers.js';
import { countingProgress, firstPass } from './context-fixture.js';

let h: Harness;
let store: StagingStore;
let client: ComplianceClient;
beforeEach(async () => {
  h = await harness({ include: ['code_artifacts'] });
  const { spec, sha256 } = await loadSpecFile(h.specPath, { env: h.env });
  store = await openStore({ stateDir: `${h.dir}/state`, jobName: spec.name, specSha256: sha256 });
  client = createComplianceClient({
    baseUrl: h.sandbox.baseUrl,
    apiKey: h.env['TEST_COMPLIANCE_KEY']!,
    requestsPerMinute: 60_000,
  });
});
afterEach(async () => {
  await store.close();
  await client.close();
  await h.close();
});

async function context(downloads: (artifactId: string, versionId: string) => string): Promise<PassContext> {
  const { spec } = await loadSpecFile(h.specPath, { env: h.env });
  // The real client, except that chosen version downloads ask for a version id the API does not
  // have, so the sandbox answers a real 404 (as for a version rotated out of the ~20 kept).
  const proxied = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'downloadCodeArtifactVersion') {
        return (a: string, v: string, ...rest: unknown[]) =>
          (target.downloadCodeArtifactVersion as (...args: unknown[]) => unknown).call(
            target,
            a,
            downloads(a, v),
            ...rest,
          );
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return firstPass({
    store,
    client: proxied,
    spec,
    cut: new Date().toISOString(),
    concurrency: 4,
    readAhead: 8,
    signal: undefined,
    progress: countingProgress(),
  });
}

describe('code artifact versions answering 404', () => {
  it('are re-listed and retried: a version that comes back is stored, no gap remains', async () => {
    let first = true;
    let target = '';
    const ctx = await context((a, v) => {
      if (first) {
        first = false;
        target = `${a}/${v}`;
        return `${v}-gone`;
      }
      return v;
    });
    await codeArtifacts.collect(ctx);
    expect(store.status('code_artifact_version', target).state).not.toBe('absent');
    expect(store.exceptions().map((e) => [e.id, e.reason, e.detail])).toEqual([]);
  });

  it('still missing after the re-list → a version_rotated gap naming the artifact', async () => {
    let target = '';
    const ctx = await context((a, v) => {
      if (target === '' || target === `${a}/${v}`) {
        target = `${a}/${v}`;
        return `${v}-gone`;
      }
      return v;
    });
    await codeArtifacts.collect(ctx);
    expect(store.status('code_artifact_version', target).state).toBe('absent');
    expect(store.exceptions().map((e) => [e.kind, e.id, e.reason, e.retryable, e.parent])).toEqual([
      ['code_artifact_version', target, 'version_rotated', false, target.split('/')[0]],
    ]);
  });
});
