/**
 * Report rows (src/archive/report-rows.ts) from the staging store: one items.csv row per payload
 * file of every current record (JSONL rows point at their aggregate file and hash their own line),
 * the open exceptions, and the drift seen. Streamed from the journal: memory does not grow with
 * the export.
 */
import { createHash } from 'node:crypto';
import type { DriftRow, ExceptionRow, ItemKind, ItemRow } from '../archive/report-rows.js';
import { currentRecords, type StagingStore } from '../store/index.js';

export async function* itemRows(store: StagingStore): AsyncGenerator<ItemRow> {
  for await (const r of currentRecords(store)) {
    const common = {
      kind: r.kind,
      id: r.id,
      custodian: r.custodian ?? '',
      originalName: r.originalName,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      deletedAt: r.deletedAt,
      sourceEndpoint: r.endpoint,
      requestId: r.requestId,
    };
    if (r.rowJson !== null && r.aggregate !== null) {
      const line = Buffer.from(`${r.rowJson}\n`, 'utf8');
      yield {
        ...common,
        path: `data/${r.aggregate}`,
        sha256: createHash('sha256').update(line).digest('hex'),
        md5: createHash('md5').update(line).digest('hex'),
        size: line.byteLength,
      };
      continue;
    }
    for (const f of r.files) {
      yield { ...common, path: `data/${f.path}`, sha256: f.sha256, md5: f.md5, size: f.size };
    }
  }
}

export function exceptionRows(store: StagingStore): ExceptionRow[] {
  return store
    .exceptions()
    .map((e) => ({
      kind: e.kind,
      id: e.id,
      reason: e.reason,
      retryable: e.retryable,
      parentId: e.parent ?? null,
      endpoint: e.endpoint ?? null,
      httpStatus: e.httpStatus ?? null,
      requestId: e.requestId ?? null,
      detail: e.detail,
      at: e.at,
    }))
    .sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1));
}

export function driftRows(store: StagingStore): DriftRow[] {
  return store
    .drift()
    .map((d) => ({
      kind: d.kind as ItemKind,
      id: d.id,
      change: d.change,
      changedAt: d.updatedAt,
      beforeSha256: d.beforeSha256,
      afterSha256: d.afterSha256,
      inArchive: d.change !== 'created_after_cut',
      pass: d.pass,
    }))
    .sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1));
}
