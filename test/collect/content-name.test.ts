import { describe, expect, it } from 'vitest';
import { contentName } from '../../src/collect/kinds/chat-attachments.js';

describe('contentName', () => {
  it('never lets a file take the metadata file name, in any case', () => {
    expect(
      ['metadata.json', 'METADATA.JSON', 'Metadata.Json', 'metadata.j\u017Fon', 'report.pdf', null].map((n) =>
        contentName(n, 'id'),
      ),
    ).toEqual([
      '_metadata.json',
      '_METADATA.JSON',
      '_Metadata.Json',
      '_metadata.j\u017Fon',
      'report.pdf',
      'id',
    ]);
  });
});
