/**
 * Directory kind (compliance-api.md §3.2-3.6, recipe §4.5 step 1): organizations, users, roles
 * with their permissions, groups with members, effective settings. Which organizations and
 * custodians a run covers is resolved before pass 1 (../scope.ts).
 *
 * Rows land in `data/directory/*.jsonl` (one API record per line, sorted by id at seal time).
 * Users and roles are per org, so their row ids carry the org; the row text stays verbatim.
 */

import type { Group, Organization, Page, Role, User } from '../../api/index.js';
import { safeSegment } from '../../archive/safe-name.js';
import {
  composeJson,
  guardedPages,
  includes,
  stageRecord,
  recordFailure,
  stageText,
  type PassContext,
} from '../context.js';
import { forEachBounded, type FanOutOptions } from '../fan-out.js';
import type { RecordSource } from '../../store/index.js';
import type { Estimator, FirstPassKind, Listing, Surveyor } from './kind-module.js';

const STAGE = 'directory';
/** Users, roles, permissions, groups and members a page holds (the documented maximum, §2). */
const DIRECTORY_PAGE = 1000;

const directoryListing = <T>(key: string, survey: string, list: Listing<T>['pages']): Listing<T> => ({
  key,
  survey,
  limit: DIRECTORY_PAGE,
  pages: list,
});

/** An organization's users (also read to resolve custodians, ../scope.ts). */
export const userListing = (org: string): Listing<User> =>
  directoryListing(`users:${org}`, 'users', (client, o) =>
    client.listUsers(org, { limit: DIRECTORY_PAGE }, o),
  );
const roleListing = (org: string): Listing<Role> =>
  directoryListing(`roles:${org}`, 'roles', (client, o) =>
    client.listRoles(org, { limit: DIRECTORY_PAGE }, o),
  );
const groupListing = (): Listing<Group> =>
  directoryListing('groups', 'groups', (client, o) => client.listGroups({ limit: DIRECTORY_PAGE }, o));

/** Stage the directory records of the selected orgs. */
async function collectDirectory(
  ctx: PassContext,
  orgs: readonly Organization[],
  rawOrgs: ReadonlyMap<string, string>,
): Promise<void> {
  if (!includes(ctx, 'directory')) return;
  for (const org of orgs) stageOrganization(ctx, org, rawOrgs.get(org.uuid));
  await forEachBounded(orgs, (org) => collectOrgDirectory(ctx, org), directoryFanOut(ctx));
  const groups = await listGroups(ctx);
  await forEachBounded(groups, (g) => collectGroup(ctx, g), directoryFanOut(ctx));
}

/** At most 4 orgs or groups at a time, within the pass's own concurrency. */
const directoryFanOut = (ctx: PassContext): FanOutOptions => ({
  concurrency: Math.min(ctx.concurrency, 4),
  ...(ctx.signal ? { signal: ctx.signal } : {}),
});

/** Where a listed record came from: its page's endpoint, query and request id. */
const pageSource = (page: Page<unknown>): RecordSource => ({
  endpoint: page.endpoint,
  query: page.query,
  requestId: page.requestId,
});

function stageOrganization(ctx: PassContext, org: Organization, raw: string | undefined): void {
  stageRecord(
    ctx,
    {
      kind: 'organization',
      id: org.uuid,
      updatedAt: null,
      createdAt: org.created_at,
      row: { aggregate: 'directory/organizations.jsonl', json: raw ?? JSON.stringify(org) },
      source: { endpoint: '/v1/compliance/organizations' },
    },
    STAGE,
  );
}

/** One organization's users, then its roles with their permissions, then its settings. */
async function collectOrgDirectory(ctx: PassContext, org: Organization): Promise<void> {
  await collectUsers(ctx, org.uuid);
  await collectRoles(ctx, org.uuid);
  await collectSettings(ctx, org.uuid);
}

async function collectUsers(ctx: PassContext, org: string): Promise<void> {
  const users = userListing(org);
  const pages = users.pages(ctx.client, { signal: ctx.signal });
  for await (const page of guardedPages(ctx, STAGE, 'user', users.key, pages)) {
    page.items.forEach((user, i) => {
      stageRecord(
        ctx,
        {
          kind: 'user',
          id: `${user.id}@${org}`,
          updatedAt: null,
          createdAt: null,
          custodian: user.email,
          row: { aggregate: 'directory/users.jsonl', json: page.rawItems[i]! },
          source: pageSource(page),
        },
        STAGE,
      );
    });
  }
}

/** Roles one at a time: each role's permissions are listed before the role is staged. */
async function collectRoles(ctx: PassContext, org: string): Promise<void> {
  const roles = roleListing(org);
  const pages = roles.pages(ctx.client, { signal: ctx.signal });
  for await (const page of guardedPages(ctx, STAGE, 'role', roles.key, pages)) {
    for (let i = 0; i < page.items.length; i += 1) {
      await collectRole(ctx, org, page, i);
    }
  }
}

async function collectRole(ctx: PassContext, org: string, page: Page<Role>, i: number): Promise<void> {
  const role = page.items[i]!;
  const perms = await collectItemsRaw(
    guardedPages(
      ctx,
      STAGE,
      'role',
      `role_permissions:${role.id}@${org}`,
      ctx.client.listRolePermissions(org, role.id, { limit: DIRECTORY_PAGE }, { signal: ctx.signal }),
    ),
  );
  stageRecord(
    ctx,
    {
      kind: 'role',
      id: `${role.id}@${org}`,
      updatedAt: role.updated_at,
      createdAt: null,
      row: {
        aggregate: 'directory/roles.jsonl',
        json: composeJson([
          ['organization_uuid', JSON.stringify(org)],
          ['role', page.rawItems[i]!],
          ['permissions', `[${perms.join(',')}]`],
        ]),
      },
      source: pageSource(page),
    },
    STAGE,
  );
}

/** The org's effective settings as one file; a failure is a named gap. */
async function collectSettings(ctx: PassContext, org: string): Promise<void> {
  try {
    const settings = await ctx.client.getSettings(org, { signal: ctx.signal });
    stageRecord(
      ctx,
      {
        kind: 'setting',
        id: org,
        updatedAt: null,
        files: [await stageText(ctx, `directory/settings/${safeSegment(org)}.json`, settings.raw)],
        source: { endpoint: settings.endpoint, requestId: settings.requestId },
      },
      STAGE,
    );
  } catch (error) {
    recordFailure(ctx, STAGE, { kind: 'setting', id: org }, error);
  }
}

/** A listed group: its id, its exact JSON and the page it came from. */
interface ListedGroup {
  id: string;
  raw: string;
  source: RecordSource;
}

/** Every group first (the listing is not per org), so members can then be fetched in parallel. */
async function listGroups(ctx: PassContext): Promise<ListedGroup[]> {
  const groups: ListedGroup[] = [];
  const groupWalk = groupListing();
  const pages = groupWalk.pages(ctx.client, { signal: ctx.signal });
  for await (const page of guardedPages(ctx, STAGE, 'group', groupWalk.key, pages)) {
    page.items.forEach((g, i) => groups.push({ id: g.id, raw: page.rawItems[i]!, source: pageSource(page) }));
  }
  return groups;
}

/** Stage a group, then its members (one row each, carrying the group id). */
async function collectGroup(ctx: PassContext, g: ListedGroup): Promise<void> {
  stageRecord(
    ctx,
    {
      kind: 'group',
      id: g.id,
      updatedAt: null,
      row: { aggregate: 'directory/groups.jsonl', json: g.raw },
      source: g.source,
    },
    STAGE,
  );
  const pages = ctx.client.listGroupMembers(g.id, { limit: DIRECTORY_PAGE }, { signal: ctx.signal });
  for await (const page of guardedPages(ctx, STAGE, 'group_member', `group_members:${g.id}`, pages)) {
    page.items.forEach((m, i) => {
      stageRecord(
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
          source: pageSource(page),
        },
        STAGE,
      );
    });
  }
}

async function collectItemsRaw(pages: AsyncIterable<{ rawItems: string[] }>): Promise<string[]> {
  const out: string[] = [];
  for await (const page of pages) out.push(...page.rawItems);
  return out;
}

/** JSONL files the bag always has when the directory is included (even if empty). */
const DIRECTORY_AGGREGATES = [
  'directory/organizations.jsonl',
  'directory/users.jsonl',
  'directory/roles.jsonl',
  'directory/groups.jsonl',
  'directory/group_members.jsonl',
] as const;

/** Plan: roles per organization and groups (users are walked with custodian resolution). */
async function surveyDirectory(s: Surveyor): Promise<void> {
  for (const org of s.orgs) await s.walk(roleListing(org.uuid), () => s.tally('roles', org.uuid, null));
  await s.walk(groupListing(), () => s.tally('groups', null, null));
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Plan: role and group pages, one permissions page per role, one members page per group, settings. */
function estimateDirectory(e: Estimator): void {
  const roles = e.pages('roles');
  const groups = e.pages('groups');
  const [nRoles, nOrgs, nGroups] = [e.count('roles'), e.count('organizations'), e.count('groups')];
  e.add('list.roles', roles.pages, plural(roles.pages, 'page'));
  e.add('directory.role_permissions', nRoles, `${plural(nRoles, 'role')} × 1 permissions page`, true);
  e.add('directory.settings', nOrgs, `${plural(nOrgs, 'organization')} × 1`);
  e.add('list.groups', groups.pages, plural(groups.pages, 'page'));
  e.add('directory.group_members', nGroups, `${plural(nGroups, 'group')} × 1 members page`, true);
  e.assume('at most 1,000 permissions per role and 1,000 members per group (one page each)');
}

/** The directory of the selected organizations, collected in pass 1 only. */
export const directory: FirstPassKind = {
  name: 'directory',
  include: 'directory',
  aggregates: DIRECTORY_AGGREGATES,
  relisted: false,
  collect: (ctx, first) => collectDirectory(ctx, first.orgs, first.rawOrgs),
  survey: surveyDirectory,
  estimate: estimateDirectory,
};
