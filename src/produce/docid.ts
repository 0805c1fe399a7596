/**
 * DOCIDs: `<PREFIX>-000001`, `<PREFIX>-000002`… in production order (families contiguous, see
 * ./families.ts), at least six digits (more once past 999,999). The prefix is the spec's
 * (`docidPrefixOf` in src/spec: `review.docid_prefix`, else the job name upper-cased).
 */

const MIN_DIGITS = 6;

/** The n-th DOCID (n from 1). */
export function formatDocid(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(MIN_DIGITS, '0')}`;
}
