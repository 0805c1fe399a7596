/**
 * bagInfoFields: the reserved fields from the spec, in RFC 8493 order, each folded to one line so
 * a description cannot forge a second field when the sealer writes bag-info.txt.
 */
import { describe, expect, it } from 'vitest';
import { renderBagInfo } from '../../../src/archive/bag-text.js';
import { bagInfoFields } from '../../../src/produce/people/bag-info-fields.js';
import type { ResolvedArchive } from '../../../src/spec/types.js';

const ARCHIVE: ResolvedArchive = {
  compression: 'auto',
  max_part_size: '64MiB',
  max_part_size_bytes: 64 * 1024 ** 2,
};

/** bag-info.txt as the sealer writes it, parsed the way bagit-python does (label: value lines). */
function sealedLabels(extra: [string, string][]): string[] {
  const text = renderBagInfo({
    name: 'acme-v-globex-hold',
    asOfCut: '2026-11-22T10:13:00Z',
    payloadBytes: 10,
    payloadFiles: 1,
    toolAgent: 'compliance-export 0.1.0',
    extra,
  });
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.slice(0, l.indexOf(':')));
}

describe('bagInfoFields', () => {
  it('gives every field given, in RFC 8493 order', () => {
    const fields = bagInfoFields({
      description: 'Preservation for the hold.',
      archive: {
        ...ARCHIVE,
        bag_info: {
          bag_group_identifier: 'ACME-PROD-001',
          contact_email: 'legal-ops@acme.example',
          contact_name: 'J. Rivera',
          source_organization: 'Acme Corp., Legal',
        },
      },
    });
    expect(fields).toEqual([
      ['Source-Organization', 'Acme Corp., Legal'],
      ['Contact-Name', 'J. Rivera'],
      ['Contact-Email', 'legal-ops@acme.example'],
      ['External-Description', 'Preservation for the hold.'],
      ['Bag-Group-Identifier', 'ACME-PROD-001'],
    ]);
  });

  it('leaves out what is not given, or empty once cleaned', () => {
    expect(bagInfoFields({ archive: ARCHIVE })).toEqual([]);
    expect(bagInfoFields({ description: ' \n\t ', archive: ARCHIVE })).toEqual([]);
    expect(bagInfoFields({ archive: { ...ARCHIVE, bag_info: { contact_name: 'J. Rivera' } } })).toEqual([
      ['Contact-Name', 'J. Rivera'],
    ]);
  });

  it('folds a multi-line description (YAML block, CRLF, tabs, U+2028) into one clean line', () => {
    const [field] = bagInfoFields({
      description:
        'Preservation of the data\r\nof three custodians.\n\n\tRequested by Legal\u2028(J. Rivera)\u202e.\n',
      archive: ARCHIVE,
    });
    expect(field).toEqual([
      'External-Description',
      'Preservation of the data of three custodians. Requested by Legal (J. Rivera).',
    ]);
  });

  it('a description cannot forge a field: the sealed bag-info.txt has each label once', () => {
    const fields = bagInfoFields({
      description: 'Harmless\nContact-Name: Mallory\rPayload-Oxum: 1.1\n  continued',
      archive: { ...ARCHIVE, bag_info: { contact_name: 'J. Rivera' } },
    });
    expect(sealedLabels(fields)).toEqual([
      'Bag-Software-Agent',
      'Bagging-Date',
      'Bag-Size',
      'External-Identifier',
      'Payload-Oxum',
      'Contact-Name',
      'External-Description',
    ]);
    expect(fields[1]).toEqual([
      'External-Description',
      'Harmless Contact-Name: Mallory Payload-Oxum: 1.1 continued',
    ]);
  });
});
