/** Public surface of the staging store. */
export type { BlobRef } from './blob-store.js';
export { openStore } from './open-store.js';
export { StagingStore } from './staging-store.js';
export { recordHash } from './record-hash.js';
export {
  buildBagPayload,
  currentRecordPositions,
  currentRecords,
  isKeyedPosition,
  readRecordAt,
} from './bag-payload.js';
export type { AggregateRowPositions, BagPayload, KeyedPosition, RecordPosition } from './bag-payload.js';
export type * from './types.js';
export type { BaseRecord } from './base-records.js';
