/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
/**
 * Access Transparency in the sandbox (compliance-api.md §7.3), checked over loopback by the
 * independent verifier in transparency-verifier.ts: leaves recomputed from the served events,
 * RFC 9162 proof verification against the signed checkpoint, Ed25519 note signatures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1, errorOf, openApi, type Api } from './helpers.js';
import {
  leafEntryOf,
  leafHashOf,
  parseCheckpoint,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  verifyNote,
  type Checkpoint,
} from './transparency-verifier.js';

const LOG = `${V1}/transparency_log`;
const AXT_KEYS = [
  'accessed_at',
  'accessor_department',
  'actor',
  'created_at',
  'id',
  'organization_id',
  'organization_uuid',
  'reason_code',
  'resource_details',
  'transparency_log_leaf_index',
  'type',
  'workspace_id',
];
const b64 = (hashes: string[]): Buffer[] => hashes.map((h) => Buffer.from(h, 'base64'));

interface Org {
  organization_uuid: string;
  origin: string;
  verifier_key: string;
  key_id: string;
  tree_size: number | null;
}

async function axtEvents(api: Api): Promise<any[]> {
  const q = 'activity_types[]=anthropic_access&activity_types[]=cmek_preserve&limit=5000&order=asc';
  const body = await api.json(`${V1}/activities?${q}`);
  expect(body.has_more).toBe(false);
  return body.data;
}

async function info(api: Api): Promise<{ public_key: string; organizations: Org[] }> {
  return (await fetch(`${api.sb.baseUrl}/_sandbox/transparency`)).json() as Promise<any>;
}

async function checkpointNote(api: Api, org: string, key?: string): Promise<string> {
  const res = await api.get(`${LOG}/checkpoint?organization_id=${org}`, key);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  return res.text();
}

/** The signed checkpoint, verified with the pinned key and origin; fails the test otherwise. */
function verified(note: string, origin: string, publicKey: Buffer): Checkpoint {
  expect(verifyNote(note, origin, publicKey)).toBe(true);
  const cp = parseCheckpoint(note);
  expect(cp?.origin).toBe(origin);
  return cp!;
}

/** The org's logged events in leaf order, with their independently computed leaf hashes. */
function leavesOf(events: any[], org: string): { event: any; hash: Buffer }[] {
  return events
    .filter((e) => e.organization_uuid === org && e.transparency_log_leaf_index !== null)
    .sort((a, b) => a.transparency_log_leaf_index - b.transparency_log_leaf_index)
    .map((event) => ({ event, hash: leafHashOf(leafEntryOf(event)) }));
}

describe('the independent verifier', () => {
  it("reproduces axt-verify's worked-example leaf hash (leaf = 0x01 || JCS, hashed as 0x00 || leaf)", () => {
    const served = {
      id: 'activity_01GPXmAhizavrUuoXNn3tzeA',
      type: 'anthropic_access',
      created_at: '2025-07-08T18:40:00Z',
      accessed_at: '2025-07-08T18:39:58Z',
      organization_id: 'org_015gtSHLz269eTwgrH8NX5yk',
      organization_uuid: '25f6429a-3293-49bf-afed-cb312911554b',
      workspace_id: 'wrkspc_01PaGUP2rbg1XDh7Z9W1CEpd',
      workspace_uuid: 'b6ce2143-1083-d4a7-247c-17530f55a076',
      accessor_department: 'Trust & Safety',
      reason_code: 'safety_review',
      actor: { type: 'anthropic_actor', email_address: null },
      resource_details: { type: 'message', id: 'msg_01HXAMPLE12345678' },
      transparency_log_leaf_index: 17,
    };
    expect(leafHashOf(leafEntryOf(served)).toString('base64')).toBe(
      '6ro7vTcFq+sYDZiiGvZaFetUIoMSLig3DGDrCKK1HFU=',
    );
  });
});

describe('Access Transparency in the sandbox', () => {
  let api: Api;
  let events: any[];
  let orgs: Org[];
  let publicKey: Buffer;

  beforeAll(async () => {
    api = await openApi({ seed: 1 });
    events = await axtEvents(api);
    const i = await info(api);
    orgs = i.organizations;
    publicKey = Buffer.from(i.public_key, 'base64');
  });
  afterAll(async () => api.sb.close());

  it('serves anthropic_access and cmek_preserve events with the §7.3 fields and leaf indices', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['anthropic_access', 'cmek_preserve']));
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(AXT_KEYS);
      expect(e.actor).toEqual({ type: 'anthropic_actor', email_address: null });
      if (e.resource_details !== null)
        expect(Object.keys(e.resource_details).sort()).toEqual(['id', 'parent', 'type']);
    }
    const [logged, unlogged] = orgs;
    expect(logged!.tree_size).toBeGreaterThan(1);
    // The enrolled org: null before enrollment, then 0..n-1 in created_at order.
    const mine = events.filter((e) => e.organization_uuid === logged!.organization_uuid);
    const firstLogged = mine.findIndex((e) => e.transparency_log_leaf_index !== null);
    expect(firstLogged).toBeGreaterThan(0);
    expect(mine.slice(firstLogged).map((e) => e.transparency_log_leaf_index)).toEqual([
      ...Array(logged!.tree_size).keys(),
    ]);
    // The org that never enrolled: every index null, and no log to ask for.
    const theirs = events.filter((e) => e.organization_uuid === unlogged!.organization_uuid);
    expect(theirs.length).toBeGreaterThan(4);
    expect(theirs.every((e) => e.transparency_log_leaf_index === null)).toBe(true);
    expect(unlogged!.tree_size).toBeNull();
  });

  it('publishes a note verifier key per origin that names the served key', () => {
    for (const o of orgs) {
      expect(o.origin).toBe(`axt.anthropic.com/${o.organization_uuid}`);
      // <name>+<key ID>+<base64 payload>; the payload may itself contain '+'.
      const [name, keyId, ...rest] = o.verifier_key.split('+');
      const key = rest.join('+');
      expect([name, keyId]).toEqual([o.origin, o.key_id]);
      expect(Buffer.from(key, 'base64')).toEqual(Buffer.concat([Buffer.from([1]), publicKey]));
    }
  });

  it.each([1, 2, 3, 7])('seed %i: every logged event verifies into its signed checkpoint', async (seed) => {
    const other = seed === 1 ? api : await openApi({ seed });
    try {
      const all = await axtEvents(other);
      const i = await info(other);
      const key = Buffer.from(i.public_key, 'base64');
      const withLog = i.organizations.filter((o) => o.tree_size !== null);
      expect(withLog.length).toBeGreaterThan(0);
      for (const o of withLog) {
        const note = await checkpointNote(other, o.organization_uuid, other.sb.keys.activitiesOnly);
        const cp = verified(note, o.origin, key);
        const leaves = leavesOf(all, o.organization_uuid);
        expect(cp.size).toBe(leaves.length);
        expect(cp.root.equals(rootOf(leaves.map((l) => l.hash)))).toBe(true);
        for (const [index, leaf] of leaves.entries()) {
          const proof = await other.json(
            `${LOG}/inclusion?organization_id=${o.organization_uuid}&leaf_index=${index}`,
          );
          expect(proof.type).toBe('transparency_log_inclusion_proof');
          expect(proof.leaf_index).toBe(index);
          expect(proof.checkpoint).toBe(note);
          expect(verifyInclusion(index, cp.size, leaf.hash, b64(proof.hashes), cp.root)).toBe(true);
        }
        for (let from = 1; from <= cp.size; from++) {
          const proof = await other.json(
            `${LOG}/consistency?organization_id=${o.organization_uuid}&from=${from}`,
          );
          expect(proof.type).toBe('transparency_log_consistency_proof');
          expect(proof.checkpoint).toBe(note);
          const old = rootOf(leaves.slice(0, from).map((l) => l.hash));
          expect(verifyConsistency(from, cp.size, b64(proof.hashes), old, cp.root)).toBe(true);
        }
      }
    } finally {
      if (other !== api) await other.sb.close();
    }
  });

  it('grows on the sandbox clock: two signed checkpoints are related by a consistency proof', async () => {
    const org = orgs[0]!;
    const leaves = leavesOf(events, org.organization_uuid);
    const clock = { t: Date.parse(leaves[2]!.event.created_at) };
    const timed = await openApi({ seed: 1, now: () => clock.t });
    try {
      const older = verified(await checkpointNote(timed, org.organization_uuid), org.origin, publicKey);
      expect(older.size).toBe(3);
      expect(
        (await timed.get(`${LOG}/inclusion?organization_id=${org.organization_uuid}&leaf_index=3`)).status,
      ).toBe(404);
      clock.t = Date.now();
      const newer = verified(await checkpointNote(timed, org.organization_uuid), org.origin, publicKey);
      expect(newer.size).toBe(leaves.length);
      const proof = await timed.json(`${LOG}/consistency?organization_id=${org.organization_uuid}&from=3`);
      expect(verifyConsistency(3, newer.size, b64(proof.hashes), older.root, newer.root)).toBe(true);
    } finally {
      await timed.sb.close();
    }
  });

  it('rejects tampered proofs, leaves and notes', async () => {
    const org = orgs[0]!;
    const note = await checkpointNote(api, org.organization_uuid);
    const cp = verified(note, org.origin, publicKey);
    const leaves = leavesOf(events, org.organization_uuid);
    const proof = await api.json(`${LOG}/inclusion?organization_id=${org.organization_uuid}&leaf_index=1`);
    const hashes = b64(proof.hashes);
    expect(verifyInclusion(1, cp.size, leaves[1]!.hash, hashes, cp.root)).toBe(true);
    const flipped = hashes.map((h, i) => (i === 0 ? Buffer.from(h.map((b, j) => (j === 0 ? b ^ 1 : b))) : h));
    expect(verifyInclusion(1, cp.size, leaves[1]!.hash, flipped, cp.root)).toBe(false);
    expect(verifyInclusion(0, cp.size, leaves[1]!.hash, hashes, cp.root)).toBe(false);
    expect(verifyInclusion(1, cp.size, leaves[0]!.hash, hashes, cp.root)).toBe(false);
    // A served event edited after the fact no longer matches its leaf.
    const edited = { ...leaves[1]!.event, reason_code: 'unspecified', accessor_department: 'Other' };
    expect(verifyInclusion(1, cp.size, leafHashOf(leafEntryOf(edited)), hashes, cp.root)).toBe(false);
    const cons = await api.json(`${LOG}/consistency?organization_id=${org.organization_uuid}&from=2`);
    const old = rootOf(leaves.slice(0, 2).map((l) => l.hash));
    expect(verifyConsistency(2, cp.size, b64(cons.hashes), old, cp.root)).toBe(true);
    expect(verifyConsistency(2, cp.size, b64(cons.hashes).reverse(), old, cp.root)).toBe(false);
    expect(
      verifyConsistency(2, cp.size, b64(cons.hashes), rootOf([leaves[1]!.hash, leaves[0]!.hash]), cp.root),
    ).toBe(false);
    // A note whose size line was changed, or checked under another org's origin or another key.
    expect(verifyNote(note.replace(`\n${cp.size}\n`, `\n${cp.size + 1}\n`), org.origin, publicKey)).toBe(
      false,
    );
    expect(verifyNote(note, orgs[1]!.origin, publicKey)).toBe(false);
    const other = await openApi({ seed: 2 });
    try {
      expect(verifyNote(note, org.origin, Buffer.from((await info(other)).public_key, 'base64'))).toBe(false);
    } finally {
      await other.sb.close();
    }
  });

  it('is deterministic per seed: same key, events and notes; another seed signs with another key', async () => {
    const again = await openApi({ seed: 1 });
    const seed2 = await openApi({ seed: 2 });
    try {
      const org = orgs[0]!.organization_uuid;
      expect(await info(again)).toEqual(await info(api));
      expect(await axtEvents(again)).toEqual(events);
      expect(await checkpointNote(again, org)).toBe(await checkpointNote(api, org));
      expect((await info(seed2)).public_key).not.toBe((await info(api)).public_key);
    } finally {
      await again.sb.close();
      await seed2.sb.close();
    }
  });

  it('validates like the rest of the API: scopes, organization reach, unknown and missing parameters', async () => {
    const [logged, unlogged] = orgs.map((o) => o.organization_uuid);
    const size = orgs[0]!.tree_size!;
    const keys = api.sb.keys;
    const cases: [string, string, number, string, string | null][] = [
      [`${LOG}/checkpoint?organization_id=${logged}`, keys.orgAudit, 200, '', null],
      [`${LOG}/checkpoint?organization_id=${logged}`, keys.userDataOnly, 403, 'permission_error', null],
      [`${LOG}/checkpoint?organization_id=${logged}`, keys.admin, 403, 'permission_error', null],
      [`${LOG}/checkpoint?organization_id=${logged}`, keys.claudeApi, 404, 'not_found_error', 'Not found'],
      [`${LOG}/checkpoint`, keys.full, 400, 'invalid_request_error', 'organization_id: Field required'],
      [
        `${LOG}/checkpoint?organization_id=${logged}&organization_uuid=${logged}`,
        keys.full,
        400,
        'invalid_request_error',
        "Unknown query parameter: 'organization_uuid'. Did you mean 'organization_id'?",
      ],
      [
        `${LOG}/checkpoint?organization_id=${unlogged}`,
        keys.singleOrg,
        404,
        'not_found_error',
        `The "${unlogged}" organization does not exist or the requester is not authorized to access it.`,
      ],
      [`${LOG}/checkpoint?organization_id=${unlogged}`, keys.full, 404, 'not_found_error', null],
      [`${LOG}/checkpoint?organization_id=${logged}`, keys.singleOrg, 200, '', null],
      [
        `${LOG}/inclusion?organization_id=${logged}`,
        keys.full,
        400,
        'invalid_request_error',
        'leaf_index: Field required',
      ],
      [
        `${LOG}/inclusion?organization_id=${logged}&leaf_index=x`,
        keys.full,
        400,
        'invalid_request_error',
        'leaf_index: Input should be a valid integer, unable to parse string as an integer',
      ],
      [
        `${LOG}/inclusion?organization_id=${logged}&leaf_index=${size}`,
        keys.full,
        404,
        'not_found_error',
        null,
      ],
      [`${LOG}/inclusion?organization_id=${logged}&index=0`, keys.full, 400, 'invalid_request_error', null],
      [
        `${LOG}/consistency?organization_id=${logged}&from=0`,
        keys.full,
        400,
        'invalid_request_error',
        'from: Input should be greater than or equal to 1',
      ],
      [
        `${LOG}/consistency?organization_id=${logged}&from=${size + 1}`,
        keys.full,
        400,
        'invalid_request_error',
        `from: Input should be less than or equal to ${size}`,
      ],
      [`${LOG}/consistency?organization_id=${logged}&from=${size}`, keys.full, 200, '', null],
    ];
    for (const [path, key, status, type, message] of cases) {
      const res = await api.get(path, key);
      expect([path, res.status]).toEqual([path, status]);
      if (status === 200) {
        await res.arrayBuffer();
        continue;
      }
      const e = await errorOf(res);
      expect([path, e.type]).toEqual([path, type]);
      if (message !== null) expect([path, e.message]).toEqual([path, message]);
    }
  });
});
