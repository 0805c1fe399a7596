/**
 * Directory listings loop too: a groups listing whose `next_page` alternates between two tokens
 * (from a real server on loopback) becomes a `pagination_loop` gap row; users, roles and settings
 * of the same stage are still captured, and the stage returns instead of failing the run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Organization } from '../../src/api/index.js';
import { directory } from '../../src/collect/kinds/directory.js';
import { startFixture, type Fixture } from '../api/fixture-server.js';
import { serverContext, type ServerContext } from './context-fixture.js';

const ORG = '11111111-2222-4333-8444-555555555555';
let fixture: Fixture | undefined;
let sc: ServerContext | undefined;
afterEach(async () => {
  await sc?.close();
  await fixture?.close();
});

describe('a directory listing that loops', () => {
  it('becomes a pagination_loop gap; the rest of the directory is captured', async () => {
    fixture = await startFixture((req) => {
      if (req.path === `/v1/compliance/organizations/${ORG}/users`)
        return {
          json: { data: [{ id: 'user_1', email: 'a@example.com' }], has_more: false, next_page: null },
        };
      if (req.path === `/v1/compliance/organizations/${ORG}/roles`)
        return { json: { data: [], has_more: false, next_page: null } };
      if (req.path === `/v1/compliance/organizations/${ORG}/settings`)
        return { json: { organization_id: ORG } };
      if (req.path === '/v1/compliance/groups') {
        const onB = req.query.get('page') === 'tok_A';
        return {
          json: {
            data: [{ id: onB ? 'group_B' : 'group_A', name: 'g' }],
            has_more: true,
            next_page: onB ? 'tok_B_then_A' : 'tok_A',
          },
        };
      }
      if (req.path.startsWith('/v1/compliance/groups/') && req.path.endsWith('/members'))
        return { json: { data: [], has_more: false, next_page: null } };
      return { status: 404, json: { error: { type: 'not_found_error', message: 'Not found' } } };
    });
    sc = await serverContext(fixture.baseUrl, { include: ['directory'] });
    const { ctx, store } = sc;
    const org = { uuid: ORG, name: 'Org', created_at: '2026-01-01T00:00:00Z' } as unknown as Organization;
    await directory.collect(ctx, { orgs: [org], rawOrgs: new Map([[ORG, JSON.stringify(org)]]) });
    // Tokens: (none) → tok_A → tok_B_then_A → tok_A again: caught on the third page.
    const groupPages = fixture.requests.filter((r) => r.path === '/v1/compliance/groups');
    expect(groupPages.map((r) => r.query.get('page'))).toEqual([null, 'tok_A', 'tok_B_then_A']);
    expect(store.exceptions().map((e) => [e.kind, e.id, e.reason, e.retryable])).toEqual([
      ['group', 'listing:groups', 'pagination_loop', false],
    ]);
    expect(store.idsOf('user')).toEqual([`user_1@${ORG}`]);
    expect(store.idsOf('setting')).toEqual([ORG]);
  });
});
