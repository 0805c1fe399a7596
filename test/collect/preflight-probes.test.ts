import { describe, expect, it } from 'vitest';
import type { ComplianceClient, Page } from '../../src/api/index.js';
import { ExportError } from '../../src/errors.js';
import { probeScopes } from '../../src/preflight/probe-scopes.js';
import type { ResolvedJobSpec } from '../../src/spec/types.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

const METHODS = [
  'listOrganizations',
  'listChats',
  'listProjects',
  'listActivities',
  'listCodeArtifacts',
  'listRemoteSessions',
] as const;

/** A client whose list calls each take a few turns and can fail with a given code. */
function probeClient(fail: Partial<Record<(typeof METHODS)[number], ExportError['code']>>) {
  let inFlight = 0;
  let maxInFlight = 0;
  let pages = 0;
  const client: Record<string, unknown> = {};
  for (const m of METHODS) {
    client[m] = async function* (): AsyncGenerator<Page<unknown>> {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // a later probe answers first, so order must not depend on timing
      for (let i = 0; i < 10 - METHODS.indexOf(m); i += 1) await tick();
      inFlight -= 1;
      const code = fail[m];
      if (code !== undefined) throw new ExportError(code, `${m} failed`);
      pages += 1;
      yield { items: [] } as unknown as Page<unknown>;
      pages += 1; // a second page is never asked for
      yield { items: [] } as unknown as Page<unknown>;
    };
  }
  return {
    client: client as unknown as ComplianceClient,
    stats: () => ({ maxInFlight, pages }),
  };
}

function spec(onMissing: 'error' | 'record_gap'): ResolvedJobSpec {
  return {
    scope: {
      include: ['directory', 'chats', 'files', 'projects', 'activities', 'code_artifacts', 'sessions'],
    },
    on_missing_scope: onMissing,
    source: { api_key_env: 'KEY' },
  } as unknown as ResolvedJobSpec;
}

describe('probeScopes', () => {
  it('sends the probes together, one page each', async () => {
    const c = probeClient({});
    const result = await probeScopes(c.client, spec('error'));
    expect(c.stats()).toEqual({ maxInFlight: 6, pages: 6 });
    expect(result.gaps).toEqual([]);
    expect(result.include).toEqual(spec('error').scope.include);
  });

  it('reports gaps in probe order whatever order the answers come in', async () => {
    const c = probeClient({ listChats: 'scope_missing', listRemoteSessions: 'scope_missing' });
    const result = await probeScopes(c.client, spec('record_gap'));
    expect(result.gaps.map((g) => g.kind)).toEqual(['chats', 'files', 'sessions']);
    expect(result.include).toEqual(['directory', 'projects', 'activities', 'code_artifacts']);
  });

  it('a rejected key wins over a missing scope and is named', async () => {
    const d = probeClient({ listOrganizations: 'scope_missing', listActivities: 'api_key_rejected' });
    await expect(probeScopes(d.client, spec('record_gap'))).rejects.toMatchObject({
      code: 'api_key_rejected',
      message: expect.stringContaining('KEY') as unknown,
    });
  });
});
