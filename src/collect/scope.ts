/**
 * Resolving a run's scope before pass 1 (compliance-api.md §3.2-3.3): which organizations the
 * spec selects, and custodians (emails → user ids across the selected orgs). An unknown custodian
 * is a named gap (`custodian_not_found`), never a silent drop. The result is fixed for the run
 * (`CollectContext.scope`).
 */
import type { Organization } from '../api/index.js';
import { ExportError } from '../errors.js';
import type { CollectContext, ScopeTargets } from './context.js';
import { userListing } from './kinds/directory.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What resolving custodians needs: it lists users, and names an unknown custodian as a gap. */
type ScopeResolution = Pick<CollectContext, 'client' | 'spec' | 'signal' | 'store' | 'progress'>;

/** List the orgs and pick the selected ones (`all`, or uuids from the spec). */
export async function resolveOrganizations(
  ctx: Pick<CollectContext, 'client' | 'spec' | 'signal'>,
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
  ctx: ScopeResolution,
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
    for await (const page of userListing(org.uuid).pages(ctx.client, { signal: ctx.signal })) {
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
      // Resolved before pass 1 starts: its gaps belong to pass 1.
      1,
    );
    ctx.progress.stage('directory').gaps += 1;
  }
  return { orgUuids, custodianIds: [...ids].sort(), emails };
}
