/**
 * A code-artifact version an earlier run could not get (503 "in flight" past every retry) is named
 * retryable, and a rerun fetches exactly it again by id (the stage's walks are finished by then).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runJob } from '../../src/run-job.js';
import { startSandbox, type SandboxStats } from '@compliance-export/sandbox';
import { fastClock, harness, type Harness, openJobStore } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close().catch(() => undefined);
  h = undefined;
});

describe('a rerun after a code-artifact version gap', () => {
  it('fetches the version again by id and clears the gap', async () => {
    h = await harness({
      include: ['code_artifacts'],
      scenario: { faults: { inFlightVersions: 1, inFlightTimes: 50 } },
    });
    const opts = {
      specPath: h.specPath,
      env: h.env,
      sleep: async () => undefined,
      progress: 'off' as const,
      stopAfter: 'quiesce' as const,
      client: { clock: fastClock },
    };
    const first = await runJob(opts);
    expect(first.exitCode).toBe(3);
    const faults = (await (await fetch(`${h.sandbox.baseUrl}/_sandbox/faults`)).json()) as {
      in_flight_versions: { artifact_id: string; version_id: string }[];
    };
    const v = faults.in_flight_versions[0]!;
    const id = `${v.artifact_id}/${v.version_id}`;
    const open = () => openJobStore(h!);
    let store = await open();
    expect(store.exceptions().map((e) => [e.kind, e.id, e.retryable])).toEqual([
      ['code_artifact_version', id, true],
    ]);
    await store.close();

    // The same tenant, healed, on the same address.
    const port = Number(new URL(h.sandbox.baseUrl).port);
    await h.sandbox.close();
    const healed = await startSandbox({ port, seed: 7, profile: 'small', rpm: 0 });
    try {
      const second = await runJob(opts);
      expect([second.exitCode, second.exceptions]).toEqual([0, 0]);
      store = await open();
      expect(store.status('code_artifact_version', id).state).toBe('stored');
      await store.close();
      const stats = (await (await fetch(`${healed.baseUrl}/_sandbox/stats`)).json()) as SandboxStats;
      // Only that version was downloaded again.
      expect(stats.byRoute['/v1/compliance/apps/code/artifacts/{artifact_id}/versions/{version_id}']).toEqual(
        { '200': 1 },
      );
    } finally {
      await healed.close();
    }
  });
});
