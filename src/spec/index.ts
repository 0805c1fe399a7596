/**
 * Public surface of the job-spec stage: YAML text → validated, defaults-resolved JobSpec.
 * See ./types.ts for the design points other stages rely on.
 */
export { loadSpecFile, loadSpecText, applyOverrides } from './load-spec.js';
export { SpecError, formatDiagnostics } from './spec-error.js';
export { parseDestinationUri } from './destination.js';
export { parseDuration, parseSize } from './units.js';
export { canonicalJson, sha256Hex } from './resolve-spec.js';
export { DOCUMENTED_RPM_LIMIT } from './rules.js';
export { docidPrefixOf } from './types.js';
export type * from './types.js';
