/**
 * Access Transparency log endpoints (compliance-api.md §7.3, shaped as anthropics/axt-verify reads
 * them): the latest signed checkpoint as a C2SP signed note (text/plain), and inclusion and
 * consistency proofs against it as JSON with base64 hashes. Each takes `organization_id=<org uuid>`
 * and a key with `read:compliance_activities` (or `read:org_audit`); Admin API keys get 403.
 *
 * Choices where the sources are silent: an organization that is unknown, out of the key's reach
 * or not a UUID gets the §5.5 organization 404; one with no log gets 404 too (axt-verify reads a
 * 404 as "no log, or no checkpoint covers that index yet"); a `leaf_index` past the checkpoint is
 * 404 and a `from` outside [1, tree size] is 400, as in axt-verify's own test server. A consistency
 * proof carries no `leaf_index`.
 */
import { SCOPE } from '../keys.js';
import type { Activity, World } from '../model.js';
import { existsAt } from '../world.js';
import { canSeeOrg, json, type Reply, type RequestContext, type Route } from '../http/context.js';
import { badRequest, notFound } from '../http/errors.js';
import type { ParamSpecs } from '../http/query.js';
import { buildTransparencyLogs, type TransparencyLog } from '../transparency/log.js';
import { createLogSigner, originFor, type LogSigner } from '../transparency/note.js';
import { activityJson } from './activities.js';
import { V1, UUID_RE } from './common.js';

interface Transparency {
  signer: LogSigner;
  logs: Map<string, TransparencyLog>;
}

// Built on the first transparency request, so no other route (nor startup) pays for it. The
// logged events are generated with the world and live mutations never add any.
const built = new WeakMap<World, Transparency>();

function transparencyOf(world: World): Transparency {
  let t = built.get(world);
  if (t === undefined) {
    const signer = createLogSigner(world.seed);
    const served = (a: Activity): Record<string, unknown> => activityJson(a);
    t = { signer, logs: buildTransparencyLogs(world.activities, served, signer) };
    built.set(world, t);
  }
  return t;
}

/**
 * The organization's log and the request's integer parameter. Missing parameters are 400s before
 * any lookup, as validation precedes handling in the API.
 */
function resolve(ctx: RequestContext, intParam?: string): { log: TransparencyLog; value: number } {
  const id = ctx.query.str('organization_id');
  if (id === undefined) throw badRequest('organization_id: Field required');
  const value = intParam === undefined ? 0 : ctx.query.int(intParam);
  if (value === undefined) throw badRequest(`${intParam ?? ''}: Field required`);
  const org = UUID_RE.test(id) ? ctx.state.world.orgs.find((o) => o.uuid === id.toLowerCase()) : undefined;
  if (org === undefined || !existsAt(org, ctx.now) || !canSeeOrg(ctx, org.uuid)) {
    throw notFound(
      `The "${id}" organization does not exist or the requester is not authorized to access it.`,
    );
  }
  const log = transparencyOf(ctx.state.world).logs.get(org.uuid);
  if (log === undefined) throw notFound('No Access Transparency log exists for this organization.');
  return { log, value };
}

const orgParam: ParamSpecs = { organization_id: { kind: 'string' } };

function proof(type: string, log: TransparencyLog, size: number, hashes: Buffer[], leafIndex?: number) {
  return {
    type,
    ...(leafIndex === undefined ? {} : { leaf_index: leafIndex }),
    hashes: hashes.map((h) => h.toString('base64')),
    checkpoint: log.checkpoint(size),
  };
}

export const transparencyRoutes: Route[] = [
  {
    method: 'GET',
    template: `${V1}/transparency_log/checkpoint`,
    scope: SCOPE.activities,
    params: orgParam,
    handle: (ctx): Reply => {
      const { log } = resolve(ctx);
      const note = Buffer.from(log.checkpoint(log.sizeAt(ctx.now)), 'utf8');
      return { kind: 'stream', headers: { 'content-type': 'text/plain; charset=utf-8' }, chunks: [note] };
    },
  },
  {
    method: 'GET',
    template: `${V1}/transparency_log/inclusion`,
    scope: SCOPE.activities,
    params: { ...orgParam, leaf_index: { kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER } },
    handle: (ctx) => {
      const { log, value: index } = resolve(ctx, 'leaf_index');
      const size = log.sizeAt(ctx.now);
      if (index >= size) {
        throw notFound(`No published checkpoint covers leaf index ${index} (tree size ${size}).`);
      }
      return json(proof('transparency_log_inclusion_proof', log, size, log.inclusion(index, size), index));
    },
  },
  {
    method: 'GET',
    template: `${V1}/transparency_log/consistency`,
    scope: SCOPE.activities,
    params: { ...orgParam, from: { kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER } },
    handle: (ctx) => {
      const { log, value: from } = resolve(ctx, 'from');
      const size = log.sizeAt(ctx.now);
      if (from > size) throw badRequest(`from: Input should be less than or equal to ${size}`);
      return json(proof('transparency_log_consistency_proof', log, size, log.consistency(from, size)));
    },
  },
];

/**
 * `GET /_sandbox/transparency`: the log key a verifier pins (raw, SPKI and, per origin, the note
 * verifier key) and each organization's log as of `now`. Nothing here is learned from the API.
 */
export function transparencyInfo(world: World, now: number) {
  const { signer, logs } = transparencyOf(world);
  return {
    key_type: 'ed25519',
    public_key: signer.publicKey.toString('base64'),
    public_key_spki: signer.publicKeySpki.toString('base64'),
    organizations: world.orgs.map((o) => {
      const log = logs.get(o.uuid);
      const origin = originFor(o.uuid);
      return {
        organization_uuid: o.uuid,
        origin,
        verifier_key: signer.verifierKey(origin),
        key_id: signer.keyId(origin).toString('hex'),
        tree_size: log === undefined ? null : log.sizeAt(now),
      };
    }),
  };
}
