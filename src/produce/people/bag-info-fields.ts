/**
 * The reserved `bag-info.txt` fields (RFC 8493 §2.2.2) a job spec can fill: who made the archive
 * (`archive.bag_info`) and what it is (`description` → `External-Description`). The sealer
 * (src/archive/bag-text.ts) writes each field as one `Label: value` line and owns the fields it
 * computes (Payload-Oxum, Bagging-Date, Bag-Size, External-Identifier, Bag-Software-Agent).
 */
import type { ResolvedJobSpec } from '../../spec/types.js';
import { oneLine } from './plain-text.js';

/**
 * The spec's reserved fields, in the order RFC 8493 §2.2.2 lists them, each only when given
 * and not empty once cleaned. Values are folded to one line: RFC 8493 allows a value to continue
 * on indented lines, but a reader that does not join them would see a truncated value, and a
 * line break that is not followed by white space would start a forged field; one line reads the
 * same everywhere (§2.2.2 only RECOMMENDS lines under 79 characters). The schema already refuses
 * line breaks in `archive.bag_info`; `description` is free text, folded here.
 */
export function bagInfoFields(
  spec: Pick<ResolvedJobSpec, 'description' | 'archive'>,
): [label: string, value: string][] {
  const info = spec.archive.bag_info ?? {};
  const fields: [string, string | undefined][] = [
    ['Source-Organization', info.source_organization],
    ['Contact-Name', info.contact_name],
    ['Contact-Email', info.contact_email],
    ['External-Description', spec.description],
    ['Bag-Group-Identifier', info.bag_group_identifier],
  ];
  const out: [string, string][] = [];
  for (const [label, value] of fields) {
    const flat = value === undefined ? '' : oneLine(value);
    if (flat !== '') out.push([label, flat]);
  }
  return out;
}
