/**
 * The plan stage: resolved JobSpec + listing survey → ExportPlan, pure data (HOUSE-STYLE §2).
 * The listings themselves are gathered by src/survey (the I/O side); `plan` prints the result.
 */
export { buildPlan, type BuildPlanInput } from './build-plan.js';
export { runPages } from './estimate.js';
export { ASSUMABLE_ITEMS, type ByteItem } from './byte-factors.js';
export type { SizeOverrides } from './estimate-bytes.js';
export { renderPlan } from './render-plan.js';
export { warningLine } from './render-bytes.js';
export type * from './types.js';
