/**
 * Pins src/spec/types.ts to schemas/job.schema.json, both ways:
 * - compile time: each SHAPE table below must list exactly the keys of its TypeScript type, and
 *   mark each key `always` (required in the type) or `optional`; `tsc` fails otherwise;
 * - run time: the same tables must match the schema's properties, where `always` keys are those
 *   the schema requires or gives a default, `optional` keys have neither, and `derived` keys (the
 *   `_ms` / `_bytes` numbers) are not in the schema at all. Enum unions are pinned the same way.
 */
import { describe, expect, it } from 'vitest';
import { JOB_SCHEMA, type SchemaNode } from '../../src/spec/check-schema.js';
import type {
  BagInfoSpec,
  CompressionPolicy,
  ContentKind,
  ObjectLockMode,
  OnMissingScope,
  ResolvedArchive,
  ResolvedConsistency,
  ResolvedDestination,
  ResolvedJobSpec,
  ResolvedObjectLock,
  ResolvedQuiescence,
  ResolvedReview,
  ResolvedScope,
  ResolvedSource,
  ResolvedTimeouts,
  StorageClass,
  TimeWindow,
} from '../../src/spec/index.js';
import { CONTENT_KINDS } from '../../src/spec/types.js';
import { load, MINIMAL, yaml } from './helpers.js';

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/** Every key of T, each marked by whether T makes it optional. */
type Shape<T> = {
  [K in keyof T]-?: K extends OptionalKeys<T>
    ? 'optional'
    : K extends `${string}_${'ms' | 'bytes'}`
      ? 'derived'
      : 'always';
};
/** Compile-time check that a list holds every member of a union (and nothing else). */
const allOf =
  <U extends string>() =>
  <L extends readonly U[]>(
    list: L & ([U] extends [L[number]] ? unknown : 'missing members'),
  ): readonly string[] =>
    list;

const SHAPES: { pointer: string; shape: Record<string, 'always' | 'optional' | 'derived'> }[] = [
  {
    pointer: '',
    shape: {
      version: 'always',
      name: 'always',
      matter: 'optional',
      description: 'optional',
      source: 'always',
      scope: 'always',
      consistency: 'always',
      archive: 'always',
      destination: 'always',
      state_dir: 'always',
      state: 'optional',
      snapshot: 'optional',
      review: 'optional',
      on_missing_scope: 'always',
    } satisfies Shape<ResolvedJobSpec>,
  },
  {
    pointer: '/properties/review',
    shape: { docid_prefix: 'optional' } satisfies Shape<ResolvedReview>,
  },
  {
    pointer: '/properties/archive/properties/bag_info',
    shape: {
      source_organization: 'optional',
      contact_name: 'optional',
      contact_email: 'optional',
      bag_group_identifier: 'optional',
    } satisfies Shape<BagInfoSpec>,
  },
  {
    pointer: '/properties/state',
    shape: { retain: 'optional' } satisfies Shape<NonNullable<ResolvedJobSpec['state']>>,
  },
  {
    pointer: '/properties/snapshot',
    shape: { mode: 'always', max_chain: 'optional' } satisfies Shape<
      NonNullable<ResolvedJobSpec['snapshot']>
    >,
  },
  {
    pointer: '/properties/source',
    shape: {
      base_url: 'always',
      api_key_env: 'always',
      requests_per_minute: 'always',
      allow_above_documented_limit: 'always',
      max_concurrency: 'always',
      timeouts: 'always',
    } satisfies Shape<ResolvedSource>,
  },
  {
    pointer: '/properties/source/properties/timeouts',
    shape: {
      connect: 'always',
      connect_ms: 'derived',
      headers: 'always',
      headers_ms: 'derived',
      body_idle: 'always',
      body_idle_ms: 'derived',
    } satisfies Shape<ResolvedTimeouts>,
  },
  {
    pointer: '/properties/scope',
    shape: {
      organizations: 'always',
      custodians: 'always',
      include: 'always',
      created_at: 'optional',
      updated_at: 'optional',
      activity_types: 'optional',
      exclude_activity_types: 'optional',
    } satisfies Shape<ResolvedScope>,
  },
  {
    pointer: '/$defs/window',
    shape: { gte: 'optional', gt: 'optional', lt: 'optional', lte: 'optional' } satisfies Shape<TimeWindow>,
  },
  {
    pointer: '/properties/consistency',
    shape: {
      indexing_lag: 'always',
      indexing_lag_ms: 'derived',
      overlap: 'always',
      overlap_ms: 'derived',
      quiescence: 'always',
    } satisfies Shape<ResolvedConsistency>,
  },
  {
    pointer: '/properties/consistency/properties/quiescence',
    shape: {
      interval: 'always',
      interval_ms: 'derived',
      max_passes: 'always',
    } satisfies Shape<ResolvedQuiescence>,
  },
  {
    pointer: '/properties/archive',
    shape: {
      compression: 'always',
      max_part_size: 'always',
      max_part_size_bytes: 'derived',
      max_volume_size: 'optional',
      bag_info: 'optional',
    } satisfies Shape<ResolvedArchive>,
  },
  {
    pointer: '/properties/destination',
    shape: {
      uri: 'always',
      region: 'optional',
      endpoint: 'optional',
      force_path_style: 'always',
      sse: 'optional',
      object_lock: 'optional',
      storage_class: 'optional',
      file_mode: 'optional',
    } satisfies Shape<ResolvedDestination>,
  },
  {
    pointer: '/properties/destination/properties/sse',
    shape: { kms_key_id: 'always' } satisfies Shape<NonNullable<ResolvedDestination['sse']>>,
  },
  {
    pointer: '/properties/destination/properties/object_lock',
    shape: {
      mode: 'optional',
      retain_until: 'optional',
      retain_days: 'optional',
      legal_hold: 'always',
    } satisfies Shape<ResolvedObjectLock>,
  },
];

const ENUMS: { pointer: string; values: readonly string[] }[] = [
  {
    pointer: '/$defs/content_kind',
    values: allOf<ContentKind>()(CONTENT_KINDS),
  },
  {
    pointer: '/properties/archive/properties/compression',
    values: allOf<CompressionPolicy>()(['auto', 'deflate', 'store'] as const),
  },
  {
    pointer: '/properties/destination/properties/object_lock/properties/mode',
    values: allOf<ObjectLockMode>()(['GOVERNANCE', 'COMPLIANCE'] as const),
  },
  {
    pointer: '/properties/destination/properties/storage_class',
    values: allOf<StorageClass>()([
      'STANDARD',
      'STANDARD_IA',
      'ONEZONE_IA',
      'INTELLIGENT_TIERING',
      'GLACIER_IR',
      'GLACIER',
      'DEEP_ARCHIVE',
    ] as const),
  },
  {
    pointer: '/properties/on_missing_scope',
    values: allOf<OnMissingScope>()(['error', 'record_gap'] as const),
  },
];

function at(pointer: string): SchemaNode {
  let node: unknown = JOB_SCHEMA;
  for (const seg of pointer.split('/').slice(1)) node = (node as Record<string, unknown>)[seg];
  return node as SchemaNode;
}

/** Every object schema reachable through `properties`, with its pointer. */
function objectSchemas(node: SchemaNode, pointer: string, out: string[]): string[] {
  const target = node.$ref !== undefined ? at(node.$ref.slice(1)) : node;
  if (target.type === 'object') out.push(node.$ref !== undefined ? node.$ref.slice(1) : pointer);
  for (const [k, child] of Object.entries(target.properties ?? {}))
    objectSchemas(child, `${pointer}/properties/${k}`, out);
  return out;
}

describe('TypeScript types ⇄ JSON Schema', () => {
  it('covers every object in the schema', () => {
    const inSchema = new Set(objectSchemas(JOB_SCHEMA, '', []));
    expect([...inSchema].sort()).toEqual(SHAPES.map((s) => s.pointer).sort());
  });

  it.each(SHAPES)(
    '$pointer: same keys, and optional exactly where the schema has no default',
    ({ pointer, shape }) => {
      const node = at(pointer);
      const required = new Set(node.required ?? []);
      const schemaKeys = Object.keys(node.properties ?? {}).sort();
      const typeKeys = Object.entries(shape)
        .filter(([, kind]) => kind !== 'derived')
        .map(([k]) => k)
        .sort();
      expect(typeKeys).toEqual(schemaKeys);
      for (const key of schemaKeys) {
        const prop = node.properties?.[key] ?? {};
        const always = required.has(key) || prop.default !== undefined;
        expect([key, shape[key]]).toEqual([key, always ? 'always' : 'optional']);
      }
    },
  );

  it.each(ENUMS)('$pointer: enum matches the union', ({ pointer, values }) => {
    expect([...(at(pointer).enum ?? [])].sort()).toEqual([...values].sort());
  });

  it('a resolved minimal spec has exactly the `always` and `derived` keys at each level', () => {
    const { spec } = load(yaml(...MINIMAL));
    const byPointer: Record<string, unknown> = {
      '': spec,
      '/properties/source': spec.source,
      '/properties/source/properties/timeouts': spec.source.timeouts,
      '/properties/scope': spec.scope,
      '/properties/consistency': spec.consistency,
      '/properties/consistency/properties/quiescence': spec.consistency.quiescence,
      '/properties/archive': spec.archive,
      '/properties/destination': spec.destination,
    };
    for (const [pointer, value] of Object.entries(byPointer)) {
      const shape = SHAPES.find((s) => s.pointer === pointer)!.shape;
      const expected = Object.keys(shape).filter((k) => shape[k] !== 'optional');
      expect([pointer, Object.keys(value as object).sort()]).toEqual([pointer, expected.sort()]);
    }
  });
});
