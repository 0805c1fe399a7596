/**
 * The sandbox's API keys, derived from the seed so `compliance-sandbox --seed N` prints the
 * same keys every time. Key types and scopes follow §1.2/§1.3.
 */
import type { ApiKeyRecord, Org, User } from './model.js';
import { DAY, WORLD_START } from './profiles.js';
import { Rng, idFromUuid } from './random.js';

export const SCOPE = {
  activities: 'read:compliance_activities',
  userData: 'read:compliance_user_data',
  orgData: 'read:compliance_org_data',
  orgSettings: 'read:compliance_org_settings',
  orgAudit: 'read:org_audit',
  delete: 'delete:compliance_user_data',
} as const;

export interface SandboxKeys {
  /** sk-ant-api01-…, parent-wide, the three read scopes. */
  full: string;
  /** read:org_audit only. */
  orgAudit: string;
  userDataOnly: string;
  orgDataOnly: string;
  activitiesOnly: string;
  /** All read scopes plus delete:compliance_user_data. */
  deleter: string;
  /** sk-ant-admin01-…: Activity Feed only. */
  admin: string;
  /** Disabled: 401 `API key has been deactivated.` */
  deactivated: string;
  /** sk-ant-api03-… Claude API key: treated as unauthenticated (404). */
  claudeApi: string;
  /** Limited to the first child org, all read scopes. */
  singleOrg: string;
  /** sk-ant-admin01-… past its expiry: 401 `API key has expired.` (§5.3). */
  expiredAdmin: string;
}

type KeyName = keyof SandboxKeys;

function secret(seed: number, name: string, prefix: string): string {
  const rng = new Rng(seed, 'api-key', name);
  return `${prefix}${rng.base62(86)}-${rng.base62(6)}AA`;
}

export function buildKeys(
  seed: number,
  orgs: Org[],
  users: User[],
): { keys: SandboxKeys; records: ApiKeyRecord[] } {
  const reads = [SCOPE.activities, SCOPE.userData, SCOPE.orgData];
  const owner = users.find((u) => u.role === 'primary_owner') ?? null;
  const firstOrg = orgs[0]?.uuid ?? null;
  const specs: {
    name: Exclude<KeyName, 'expiredAdmin'>;
    label: string;
    kind: ApiKeyRecord['kind'];
    scopes: string[];
    active?: boolean;
    org?: string | null;
  }[] = [
    { name: 'full', label: 'Export (all reads)', kind: 'compliance', scopes: reads },
    { name: 'orgAudit', label: 'Audit (org_audit)', kind: 'compliance', scopes: [SCOPE.orgAudit] },
    { name: 'userDataOnly', label: 'User data only', kind: 'compliance', scopes: [SCOPE.userData] },
    { name: 'orgDataOnly', label: 'Org data only', kind: 'compliance', scopes: [SCOPE.orgData] },
    { name: 'activitiesOnly', label: 'SIEM feed', kind: 'compliance', scopes: [SCOPE.activities] },
    { name: 'deleter', label: 'Retention deleter', kind: 'compliance', scopes: [...reads, SCOPE.delete] },
    { name: 'admin', label: 'Console admin key', kind: 'admin', scopes: [SCOPE.activities] },
    { name: 'deactivated', label: 'Old export key', kind: 'compliance', scopes: reads, active: false },
    { name: 'claudeApi', label: 'Claude API key', kind: 'claude_api', scopes: [] },
    { name: 'singleOrg', label: 'First org only', kind: 'compliance', scopes: reads, org: firstOrg },
  ];
  const prefixes: Record<ApiKeyRecord['kind'], string> = {
    compliance: 'sk-ant-api01-',
    admin: 'sk-ant-admin01-',
    claude_api: 'sk-ant-api03-',
  };
  const rng = new Rng(seed, 'api-key-ids');
  const records: ApiKeyRecord[] = [];
  const keys = {} as Record<KeyName, string>;
  specs.forEach((s, i) => {
    const value = secret(seed, s.name, prefixes[s.kind]);
    keys[s.name] = value;
    records.push({
      id: idFromUuid('apikey_', rng.uuid()),
      name: s.label,
      secret: value,
      kind: s.kind,
      scopes: s.scopes,
      isActive: s.active ?? true,
      orgUuid: s.org ?? null,
      createdAt: WORLD_START + (30 + i * 7) * DAY,
      createdById: i === 3 ? null : (owner?.id ?? null),
    });
  });
  // A key that only ever held the retired settings scope still shows in the settings list (§1.3).
  records.push({
    id: idFromUuid('apikey_', rng.uuid()),
    name: 'Legacy settings reader',
    secret: secret(seed, 'legacySettings', prefixes.compliance),
    kind: 'compliance',
    scopes: [SCOPE.orgSettings],
    isActive: true,
    orgUuid: null,
    createdAt: WORLD_START + 10 * DAY,
    createdById: owner?.id ?? null,
  });
  // Admin keys expire (§5.3). Drawn last, so every key and id above stays what it was.
  keys.expiredAdmin = secret(seed, 'expiredAdmin', prefixes.admin);
  records.push({
    id: idFromUuid('apikey_', rng.uuid()),
    name: 'Expired console admin key',
    secret: keys.expiredAdmin,
    kind: 'admin',
    scopes: [SCOPE.activities],
    isActive: true,
    expired: true,
    orgUuid: null,
    createdAt: WORLD_START + 20 * DAY,
    createdById: owner?.id ?? null,
  });
  return { keys, records };
}
