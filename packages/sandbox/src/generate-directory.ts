/** Orgs, users, roles and groups: the directory part of a generated world. */
import type { Group, Org, OrgRole, Permission, Role, User } from './model.js';
import { FIRST_NAMES, LAST_NAMES } from './names.js';
import { DAY, WORLD_END, WORLD_START, type ProfileSpec } from './profiles.js';
import { Rng, idFromUuid } from './random.js';

export interface Directory {
  parentUuid: string;
  orgs: Org[];
  users: User[];
  roles: Role[];
  groups: Group[];
}

const ORG_NAMES = [
  'Acme Legal',
  'Acme Research',
  'Acme – Zürich GmbH',
  'Acme 日本',
  'Acme Ops',
  'Acme Sales',
];
const ORG_ROLES: OrgRole[] = [
  'user',
  'user',
  'user',
  'developer',
  'claude_code_user',
  'admin',
  'billing',
  'managed',
];
const ROLE_NAMES = ['Reviewer', 'Legal hold custodian', 'Code users', 'Analysts', 'Contractors', 'Auditors'];
const ACTIONS = ['claude_code', 'projects_create', 'connectors_manage', 'web_search', 'file_upload'];

export function generateDirectory(seed: number, spec: ProfileSpec): Directory {
  const rng = new Rng(seed, 'directory');
  const parentUuid = rng.uuid();
  const orgs: Org[] = [];
  for (let o = 0; o < spec.orgs; o++) {
    orgs.push({
      uuid: rng.uuid(),
      name: o < ORG_NAMES.length ? (ORG_NAMES[o] ?? `Org ${o}`) : `Acme Division ${o}`,
      createdAt: WORLD_START + o * DAY + rng.int(0, DAY - 1),
      removedAt: null,
    });
  }

  const users: User[] = [];
  let n = 0;
  for (const org of orgs) {
    for (let u = 0; u < spec.usersPerOrg; u++, n++) {
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      const joinedAt = org.createdAt + rng.int(0, 120) * DAY + rng.int(0, DAY - 1);
      const createdAt = joinedAt - rng.int(0, 30) * DAY;
      const isOwner = u === 0;
      // About one in eight non-owners has left: gone from the users list, user: null on chats.
      const leaves = !isOwner && rng.chance(0.125);
      users.push({
        id: idFromUuid('user_', rng.uuid()),
        orgUuid: org.uuid,
        email: `user${n}.${u}@${org === orgs[0] ? 'acme' : `acme-${orgs.indexOf(org)}`}.example.com`,
        fullName: `${first} ${last}`,
        role: isOwner ? (org === orgs[0] ? 'primary_owner' : 'owner') : rng.pick(ORG_ROLES),
        createdAt,
        joinedAt,
        leftAt: leaves ? joinedAt + rng.int(60, 400) * DAY : null,
      });
    }
  }
  for (const u of users)
    if (u.leftAt !== null && u.leftAt >= WORLD_END) u.leftAt = WORLD_END - rng.int(1, 20) * DAY;

  const roles: Role[] = [];
  for (const org of orgs) {
    for (let r = 0; r < spec.rolesPerOrg; r++) {
      const permissions: Permission[] = [];
      const count = rng.int(1, 4);
      for (let p = 0; p < count; p++) {
        permissions.push({ action: rng.pick(ACTIONS), resource_id: org.uuid, resource_type: 'organization' });
      }
      const createdAt = r === 0 ? null : org.createdAt + rng.int(1, 200) * DAY;
      roles.push({
        id: idFromUuid('rbac_role_', rng.uuid()),
        orgUuid: org.uuid,
        name: ROLE_NAMES[r % ROLE_NAMES.length] ?? `Role ${r}`,
        description: r % 3 === 2 ? '' : `Role ${r} of ${org.name}`,
        createdAt,
        updatedAt: createdAt === null ? null : createdAt + rng.int(0, 60) * DAY,
        permissions,
        removedAt: null,
      });
    }
  }

  const groups: Group[] = [];
  const current = users.filter((u) => u.leftAt === null);
  for (let g = 0; g < spec.groups; g++) {
    const createdAt = g === spec.groups - 1 ? null : WORLD_START + rng.int(10, 300) * DAY;
    const memberCount = g === 0 ? 0 : rng.int(1, Math.min(12, current.length));
    const members = new Map<string, User>();
    for (let m = 0; m < memberCount; m++) {
      const u = rng.pick(current);
      members.set(u.id, u);
    }
    const roleOrg = rng.pick(orgs).uuid;
    const orgRoles = roles.filter((r) => r.orgUuid === roleOrg);
    groups.push({
      id: idFromUuid('rbac_group_', rng.uuid()),
      name: g === 1 ? 'Ünïcödé – 法務チーム' : `${g % 2 === 0 ? 'scim' : 'team'}-${g}`,
      description: g % 2 === 0 ? 'Synced from the IdP' : '',
      sourceType: g % 2 === 0 ? 'scim' : 'direct',
      roleIds: g % 3 === 0 ? null : orgRoles.slice(0, rng.int(0, orgRoles.length)).map((r) => r.id),
      createdAt,
      updatedAt: createdAt,
      members: [...members.values()].map((u) => {
        const at = rng.chance(0.2)
          ? null
          : Math.max(u.joinedAt, createdAt ?? WORLD_START) + rng.int(0, 30) * DAY;
        return { userId: u.id, createdAt: at, updatedAt: at };
      }),
      removedAt: null,
    });
  }
  return { parentUuid, orgs, users, roles, groups };
}
