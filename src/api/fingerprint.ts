import { createHash } from 'node:crypto';

/**
 * A stable, non-reversible name for an API key, for the custody log and the ledger: the first 12
 * hex digits of the key's SHA-256. Never log the key itself.
 */
export function fingerprintKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12);
}
