/**
 * Directory stage (compliance-api.md §3.2-3.6, recipe §4.5 step 1): organizations, users, roles
 * with their permissions, groups with members, effective settings; and custodian resolution
 * (emails → user ids across the selected orgs). An unknown custodian is a named gap
 * (`custodian_not_found`), never a silent drop.
 *
 * Rows land in `data/directory/*.jsonl` (one API record per line, sorted by id at seal time).
 * Users and roles are per org, so their row ids carry the org; the row text stays verbatim.
 */

import type { Organization } from '../api/index.js';
import { ExportError } from '../errors.js';
import { safeSegment } from '../archive/safe-name.js';
import {
  composeJson,
  guardedPages,
  includes,
  put,
  recordFailure,
  stageText,
  type CollectContext,
  type ScopeTargets,
} from './context.js';
import { forEachBounded } from './fan-out.js';

const STAGE = 'directory';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** List the orgs and pick the selected ones (`all`, or uuids from the spec). */
export async function resolveOrganizations(
  ctx: CollectContext,
): Promise<{ orgs: Organization[]; raw: Map<string, string> }> {
  const raw = new Map<string, string>();
  const orgs: Organization[] = [];
  for await (const page of ctx.client.listOrganizations({}, { signal: ctx.signal })) {
    page.items.forEach((org, i) => {
      orgs.push(org);
      raw.set(org.uuid, page.rawItems[i] ?? JSON.stringify(org));
    });
  }
  const wanted = ctx.spec.scope.organizations;
  if (wanted === 'all') return { orgs, raw };
  const byUuid = new Map(orgs.map((o) => [o.uuid.toLowerCase(), o]));
  const picked: Organization[] = [];
  const unknown: string[] = [];
  for (const id of wanted) {
    const org = byUuid.get(id.toLowerCase());
    if (org !== undefined) picked.push(org);
    else unknown.push(id);
  }
  if (unknown.length > 0) {
    const hint = unknown.some((u) => !UUID_RE.test(u)) ? ' (list organizations by their UUID)' : '';
    throw new ExportError(
      'usage',
      `scope.organizations: ${unknown.join(', ')} not among the ${orgs.length} organizations this key reaches${hint}`,
    );
  }
  return { orgs: picked, raw };
}

/**
 * Resolve custodians: `user_…` ids are taken as given (a departed user's chats keep the id);
 * emails are matched case-insensitively against the users of every selected org, and may map
 * to several ids (one person in several orgs).
 */
export async function resolveCustodians(
  ctx: CollectContext,
  orgs: readonly Organization[],
): Promise<ScopeTargets> {
  const orgUuids = ctx.spec.scope.organizations === 'all' ? null : orgs.map((o) => o.uuid);
  const wanted = ctx.spec.scope.custodians;
  if (wanted === 'all') return { orgUuids, custodianIds: null, emails: new Map() };
  const emailsWanted = new Map<string, string>();
  const ids = new Set<string>();
  for (const c of wanted) {
    if (c.startsWith('user_')) ids.add(c);
    else emailsWanted.set(c.toLowerCase(), c);
  }
  const emails = new Map<string, string>();
  const found = new Set<string>();
  for (const org of orgs) {
    for await (const page of ctx.client.listUsers(org.uuid, { limit: 1000 }, { signal: ctx.signal })) {
      for (const user of page.items) {
        const e = user.email.toLowerCase();
        if (emailsWanted.has(e) || ids.has(user.id)) {
          ids.add(user.id);
          emails.set(user.id, user.email);
          found.add(e);
        }
      }
    }
  }
  for (const [lower, original] of emailsWanted) {
    if (found.has(lower)) continue;
    ctx.store.recordException(
      {
        kind: 'custodian',
        id: original,
        reason: 'custodian_not_found',
        retryable: false,
        detail: `no user with this email in the ${orgs.length} selected organization(s)`,
      },
      ctx.pass,
    );
    ctx.progress.stage(STAGE).gaps += 1;
  }
  return { orgUuids, custodianIds: [...ids].sort(), emails };
}

/** Stage the directory records of the selected orgs. */
export async function collectDirectory(
  ctx: CollectContext,
  orgs: readonly Organization[],
  rawOrgs: ReadonlyMap<string, string>,
): Promise<void> {
  if (!includes(ctx, 'directory')) return;
  const counters = ctx.progress.stage(STAGE);
  const signal = ctx.signal;
  for (const org of orgs) {
    put(
      ctx,
      {
        kind: 'organization',
        id: org.uuid,
        updatedAt: null,
        createdAt: org.created_at,
        row: {
          aggregate: 'directory/organizations.jsonl',
          json: rawOrgs.get(org.uuid) ?? JSON.stringify(org),
        },
        source: { endpoint: '/v1/compliance/organizations' },
      },
      STAGE,
    );
  }
  await forEachBounded(
    orgs,
    async (org) => {
      for await (const page of guardedPages(
        ctx,
        STAGE,
        'user',
        `users:${org.uuid}`,
        ctx.client.listUsers(org.uuid, { limit: 1000 }, { signal }),
      )) {
        counters.listed += page.items.length;
        page.items.forEach((user, i) => {
          put(
            ctx,
            {
              kind: 'user',
              id: `${user.id}@${org.uuid}`,
              updatedAt: null,
              createdAt: null,
              custodian: user.email,
              row: { aggregate: 'directory/users.jsonl', json: page.rawItems[i]! },
              source: { endpoint: page.endpoint, query: page.query, requestId: page.requestId },
            },
            STAGE,
          );
        });
      }
      for await (const page of guardedPages(
        ctx,
        STAGE,
        'role',
        `roles:${org.uuid}`,
        ctx.client.listRoles(org.uuid, { limit: 1000 }, { signal }),
      )) {
        counters.listed += page.items.length;
        for (let i = 0; i < page.items.length; i += 1) {
          const role = page.items[i]!;
          const perms = await collectItemsRaw(
            guardedPages(
              ctx,
              STAGE,
              'role',
              `role_permissions:${role.id}@${org.uuid}`,
              ctx.client.listRolePermissions(org.uuid, role.id, { limit: 1000 }, { signal }),
            ),
          );
          put(
            ctx,
            {
              kind: 'role',
              id: `${role.id}@${org.uuid}`,
              updatedAt: role.updated_at,
              createdAt: null,
              row: {
                aggregate: 'directory/roles.jsonl',
                json: composeJson([
                  ['organization_uuid', JSON.stringify(org.uuid)],
                  ['role', page.rawItems[i]!],
                  ['permissions', `[${perms.join(',')}]`],
                ]),
              },
              source: { endpoint: page.endpoint, query: page.query, requestId: page.requestId },
            },
            STAGE,
          );
        }
      }
      try {
        const settings = await ctx.client.getSettings(org.uuid, { signal });
        put(
          ctx,
          {
            kind: 'setting',
            id: org.uuid,
            updatedAt: null,
            files: [await stageText(ctx, `directory/settings/${safeSegment(org.uuid)}.json`, settings.raw)],
            source: { endpoint: settings.endpoint, requestId: settings.requestId },
          },
          STAGE,
        );
      } catch (error) {
        recordFailure(ctx, STAGE, { kind: 'setting', id: org.uuid }, error);
      }
    },
    { concurrency: Math.min(ctx.concurrency, 4), ...(signal ? { signal } : {}) },
  );
  const groups: { id: string; raw: string; endpoint: string; query: string; requestId: string | null }[] = [];
  for await (const page of guardedPages(
    ctx,
    STAGE,
    'group',
    'groups',
    ctx.client.listGroups({ limit: 1000 }, { signal }),
  )) {
    counters.listed += page.items.length;
    page.items.forEach((g, i) =>
      groups.push({
        id: g.id,
        raw: page.rawItems[i]!,
        endpoint: page.endpoint,
        query: page.query,
        requestId: page.requestId,
      }),
    );
  }
  await forEachBounded(
    groups,
    async (g) => {
      put(
        ctx,
        {
          kind: 'group',
          id: g.id,
          updatedAt: null,
          row: { aggregate: 'directory/groups.jsonl', json: g.raw },
          source: { endpoint: g.endpoint, query: g.query, requestId: g.requestId },
        },
        STAGE,
      );
      for await (const page of guardedPages(
        ctx,
        STAGE,
        'group_member',
        `group_members:${g.id}`,
        ctx.client.listGroupMembers(g.id, { limit: 1000 }, { signal }),
      )) {
        page.items.forEach((m, i) => {
          put(
            ctx,
            {
              kind: 'group_member',
              id: `${g.id}/${m.user_id}`,
              updatedAt: m.updated_at,
              custodian: m.email,
              row: {
                aggregate: 'directory/group_members.jsonl',
                json: composeJson([
                  ['group_id', JSON.stringify(g.id)],
                  ['member', page.rawItems[i]!],
                ]),
              },
              source: { endpoint: page.endpoint, query: page.query, requestId: page.requestId },
            },
            STAGE,
          );
        });
      }
    },
    { concurrency: Math.min(ctx.concurrency, 4), ...(signal ? { signal } : {}) },
  );
}

async function collectItemsRaw(pages: AsyncIterable<{ rawItems: string[] }>): Promise<string[]> {
  const out: string[] = [];
  for await (const page of pages) out.push(...page.rawItems);
  return out;
}

/** JSONL files the bag always has when the directory is included (even if empty). */
export const DIRECTORY_AGGREGATES = [
  'directory/organizations.jsonl',
  'directory/users.jsonl',
  'directory/roles.jsonl',
  'directory/groups.jsonl',
  'directory/group_members.jsonl',
] as const;
