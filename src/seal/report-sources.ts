/**
 * Report rows (src/archive/report-rows.ts) from the staging store: the open exceptions and the
 * drift seen. (The items.csv rows are the production stage's, src/produce/.)
 */
import type { DriftRow, ExceptionRow, ItemKind } from '../archive/report-rows.js';
import type { StagingStore } from '../store/index.js';

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
      inArchive: d.change !== 'created_after_cut' && d.change !== 'deleted_since_previous',
      pass: d.pass,
    }))
    .sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1));
}
