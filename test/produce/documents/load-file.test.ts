/**
 * The Concordance load file's rows read back by an independent parser (csv-parse with þ as quote
 * and DC4 as delimiter): whatever a value holds, a row stays one row of the header's width.
 */
import { describe, expect, it } from 'vitest';
import type { ItemRow } from '../../../src/archive/report-rows.js';
import { LOAD_FILE_COLUMNS, loadFileHeader, loadFileRow } from '../../../src/produce/load-file.js';
import { parseDat } from './archive-reader.js';

const row = (originalName: string, id = 'claude_file_1'): ItemRow => ({
  docid: 'ACME-000001',
  parentDocid: '',
  kind: 'file',
  id,
  custodian: 'ann@example.com',
  custodianNote: null,
  originalName,
  nativePath: 'data/files/x/y.txt',
  textPath: '',
  recordPath: 'data/files/x/metadata.json',
  conversationId: '',
  sha256: 'a'.repeat(64),
  md5: 'b'.repeat(32),
  size: 12,
  sourceEndpoint: '/v1/x',
  records: null,
});

const read = (...rows: ItemRow[]) =>
  parseDat(Buffer.from(loadFileHeader() + rows.map(loadFileRow).join(''), 'utf8'));

describe('load file rows', () => {
  it('writes the header and every field þ-qualified, DC4-separated, CRLF-ended', () => {
    const text = loadFileHeader() + loadFileRow(row('a.txt'));
    expect(text.startsWith('\u00feDOCID\u00fe\u0014\u00fePARENT_DOCID\u00fe\u0014')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(3);
    expect(read(row('a.txt'))).toEqual([
      expect.objectContaining({
        DOCID: 'ACME-000001',
        FILENAME: 'a.txt',
        FILESIZE: '12',
        MD5HASH: 'b'.repeat(32),
      }),
    ]);
  });

  it('keeps a row whole when a value holds the qualifier, the separator, line breaks or controls', () => {
    const hostile = 'þ\u0014x\r\ny\nz\rw\u0000\u0007\ttab ®=1';
    const rows = read(row(hostile, 'id\u0014þ'), row('next'));
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => Object.keys(r).length)).toEqual([
      LOAD_FILE_COLUMNS.length,
      LOAD_FILE_COLUMNS.length,
    ]);
    expect(rows[0]!['FILENAME']).toBe('\ufffd\ufffdx\u00aey\u00aez\u00aew\ufffd\ufffd\ttab ®=1');
    expect(rows[0]!['SOURCE_ID']).toBe('id\ufffd\ufffd');
    expect(rows[1]!['FILENAME']).toBe('next');
  });
});
