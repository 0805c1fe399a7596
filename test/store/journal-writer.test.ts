import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalWriter, journalLines } from '../../src/store/journal.js';
import { runUnderFileSizeLimit } from './fixtures/size-limited-child.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('journal writer on a disk slower than the appends', () => {
  it('writes every line appended during a slow write in one following write, in append order', async () => {
    const path = join(dir, 'journal.jsonl');
    // The first write's pre-sync step (the blob folders' fsync in the store) blocks until released.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    const writer = await JournalWriter.open(path, {
      batchLines: 10,
      batchMs: 60_000,
      beforeSync: async () => {
        writes += 1;
        if (writes === 1) await gate;
      },
    });
    const offsets: number[] = [];
    for (let i = 0; i < 10; i += 1) offsets.push(writer.append({ n: i }).offset);
    await new Promise((r) => setImmediate(r)); // the first batch's write has started and is stuck
    expect(writes).toBe(1);
    for (let i = 10; i < 1000; i += 1) offsets.push(writer.append({ n: i }).offset);
    // 100 batches' worth appended while the first write is stuck: they wait as ONE buffer, not
    // as 99 queued writes each holding its own lines.
    release();
    await writer.flush();
    expect(writes).toBe(2);
    await writer.close();

    const lines: { offset: number; value: unknown }[] = [];
    for await (const l of journalLines(path)) lines.push({ offset: l.offset, value: l.value });
    expect(lines.map((l) => (l.value as { n: number }).n)).toEqual([...Array(1000).keys()]);
    expect(lines.map((l) => l.offset)).toEqual(offsets);
    expect((await readFile(path, 'utf8')).endsWith('{"n":999}\n')).toBe(true);
  });

  it('resolves a flush only once the lines appended before it are on disk', async () => {
    const path = join(dir, 'journal.jsonl');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const writer = await JournalWriter.open(path, {
      batchLines: 2,
      batchMs: 60_000,
      beforeSync: async () => {
        calls += 1;
        if (calls === 1) await gate;
      },
    });
    writer.append({ a: 1 });
    writer.append({ a: 2 }); // a full batch: write 1 starts (and blocks)
    await new Promise((r) => setImmediate(r));
    writer.append({ a: 3 });
    let done = false;
    const flushed = writer.flush().then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    release();
    await flushed;
    expect(await readFile(path, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    await writer.close();
  });
});

describe('journal writer backpressure', () => {
  it('ready() waits for the write while the buffered lines are over the high-water mark', async () => {
    const path = join(dir, 'journal.jsonl');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    const writer = await JournalWriter.open(path, {
      batchLines: 1000,
      batchMs: 60_000,
      highWaterBytes: 100,
      beforeSync: async () => {
        writes += 1;
        if (writes === 1) await gate;
      },
    });
    writer.append({ small: 1 });
    await writer.ready(); // 12 bytes buffered: under the mark, no wait
    expect(writes).toBe(0);
    for (let i = 0; i < 10; i += 1) writer.append({ line: 'x'.repeat(20), i });
    let ready = false;
    const waiting = writer.ready().then(() => (ready = true));
    await new Promise((r) => setImmediate(r));
    expect(writes).toBe(1); // over the mark: a write started, and the caller waits for it
    expect(ready).toBe(false);
    release();
    await waiting;
    expect((await readFile(path, 'utf8')).split('\n').length).toBe(12);
    await writer.close();
  });

  it('ready() waits while the lines not yet durable reach maxPendingLines, counting those being written', async () => {
    const path = join(dir, 'journal.jsonl');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    const writer = await JournalWriter.open(path, {
      batchLines: 5,
      batchMs: 60_000,
      maxPendingLines: 8,
      beforeSync: async () => {
        writes += 1;
        if (writes === 1) await gate;
      },
    });
    for (let i = 0; i < 5; i += 1) writer.append({ i }); // a batch: its write starts and is stuck
    await new Promise((r) => setImmediate(r));
    expect(writes).toBe(1);
    writer.append({ i: 5 });
    writer.append({ i: 6 });
    await writer.ready(); // 5 being written + 2 buffered = 7 pending: under 8, no wait
    writer.append({ i: 7 });
    let ready = false;
    const waiting = writer.ready().then(() => (ready = true)); // 8 pending: waits for all of them
    await new Promise((r) => setImmediate(r));
    expect(ready).toBe(false);
    release();
    await waiting;
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await writer.close();
  });
});

describe('journal writer: what is in the file', () => {
  it('written counts the lines in the file, not those buffered or in a write still under way', async () => {
    const path = join(dir, 'journal.jsonl');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writer = await JournalWriter.open(path, {
      batchLines: 1000,
      batchMs: 60_000,
      beforeSync: () => gate,
    });
    const a = writer.append({ a: 1 });
    expect(writer.written).toBe(0);
    const flushed = writer.flush(); // held before its write
    await new Promise((r) => setImmediate(r));
    const b = writer.append({ b: 2 });
    expect(writer.written).toBe(0);
    release();
    await flushed;
    expect(writer.written).toBe(a.length + 1); // the first line only: b is still buffered
    expect(writer.size).toBe(b.offset + b.length + 1);
    await writer.flush();
    expect(writer.written).toBe(writer.size);
    await writer.close();

    const reopened = await JournalWriter.open(path);
    expect(reopened.written).toBe(b.offset + b.length + 1);
    await reopened.close();
  });
});

describe('journal writer on a full file system', () => {
  it('a short write fails the writer: the lines are not counted as written', async () => {
    // A real short write: a child process under a file size limit of 1-2 KiB (ulimit -f) writes
    // 4.7 KB of lines in one write; the kernel takes what fits and reports the count.
    const path = join(dir, 'journal.jsonl');
    const stdout = await runUnderFileSizeLimit('short-write.ts', path);
    const result = JSON.parse(stdout) as { flush: string; written: number; size: number };
    const onDisk = (await stat(path)).size;
    expect(onDisk).toBeGreaterThan(0);
    expect(onDisk).toBeLessThan(result.size);
    expect(result.flush).toBe('store_corrupt');
    expect(result.written).toBe(0);
  });
});
