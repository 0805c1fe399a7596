/**
 * Key resolution and scope checks (§1, §5.3–5.5). Only `x-api-key` is read: whether Bearer works
 * is undocumented (§7.1 #13), and a client that relied on it would break in production.
 */
import { SCOPE } from '../keys.js';
import type { World } from '../model.js';
import type { Principal, Route } from './context.js';
import { ApiError, notFound, pyList } from './errors.js';

const COMPLIANCE_PREFIX = 'sk-ant-api01-';
const ADMIN_PREFIX = 'sk-ant-admin01-';

/** Authenticate, or throw the documented 404/401. Runs before the limiter: failures cost no quota. */
export function authenticate(world: World, route: Route, header: string | undefined): Principal {
  const unauthenticated = (): ApiError =>
    route.unauthenticated401 === true
      ? new ApiError(401, 'authentication_error', 'API key is invalid.')
      : notFound();
  if (header === undefined || header === '') throw unauthenticated();
  const key = world.apiKeys.find((k) => k.secret === header);
  if (header.startsWith(COMPLIANCE_PREFIX) || header.startsWith(ADMIN_PREFIX)) {
    if (key === undefined) throw new ApiError(401, 'authentication_error', 'API key is invalid.');
    if (!key.isActive) throw new ApiError(401, 'authentication_error', 'API key has been deactivated.');
    if (key.expired === true) throw new ApiError(401, 'authentication_error', 'API key has expired.');
    return { key, orgUuid: key.orgUuid };
  }
  // sk-ant-api03- (Claude API) and anything else: treated as no key at all.
  throw unauthenticated();
}

/** 403 when the key lacks the route's scope. Runs after the limiter: a 403 costs one unit. */
export function authorize(principal: Principal, route: Route): void {
  const have = principal.key.scopes;
  if (principal.key.kind === 'admin' && route.adminAllowed !== true) {
    throw forbidden(have, route);
  }
  const isDelete = route.method === 'DELETE';
  const ok = isDelete
    ? have.includes(route.scope)
    : have.includes(route.scope) || have.includes(SCOPE.orgAudit);
  if (!ok) throw forbidden(have, route);
}

function forbidden(have: readonly string[], route: Route): ApiError {
  const needed =
    route.method === 'DELETE'
      ? `Needed: ${pyList([route.scope])}`
      : `Needed one of: ${pyList([route.scope, SCOPE.orgAudit])}`;
  return new ApiError(403, 'permission_error', `Missing required scopes. Got: ${pyList(have)} ${needed}`);
}
