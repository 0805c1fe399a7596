import { describe, expect, it } from 'vitest';
import { decodeRfc5987, fingerprintKey, parseContentDisposition, safeBaseName } from '../../src/api/index.js';
import { flattenQuery, redactQuery, serializeQuery } from '../../src/api/query.js';
import { rawArrayItems } from '../../src/api/raw-json.js';
import { createRedactor } from '../../src/api/redact.js';

describe('query serialization (§2)', () => {
  it('uses bracket arrays and dot ranges, in order, dropping undefined', () => {
    const pairs = flattenQuery({
      user_ids: ['user_a', 'user_b'],
      'organization_ids[]': ['org_1'],
      created_at: { gte: '2026-01-01T00:00:00+00:00', lt: undefined },
      limit: 10,
      order_by: undefined,
      empty: [],
    });
    expect(serializeQuery(pairs)).toBe(
      'user_ids[]=user_a&user_ids[]=user_b&organization_ids[]=org_1&created_at.gte=2026-01-01T00%3A00%3A00%2B00%3A00&limit=10',
    );
  });

  it('redacts secret-looking names and the key value wherever it appears', () => {
    const key = 'sk-ant-api01-abcdef';
    expect(
      redactQuery(
        [
          ['api_key', 'x'],
          ['q', `a${key}b`],
          ['page', 'tok'],
        ],
        createRedactor(key),
      ),
    ).toBe('api_key=%5BREDACTED%5D&q=a%5BREDACTED%5Db&page=tok');
  });
});

describe('createRedactor', () => {
  const key = 'sk-ant-api01-Ab3dEf6hIj9kLm2nOp5qRs8t-XyZ';
  const redact = createRedactor(key);

  it('masks the key, the key without its prefix, and its URL-encoded form', () => {
    expect(redact(`a ${key} b`)).toBe('a [REDACTED] b');
    expect(redact(`a ${key.slice(13)} b`)).toBe('a [REDACTED] b');
    expect(redact(encodeURIComponent(`x${key}`))).not.toContain('Ab3dEf6hIj9k');
  });

  it('masks any run of 12 or more characters of the key, and leaves shorter ones', () => {
    expect(redact(`id=${key.slice(15, 27)}!`)).toBe('id=[REDACTED]!');
    expect(redact(`x${key.slice(14, 40)}y${key.slice(2, 16)}`)).toBe('x[REDACTED]y[REDACTED]');
    expect(redact(`id=${key.slice(15, 26)}!`)).toBe(`id=${key.slice(15, 26)}!`);
    expect(redact('sk-ant-api01-other')).toBe('sk-ant-api01-other');
  });
});

describe('Content-Disposition', () => {
  it('decodes RFC 5987 filename* and prefers it over filename', () => {
    expect(parseContentDisposition("attachment; filename*=utf-8''report.pdf")).toBe('report.pdf');
    expect(
      parseContentDisposition(
        `attachment; filename="fallback.txt"; filename*=UTF-8'en'%E6%97%A5%E6%9C%AC.txt`,
      ),
    ).toBe('日本.txt');
    expect(parseContentDisposition('attachment; filename="a \\"q\\".txt"')).toBe('a "q".txt');
    expect(decodeRfc5987("iso-8859-1''%E9t%E9.txt")).toBe('été.txt');
    expect(decodeRfc5987("utf-8''%FF%FE")).toBeNull();
    expect(decodeRfc5987("utf-8''%zz")).toBeNull();
    expect(parseContentDisposition(undefined)).toBeNull();
  });

  it('makes untrusted names safe as one path segment', () => {
    expect(safeBaseName('../../etc/passwd')).toBe('passwd');
    expect(safeBaseName('C:\\x\\a:b.txt')).toBe('a_b.txt');
    expect(safeBaseName('.hidden')).toBeNull();
    expect(safeBaseName('-rf')).toBeNull();
    expect(safeBaseName('dir/')).toBeNull();
  });
});

describe('rawArrayItems', () => {
  it('returns the exact text of each element of the named top-level array', () => {
    const text =
      '{"x":{"data":[9]},"data":[ {"a":"]\\"[{"} , [1,{"b":2}], 3.50e1, "s", null ],"has_more":false}';
    expect(rawArrayItems(text, 'data')).toEqual(['{"a":"]\\"[{"}', '[1,{"b":2}]', '3.50e1', '"s"', 'null']);
    expect(rawArrayItems('{"data":[]}', 'data')).toEqual([]);
    expect(rawArrayItems('{"other":1}', 'data')).toBeNull();
  });

  it('takes the last of repeated keys, as JSON.parse does (the records kept are the records read)', () => {
    const text = '{"data":[{"id":"evil"}],"has_more":false,"data":[{"id":"good"},{"id":"two"}]}';
    const parsed = JSON.parse(text) as { data: { id: string }[] };
    expect(rawArrayItems(text, 'data')).toEqual(['{"id":"good"}', '{"id":"two"}']);
    expect(rawArrayItems(text, 'data')!.map((raw) => (JSON.parse(raw) as { id: string }).id)).toEqual(
      parsed.data.map((r) => r.id),
    );
    // The last `data` is not an array: there are no items to keep.
    expect(rawArrayItems('{"data":[1,2],"data":{"a":[3]}}', 'data')).toBeNull();
  });

  it('finds string ends past runs of backslashes, in random records spelled with random spacing', () => {
    // Deterministic pseudo-random records whose strings hold and end in runs of backslashes and
    // quotes: a quote after an even run of backslashes ends the string, after an odd run it does not.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const pieces = ['\\', '"', '\\"', 'x', ']', '}', ',', '{', 'é', '\u0000', '\n'];
    // Raw characters: backslashes, quotes, brackets, a NUL and a newline, which JSON escapes.
    const str = (): string => Array.from({ length: next(6) }, () => pieces[next(pieces.length)]!).join('');
    const value = (depth: number): unknown => {
      const k = next(depth > 2 ? 3 : 5);
      if (k === 0) return str();
      if (k === 1) return next(1000) / 8;
      if (k === 2) return [null, true, false][next(3)];
      if (k === 3) return Array.from({ length: next(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: next(4) }, () => [str(), value(depth + 1)]));
    };
    const space = (): string => [' ', '', '\n', '\t '][next(4)]!;
    for (let round = 0; round < 300; round += 1) {
      const items = Array.from({ length: next(5) }, () => value(0));
      const spelled = items.map((v) => JSON.stringify(v, null, next(2) === 0 ? undefined : 1));
      const text = `{${space()}"pre":${JSON.stringify(str())},"data":${space()}[${spelled.map((t) => `${space()}${t}${space()}`).join(',')}]${space()},"has_more":false}`;
      expect(rawArrayItems(text, 'data')).toEqual(spelled);
    }
  });
});

describe('fingerprintKey', () => {
  it('is the first 12 hex of SHA-256 and does not contain the key', () => {
    expect(fingerprintKey('sk-ant-api01-abc')).toMatch(/^[0-9a-f]{12}$/);
    expect(fingerprintKey('sk-ant-api01-abc')).toBe('d210180ced71');
    expect(fingerprintKey('a')).not.toBe(fingerprintKey('b'));
  });
});
