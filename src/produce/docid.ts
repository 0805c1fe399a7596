/**
 * DOCIDs: `<PREFIX>-000001`, `<PREFIX>-000002`… in production order (families contiguous, see
 * ./families.ts), at least six digits (more once past 999,999). The prefix comes from the spec
 * (`review.docid_prefix`) or, by default, from the job name upper-cased (`legal-hold` →
 * `LEGAL-HOLD`).
 */

const MIN_DIGITS = 6;

/** The default prefix: the job name (a lower-case slug) upper-cased. */
export function defaultDocidPrefix(jobName: string): string {
  return jobName.toUpperCase();
}

/** The n-th DOCID (n from 1). */
export function formatDocid(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(MIN_DIGITS, '0')}`;
}
