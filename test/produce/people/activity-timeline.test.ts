/**
 * countActivities over jsonLines: lines split anywhere across chunks (inside a UTF-8 character
 * too), UTC days, hostile rows counted as undated, and memory bounded by caps on types and lines.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countActivities, jsonLines, OTHER_TYPES } from '../../../src/produce/people/activity-timeline.js';

/** The bytes of `text` in chunks of `size` bytes (cutting through multi-byte characters). */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

const line = (type: unknown, createdAt: unknown): string =>
  JSON.stringify({ id: 'activity_x', type, created_at: createdAt });

describe('jsonLines', () => {
  it('yields the same lines whatever the chunking, LF or CRLF, skipping empty lines', async () => {
    const text = `${line('é_type', '2026-03-01T00:00:00Z')}\r\n\n${line('b', '2026-03-02T00:00:00Z')}\n${line('c', null)}`;
    const expected = [
      line('é_type', '2026-03-01T00:00:00Z'),
      line('b', '2026-03-02T00:00:00Z'),
      line('c', null),
    ];
    for (const size of [1, 2, 3, 7, 64, 4096]) {
      const got: (string | undefined)[] = [];
      for await (const l of jsonLines(chunked(text, size))) got.push(l);
      expect([size, got]).toEqual([size, expected]);
    }
  });

  it('yields undefined for a line over 8 MiB and goes on with the next', async () => {
    const huge = `{"type":"x","pad":"${'a'.repeat(8 * 1024 * 1024)}"}`;
    const got: (string | undefined)[] = [];
    for await (const l of jsonLines(chunked(`${huge}\n${line('ok', '2026-03-01T00:00:00Z')}\n`, 1 << 20)))
      got.push(l);
    expect(got).toEqual([undefined, line('ok', '2026-03-01T00:00:00Z')]);
  });
});

describe('countActivities', () => {
  it('counts per UTC day and type, most frequent type first', async () => {
    const rows = [
      line('claude_chat_created', '2026-03-01T09:00:00Z'),
      line('claude_chat_created', '2026-03-01T23:59:59Z'),
      // 23:30 at -01:00 is 00:30 UTC the next day.
      line('claude_file_uploaded', '2026-03-01T23:30:00-01:00'),
      { id: 'activity_obj', type: 'claude_chat_viewed', created_at: '2026-03-02T12:00:00Z' },
    ];
    const t = await countActivities(rows);
    expect(t.total).toBe(4);
    expect(t.undated).toBe(0);
    expect(t.days).toEqual([
      { day: '2026-03-01', total: 2, byType: [{ type: 'claude_chat_created', count: 2 }] },
      {
        day: '2026-03-02',
        total: 2,
        byType: [
          { type: 'claude_chat_viewed', count: 1 },
          { type: 'claude_file_uploaded', count: 1 },
        ],
      },
    ]);
    expect(t.types).toEqual([
      { type: 'claude_chat_created', count: 2 },
      { type: 'claude_chat_viewed', count: 1 },
      { type: 'claude_file_uploaded', count: 1 },
    ]);
  });

  it('counts hostile rows as undated instead of failing', async () => {
    const rows: unknown[] = [
      'not json',
      '[1,2]',
      'null',
      undefined,
      line('x', 'yesterday'),
      line('x', 12345),
      line('x', '0001-01-01T00:00:00Z'),
      line('x', '9999-12-31T00:00:00Z'),
      line(42, '2026-03-01T00:00:00Z'),
      { type: '__proto__', created_at: '2026-03-01T00:00:00Z' },
    ];
    const t = await countActivities(rows);
    expect(t.total).toBe(10);
    expect(t.undated).toBe(8);
    expect(t.days).toEqual([
      {
        day: '2026-03-01',
        total: 2,
        byType: [
          { type: '(no type)', count: 1 },
          { type: '__proto__', count: 1 },
        ],
      },
    ]);
  });

  it('keeps at most 1000 type names; the rest count under one bucket', async () => {
    async function* rows(): AsyncGenerator<string> {
      for (let i = 0; i < 1500; i += 1)
        yield line(`type_${String(i).padStart(4, '0')}`, '2026-03-01T00:00:00Z');
    }
    const t = await countActivities(rows());
    expect(t.total).toBe(1500);
    expect(t.types).toHaveLength(1001);
    expect(t.types[0]).toEqual({ type: OTHER_TYPES, count: 500 });
    expect(t.days[0]!.total).toBe(1500);
  });
});
