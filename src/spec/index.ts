/**
 * Public surface of the job-spec stage: YAML text → validated, defaults-resolved JobSpec.
 * See ./types.ts for the design points other stages rely on.
 */
export { loadSpecFile, loadSpecText, applyOverrides } from './load-spec.js';
export { SpecError, formatDiagnostics } from './spec-error.js';
export { parseDestinationUri, isLoopbackHost } from './destination.js';
export { parseDuration, parseSize, formatDuration } from './units.js';
export { canonicalJson, sha256Hex } from './resolve-spec.js';
export { JOB_SCHEMA_URL } from './check-schema.js';
export { DOCUMENTED_RPM_LIMIT } from './rules.js';
export type * from './types.js';
