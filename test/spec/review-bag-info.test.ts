/**
 * `review.docid_prefix` and `archive.bag_info.*`: shape errors name the key (with a code and a
 * line), the DOCID prefix resolves from the job name when not given, and neither key changes the
 * hash of a spec that leaves it out.
 */
import { describe, expect, it } from 'vitest';
import { docidPrefixOf } from '../../src/spec/index.js';
import { describeInvalidCases, HEAD, type InvalidCase, load, LOCAL_DEST, MINIMAL, yaml } from './helpers.js';

const withArchive = (...lines: string[]): string =>
  yaml(...HEAD, 'scope: {}', 'archive:', '  bag_info:', ...lines, ...LOCAL_DEST);
const withReview = (...lines: string[]): string =>
  yaml(...HEAD, 'scope: {}', 'review:', ...lines, ...LOCAL_DEST);

const CASES: InvalidCase[] = [
  {
    name: 'lower-case prefix',
    text: withReview('  docid_prefix: acme'),
    code: 'docid_prefix',
    path: '/review/docid_prefix',
    line: 5,
  },
  {
    name: 'prefix of 21 characters',
    text: withReview(`  docid_prefix: ${'A'.repeat(21)}`),
    code: 'docid_prefix',
    path: '/review/docid_prefix',
    line: 5,
  },
  {
    name: 'prefix starting with a hyphen',
    text: withReview('  docid_prefix: "-ACME"'),
    code: 'docid_prefix',
    path: '/review/docid_prefix',
    line: 5,
  },
  {
    name: 'prefix with a space',
    text: withReview('  docid_prefix: "AC ME"'),
    code: 'docid_prefix',
    path: '/review/docid_prefix',
    line: 5,
  },
  {
    name: 'prefix as a number',
    text: withReview('  docid_prefix: 123'),
    code: 'type',
    path: '/review/docid_prefix',
    line: 5,
  },
  {
    name: 'unknown key under review',
    text: withReview('  docid_prefx: ACME'),
    code: 'unknown_key',
    path: '/review/docid_prefx',
    line: 5,
    suggestion: 'docid_prefix',
  },
  {
    name: 'contact email that is not an email',
    text: withArchive('    contact_email: legal at acme'),
    code: 'email',
    path: '/archive/bag_info/contact_email',
    line: 6,
  },
  {
    name: 'contact email smuggling a second bag-info line',
    text: withArchive('    contact_email: "a@acme.example\\r\\nContact-Name: Mallory"'),
    code: 'one_line',
    path: '/archive/bag_info/contact_email',
    line: 6,
  },
  {
    name: 'source organization with a line break',
    text: withArchive('    source_organization: "Acme\\nLegal"'),
    code: 'one_line',
    path: '/archive/bag_info/source_organization',
    line: 6,
  },
  {
    name: 'contact name with a tab',
    text: withArchive('    contact_name: "J.\\tRivera"'),
    code: 'one_line',
    path: '/archive/bag_info/contact_name',
    line: 6,
  },
  {
    name: 'group identifier with a Unicode line separator',
    text: withArchive('    bag_group_identifier: "VOL\\u2028001"'),
    code: 'one_line',
    path: '/archive/bag_info/bag_group_identifier',
    line: 6,
  },
  {
    name: 'empty contact name',
    text: withArchive('    contact_name: ""'),
    code: 'empty',
    path: '/archive/bag_info/contact_name',
    line: 6,
  },
  {
    name: 'source organization over 200 characters',
    text: withArchive(`    source_organization: ${'x'.repeat(201)}`),
    code: 'length',
    path: '/archive/bag_info/source_organization',
    line: 6,
  },
  {
    name: 'misspelt bag_info key',
    text: withArchive('    contact_mail: a@acme.example'),
    code: 'unknown_key',
    path: '/archive/bag_info/contact_mail',
    line: 6,
    suggestion: 'contact_email',
  },
  {
    name: 'bag_info at the top level',
    text: yaml(...HEAD, 'scope: {}', 'bag_info:', '  contact_name: J. Rivera', ...LOCAL_DEST),
    code: 'unknown_key',
    path: '/bag_info',
    line: 4,
  },
];

describeInvalidCases('invalid review and bag_info keys', CASES, 15);

describe('review.docid_prefix and archive.bag_info resolved', () => {
  it('keeps the given values, and docidPrefixOf returns the given prefix', () => {
    const { spec } = load(
      yaml(
        ...HEAD,
        'scope: {}',
        'review:',
        '  docid_prefix: ACME_2026-H',
        'archive:',
        '  bag_info:',
        '    source_organization: Acme Corp., Legal',
        '    contact_name: J. Rivera',
        '    contact_email: legal-ops@acme.example',
        '    bag_group_identifier: ACME-PROD-001',
        ...LOCAL_DEST,
      ),
    );
    expect(spec.review).toEqual({ docid_prefix: 'ACME_2026-H' });
    expect(spec.archive.bag_info).toEqual({
      source_organization: 'Acme Corp., Legal',
      contact_name: 'J. Rivera',
      contact_email: 'legal-ops@acme.example',
      bag_group_identifier: 'ACME-PROD-001',
    });
    expect(docidPrefixOf(spec)).toBe('ACME_2026-H');
  });

  it.each([
    ['demo', 'DEMO'],
    ['acme-v-globex-hold', 'ACME-V-GLOBEX-HOLD'],
    ['q3-2026-regulator-request', 'Q3-2026-REGULATOR-RE'],
    // Cut at 20 characters right after a hyphen: the hyphen goes too.
    ['abcdefghijklmnopqrs-xyz', 'ABCDEFGHIJKLMNOPQRS'],
    ['9', '9'],
  ])('defaults the prefix from the job name: %s → %s', (name, prefix) => {
    const { spec } = load(yaml('version: 1', `name: "${name}"`, 'scope: {}', ...LOCAL_DEST));
    expect(spec.review).toBeUndefined();
    expect(docidPrefixOf(spec)).toBe(prefix);
    expect(prefix).toMatch(/^[A-Z0-9][A-Z0-9_-]{0,19}$/);
  });

  it('replaces characters outside the prefix alphabet in a name built by hand', () => {
    expect(docidPrefixOf({ name: 'acme.v.globex' })).toBe('ACME_V_GLOBEX');
    expect(docidPrefixOf({ name: '.' })).toBe('DOC');
  });

  it('leaves a spec without the keys as it was: no review, no bag_info, the same hash', () => {
    const plain = load(yaml(...MINIMAL));
    expect(plain.canonicalJson).not.toContain('review');
    expect(plain.canonicalJson).not.toContain('bag_info');
    // Given, the prefix is part of the hash like any setting (even when it equals the default).
    const withPrefix = load(yaml(...MINIMAL, 'review:', '  docid_prefix: T'));
    expect(withPrefix.sha256).not.toBe(plain.sha256);
    expect(docidPrefixOf(withPrefix.spec)).toBe(docidPrefixOf(plain.spec));
  });
});
