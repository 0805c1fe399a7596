/**
 * Access Transparency log leaves (compliance-api.md §7.3, as anthropics/axt-verify reads them).
 *
 * A leaf *entry* is the schema-version byte 0x01 followed by the RFC 8785 canonical JSON of eleven
 * keys projected from the event exactly as the feed serves it. That 0x01 is part of the entry, not
 * the RFC 6962 node prefix: the leaf *hash* is still SHA-256(0x00 || entry), so the hashed bytes
 * begin 0x00 0x01. Projection rules of schema version 0x01: a key the served event omits enters as
 * null, keys outside the set (`transparency_log_leaf_index` among them) are ignored, and
 * `actor.email_address` and `resource_details.parent` always enter as null whatever is served.
 */
import { canonicalJson, type JsonValue } from './jcs.js';

export const LEAF_SCHEMA_VERSION = 0x01;

/** The activity types schema version 0x01 covers. */
export const TRANSPARENCY_TYPES: readonly string[] = ['anthropic_access', 'cmek_preserve'];

/** The served field carrying an event's position in its organization's log (null: no active log). */
export const LEAF_INDEX_FIELD = 'transparency_log_leaf_index';

const STRING_KEYS = [
  'accessed_at',
  'accessor_department',
  'created_at',
  'id',
  'organization_id',
  'organization_uuid',
  'reason_code',
  'type',
  'workspace_id',
] as const;

/** A served string field, or null when absent or null. */
function str(obj: Record<string, unknown>, key: string): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new TypeError(`transparency leaf: ${key} is not a string`);
  return v;
}

function sub(obj: Record<string, unknown>, key: string): Record<string, unknown> | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new TypeError(`transparency leaf: ${key} is not an object`);
  return v as Record<string, unknown>;
}

/** The eleven-key object the leaf commits, from a served activity. */
export function leafFields(served: Record<string, unknown>): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const key of STRING_KEYS) out[key] = str(served, key);
  const actor = sub(served, 'actor');
  out.actor = actor === null ? null : { email_address: null, type: str(actor, 'type') };
  const res = sub(served, 'resource_details');
  out.resource_details = res === null ? null : { id: str(res, 'id'), parent: null, type: str(res, 'type') };
  return out;
}

/** 0x01 || JCS(leafFields(served)): the bytes the log appends for one event. */
export function leafEntry(served: Record<string, unknown>): Buffer {
  return Buffer.concat([
    Buffer.from([LEAF_SCHEMA_VERSION]),
    Buffer.from(canonicalJson(leafFields(served)), 'utf8'),
  ]);
}
