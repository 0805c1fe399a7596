/**
 * A key the Compliance API does not recognise answers 404 `Not found` on every endpoint
 * (compliance-api.md §5.3, §5.5), as does a server that is not the Compliance API. Preflight must
 * say the key (or the base URL) is the likely cause, naming the key's type by its prefix only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComplianceClient, type ComplianceClient } from '../../src/api/index.js';
import { describeKeyType, probeScopes } from '../../src/preflight/probe-scopes.js';
import { runJob } from '../../src/run-job.js';
import { loadSpecFile } from '../../src/spec/index.js';
import type { ResolvedJobSpec } from '../../src/spec/types.js';
import { startFixture, type Fixture } from '../api/fixture-server.js';
import { ALL_KINDS, harness, instantSleep, type Harness } from '../run-job/helpers.js';

let h: Harness;
let spec: ResolvedJobSpec;
let notApi: Fixture;
const clients: ComplianceClient[] = [];
beforeAll(async () => {
  h = await harness({ include: [...ALL_KINDS, 'sessions'] });
  spec = (await loadSpecFile(h.specPath, { env: h.env })).spec;
  // A web server that is not the Compliance API: 404 for every path, in the API's own words.
  notApi = await startFixture(() => ({
    status: 404,
    json: { error: { type: 'not_found_error', message: 'Not found' } },
  }));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await notApi?.close();
  await h?.close();
});

function clientFor(apiKey: string, baseUrl = h.sandbox.baseUrl): ComplianceClient {
  const c = createComplianceClient({ baseUrl, apiKey, requestsPerMinute: 60_000 });
  clients.push(c);
  return c;
}

async function failure(
  run: () => Promise<unknown>,
): Promise<{ code: string; message: string; cause?: unknown }> {
  try {
    await run();
  } catch (e) {
    return e as { code: string; message: string; cause?: unknown };
  }
  throw new Error('expected a failure');
}

describe('preflight with a key the API does not recognise', () => {
  it('calls a Claude API key (404 on every probe) a rejected key, naming its type and the fix', async () => {
    const key = h.sandbox.keys.claudeApi;
    expect(key.startsWith('sk-ant-api03-')).toBe(true);
    const e = await failure(() => probeScopes(clientFor(key), spec, undefined, key));
    expect(e.code).toBe('api_key_rejected');
    expect((e.cause as { code: string }).code).toBe('not_found');
    expect(e.message).toContain('TEST_COMPLIANCE_KEY');
    expect(e.message).toContain('a Claude API key (sk-ant-api03-…)');
    expect(e.message).toContain('Compliance Access Key (sk-ant-api01-…');
    expect(e.message).not.toContain(key);
    expect(e.message).not.toContain(key.slice('sk-ant-api03-'.length, 'sk-ant-api03-'.length + 6));
  });

  it('points at source.base_url when a Compliance key gets 404 everywhere', async () => {
    const key = h.sandbox.keys.full;
    const e = await failure(() => probeScopes(clientFor(key, notApi.baseUrl), spec, undefined, key));
    expect(e.code).toBe('api_key_rejected');
    expect(e.message).toContain('a Compliance Access Key (sk-ant-api01-…)');
    expect(e.message).toContain('check source.base_url');
    expect(e.message).not.toContain(key);
    expect(notApi.requests.map((r) => r.path).sort()).toEqual([
      '/v1/compliance/activities',
      '/v1/compliance/apps/chats',
      '/v1/compliance/apps/code/artifacts',
      '/v1/compliance/apps/projects',
      '/v1/compliance/apps/sessions/remote',
      '/v1/compliance/organizations',
    ]);
  });

  it('names the type of a deactivated key on a 401 too, never the key', async () => {
    const key = h.sandbox.keys.deactivated;
    const e = await failure(() => probeScopes(clientFor(key), spec, undefined, key));
    expect(e.code).toBe('api_key_rejected');
    expect(e.message).toContain('a Compliance Access Key (sk-ant-api01-…)');
    expect(e.message).toContain('API key has been deactivated.');
    expect(e.message).toContain('re-enable a disabled key');
    expect(e.message).not.toContain('expired');
    expect(e.message).not.toContain(key);
  });

  it('names an expired Admin key as expired, with what to do, never the key (§5.3)', async () => {
    const key = h.sandbox.keys.expiredAdmin;
    const e = await failure(() => probeScopes(clientFor(key), spec, undefined, key));
    expect(e.code).toBe('api_key_rejected');
    expect((e.cause as { code: string; status: number }).status).toBe(401);
    expect(e.message).toContain('TEST_COMPLIANCE_KEY, an Admin API key (sk-ant-admin01-…),');
    expect(e.message).toContain('API key has expired.');
    expect(e.message).toContain('the key has expired (only Admin API keys expire): create a new key');
    expect(e.message).toContain('use a Compliance Access Key (sk-ant-api01-…)');
    expect(e.message).not.toContain('re-enable a disabled key');
    expect(e.message).not.toContain(key);
    expect(e.message).not.toContain(key.slice('sk-ant-admin01-'.length, 'sk-ant-admin01-'.length + 6));
  });

  it('run stops at preflight with api_key_rejected and the key type, never the key', async () => {
    const key = h.sandbox.keys.claudeApi;
    const e = await failure(() =>
      runJob({
        specPath: h.specPath,
        env: { ...h.env, TEST_COMPLIANCE_KEY: key },
        sleep: instantSleep,
        progress: 'off',
      }),
    );
    expect(e.code).toBe('api_key_rejected');
    expect(e.message).toContain('sk-ant-api03-');
    expect(e.message).not.toContain(key);
  });

  it('describes keys by prefix only', () => {
    expect(describeKeyType('sk-ant-api03-SECRETPART')).toBe('a Claude API key (sk-ant-api03-…)');
    expect(describeKeyType('sk-ant-admin01-SECRETPART')).toBe('an Admin API key (sk-ant-admin01-…)');
    expect(describeKeyType('sk-ant-oat01-SECRETPART')).not.toContain('SECRET');
    expect(describeKeyType('sk-ant-oat01-SECRETPART')).not.toContain('oat');
    expect(describeKeyType('SECRETPART')).toBe('not an Anthropic key (no sk-ant- prefix)');
    expect(describeKeyType(undefined)).toBeNull();
  });
});
