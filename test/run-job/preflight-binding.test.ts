/**
 * A run that fails preflight binds nothing: after fixing the spec, the next run on the same state
 * folder runs (no spec_state_mismatch). Once a run did real work, a different spec is refused.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type RunJobOptions } from '../../src/run-job.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { harness, instantSleep, type Harness } from './helpers.js';

describe('state binding', () => {
  let h: Harness;
  beforeAll(async () => {
    // A key with user-data scope only: the default kinds include the directory, which needs org data.
    h = await harness({ key: 'userDataOnly' });
  });
  afterAll(async () => {
    await h?.close();
  });

  const run = (extra: Partial<RunJobOptions> = {}) =>
    runJob({
      specPath: h.specPath,
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
      stopAfter: 'quiesce',
      ...extra,
    });
  const stateFile = () => join(h.dir, 'state', 'test-job', 'state.json');
  const setInclude = async (kinds: string): Promise<void> => {
    const text = await readFile(h.specPath, 'utf8');
    await writeFile(h.specPath, text.replace(/^ {2}include: .*$/mu, `  include: [${kinds}]`));
  };

  it('is not made by runs that fail preflight, and is made by the first run that works', async () => {
    // A bad key (the API answers an unknown key 404: compliance-api.md §1.2), then a missing scope.
    const badKey = await run({ env: { ...h.env, TEST_COMPLIANCE_KEY: 'sk-not-a-key' } }).catch(
      (e: unknown) => e,
    );
    expect(['api_key_rejected', 'not_found']).toContain((badKey as { code?: string }).code);
    await expect(run()).rejects.toMatchObject({ code: 'scope_missing' });
    await expect(access(stateFile())).rejects.toMatchObject({ code: 'ENOENT' });

    // The spec fixed (only what the key can read): the same state folder runs.
    await setInclude('chats');
    const fixed = await run();
    expect([fixed.exitCode, fixed.resumed, fixed.counts['chat']]).toEqual([0, false, 60]);
    const { sha256 } = await loadSpecFile(h.specPath, { env: h.env });
    const state = JSON.parse(await readFile(stateFile(), 'utf8')) as { spec_sha256: string };
    expect(state.spec_sha256).toBe(sha256);

    // Real work is bound: another spec is refused, and the state is left as it was.
    await setInclude('chats, projects');
    await expect(run()).rejects.toMatchObject({ code: 'spec_state_mismatch' });
    expect((JSON.parse(await readFile(stateFile(), 'utf8')) as { spec_sha256: string }).spec_sha256).toBe(
      sha256,
    );
  });
});
