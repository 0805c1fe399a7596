/**
 * The plan stage: resolved JobSpec + listing survey → ExportPlan, pure data (HOUSE-STYLE §2).
 * The listings themselves are gathered by src/survey (the I/O side); `plan` prints the result.
 */
export { buildPlan, archiveLocation, type BuildPlanInput } from './build-plan.js';
export { estimateRequests, runPages } from './estimate.js';
export { renderPlan, formatDuration, table } from './render-plan.js';
export { COUNT_KINDS } from './types.js';
export type * from './types.js';
