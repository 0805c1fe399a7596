/** Organizations, users, roles, permissions, settings, groups, group members (§3.2–3.6). */
import { SCOPE } from '../keys.js';
import type { Org } from '../model.js';
import { iso } from '../random.js';
import { canSeeOrg, json, type RequestContext, type Route } from '../http/context.js';
import { notFound } from '../http/errors.js';
import { limitParam, type ParamSpecs } from '../http/query.js';
import { isoOrNull } from '../serialize.js';
import { V1, byNumberThenId, sortedBy, tokenPage } from './common.js';

function pageParams(max: number): ParamSpecs {
  return { page: { kind: 'string' }, ...limitParam(max) };
}

function orgOr404(ctx: RequestContext): Org {
  const uuid = ctx.params.org_uuid ?? '';
  const org = ctx.state.world.orgs.find((o) => o.uuid === uuid);
  if (
    org === undefined ||
    !canSeeOrg(ctx, org.uuid) ||
    (org.removedAt !== null && org.removedAt <= ctx.now)
  ) {
    throw notFound(
      `The "${uuid}" organization does not exist or the requester is not authorized to access it.`,
    );
  }
  return org;
}

function roleOr404(ctx: RequestContext, org: Org) {
  const role = ctx.state.world.index.roleById.get(ctx.params.role_id ?? '');
  if (role === undefined || role.orgUuid !== org.uuid || role.removedAt !== null)
    throw notFound('Role not found.');
  return role;
}

function groupOr404(ctx: RequestContext) {
  const group = ctx.state.world.index.groupById.get(ctx.params.group_id ?? '');
  if (group === undefined || group.removedAt !== null) throw notFound('Group not found.');
  return group;
}

export const roleJson = (r: {
  id: string;
  name: string;
  description: string;
  createdAt: number | null;
  updatedAt: number | null;
}) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  // Role timestamps come without an offset in the docs' examples (§3.4); reproduce that.
  created_at: r.createdAt === null ? null : iso(r.createdAt).replace('Z', '123'),
  updated_at: r.updatedAt === null ? null : iso(r.updatedAt).replace('Z', '456'),
});

const BOOLEAN_SETTINGS = [
  'content_redaction_enabled',
  'ip_allowlist_enabled',
  'sso_enabled',
  'hipaa_compliance_enabled',
  'memory_enabled',
  'web_search_enabled',
];

export const directoryRoutes: Route[] = [
  {
    method: 'GET',
    template: `${V1}/organizations`,
    scope: SCOPE.orgData,
    params: pageParams(1000),
    handle: (ctx) => {
      const orgs = ctx.state.world.orgs.filter(
        (o) => canSeeOrg(ctx, o.uuid) && (o.removedAt === null || o.removedAt > ctx.now),
      );
      return json(
        tokenPage(
          ctx,
          sortedBy(orgs, (o) => [o.createdAt, o.uuid]),
          (o) => [o.createdAt, o.uuid],
          (o) => ({
            uuid: o.uuid,
            name: o.name,
            created_at: iso(o.createdAt),
          }),
          1000,
        ),
      );
    },
  },
  {
    method: 'GET',
    template: `${V1}/organizations/{org_uuid}/users`,
    scope: SCOPE.userData,
    params: pageParams(1000),
    handle: (ctx) => {
      const org = orgOr404(ctx);
      // Current members only: a user who left disappears at once (§3.3).
      const users = ctx.state.world.users.filter(
        (u) => u.orgUuid === org.uuid && (u.leftAt === null || u.leftAt > ctx.now),
      );
      const key = (u: (typeof users)[number]) => [u.joinedAt, u.id];
      return json(
        tokenPage(
          ctx,
          sortedBy(users, key),
          key,
          (u) => ({
            id: u.id,
            email: u.email,
            full_name: u.fullName,
            organization_role: u.role,
            created_at: iso(u.createdAt),
          }),
          500,
        ),
      );
    },
  },
  {
    method: 'GET',
    template: `${V1}/organizations/{org_uuid}/roles`,
    scope: SCOPE.orgData,
    params: pageParams(1000),
    handle: (ctx) => {
      const org = orgOr404(ctx);
      const roles = ctx.state.world.roles.filter((r) => r.orgUuid === org.uuid && r.removedAt === null);
      const key = (r: (typeof roles)[number]) => byNumberThenId(r.createdAt, r.id);
      return json(tokenPage(ctx, sortedBy(roles, key), key, roleJson, 500));
    },
  },
  {
    method: 'GET',
    template: `${V1}/organizations/{org_uuid}/roles/{role_id}`,
    scope: SCOPE.orgData,
    handle: (ctx) => json(roleJson(roleOr404(ctx, orgOr404(ctx)))),
  },
  {
    method: 'GET',
    template: `${V1}/organizations/{org_uuid}/roles/{role_id}/permissions`,
    scope: SCOPE.orgData,
    params: pageParams(1000),
    handle: (ctx) => {
      const role = roleOr404(ctx, orgOr404(ctx));
      const rows = role.permissions.map((p, i) => ({ p, i }));
      return json(
        tokenPage(
          ctx,
          rows,
          (r) => [r.i],
          (r) => r.p,
          500,
        ),
      );
    },
  },
  {
    method: 'GET',
    template: `${V1}/organizations/{organization_id}/settings`,
    scope: SCOPE.orgData,
    unauthenticated401: true,
    handle: (ctx) => {
      const id = ctx.params.organization_id ?? '';
      const org = ctx.state.world.orgs.find((o) => o.uuid === id);
      // The parent itself, a non-UUID, an unlinked org: one shared 404 (§3.6, §5.5).
      if (org === undefined || !canSeeOrg(ctx, org.uuid)) {
        throw notFound(`organization \`${id}\` not found in this organization's hierarchy`);
      }
      const i = ctx.state.world.orgs.indexOf(org);
      const keys = [...ctx.state.world.apiKeys]
        .filter((k) => k.kind === 'compliance')
        .sort((a, b) => a.createdAt - b.createdAt);
      return json({
        type: 'effective_organization_settings',
        organization_id: org.uuid,
        settings: [
          ...BOOLEAN_SETTINGS.map((name, n) => ({ name, type: 'boolean', value: (n + i) % 2 === 0 })),
          { name: 'account_session_duration_seconds', type: 'integer', value: i === 0 ? 43_200 : null },
          { name: 'claude_code_default_worker_pool_id', type: 'string', value: null },
          { name: 'allowed_invite_domains', type: 'string_list', value: ['acme.example.com'] },
          { name: 'sso_provisioning_mode', type: 'provisioning_mode', value: 'scim_advanced' },
          {
            name: 'data_retention_periods',
            type: 'data_retention',
            value:
              i === 0
                ? { all: { type: 'indefinite' } }
                : { chat: { type: 'fixed', duration: 24, timescale: 'month' } },
          },
        ],
        api_keys: keys.map((k) => ({
          type: 'compliance_api_key',
          id: k.id,
          name: k.name,
          scopes: k.scopes,
          is_active: k.isActive,
          created_at: iso(k.createdAt),
          created_by_id: k.createdById,
          expires_at: null,
        })),
      });
    },
  },
  {
    method: 'GET',
    template: `${V1}/groups`,
    scope: SCOPE.orgData,
    params: { name_prefix: { kind: 'string' }, ...pageParams(1000) },
    handle: (ctx) => {
      const prefix = ctx.query.str('name_prefix') ?? '';
      const groups = ctx.state.world.groups.filter((g) => g.removedAt === null && g.name.startsWith(prefix));
      const key = (g: (typeof groups)[number]) => [g.id];
      return json(tokenPage(ctx, sortedBy(groups, key), key, groupJson, 500));
    },
  },
  {
    method: 'GET',
    template: `${V1}/groups/{group_id}`,
    scope: SCOPE.orgData,
    handle: (ctx) => json(groupJson(groupOr404(ctx))),
  },
  {
    method: 'GET',
    template: `${V1}/groups/{group_id}/members`,
    scope: SCOPE.userData,
    params: pageParams(1000),
    handle: (ctx) => {
      const group = groupOr404(ctx);
      const world = ctx.state.world;
      const rows = group.members
        .map((m) => ({ m, u: world.index.userById.get(m.userId) }))
        .filter((r) => r.u !== undefined && (r.u.leftAt === null || r.u.leftAt > ctx.now));
      const key = (r: (typeof rows)[number]) => [r.m.userId];
      return json(
        tokenPage(
          ctx,
          sortedBy(rows, key),
          key,
          (r) => ({
            user_id: r.m.userId,
            email: r.u?.email ?? '',
            created_at: isoOrNull(r.m.createdAt),
            updated_at: isoOrNull(r.m.updatedAt),
          }),
          500,
        ),
      );
    },
  },
];

export function groupJson(g: {
  id: string;
  name: string;
  description: string;
  sourceType: string;
  roleIds: string[] | null;
  createdAt: number | null;
  updatedAt: number | null;
}) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    source_type: g.sourceType,
    roles: g.roleIds,
    created_at: isoOrNull(g.createdAt),
    updated_at: isoOrNull(g.updatedAt),
  };
}
