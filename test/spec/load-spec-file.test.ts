/**
 * `loadSpecFile` (used by validate, plan and run) reads a bounded amount of a regular file only:
 * /dev/zero never ends and a FIFO without a writer blocks, and neither may hang the tool or
 * fill memory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpecFile } from '../../src/spec/index.js';
import { ENV, MINIMAL, yaml } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'spec-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const diagnosticsOf = async (path: string): Promise<{ code: string; message: string }[]> => {
  try {
    await loadSpecFile(path, { env: ENV });
  } catch (e) {
    return (e as { diagnostics: { code: string; message: string }[] }).diagnostics;
  }
  throw new Error(`${path} loaded`);
};

describe('loadSpecFile reads bounded', () => {
  it('refuses /dev/zero as a character device without reading it', async () => {
    const d = await diagnosticsOf('/dev/zero');
    expect(d.map((x) => x.code)).toEqual(['file_unreadable']);
    expect(d[0]!.message).toContain('character device');
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = join(dir, 'job.fifo');
    execFileSync('mkfifo', [fifo]);
    const d = await diagnosticsOf(fifo);
    expect(d.map((x) => x.code)).toEqual(['file_unreadable']);
    expect(d[0]!.message).toContain('FIFO');
  });

  it('refuses a 2 MiB file as too large', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `${yaml(...MINIMAL)}#${'x'.repeat(2 * 1024 * 1024)}\n`);
    expect((await diagnosticsOf(big)).map((x) => x.code)).toEqual(['file_too_large']);
  });

  it('refuses a directory', async () => {
    const d = await diagnosticsOf(dir);
    expect(d).toMatchObject([{ code: 'file_unreadable', message: 'is a directory' }]);
  });

  it('still loads a normal spec, and one of exactly 1 MiB', async () => {
    const file = join(dir, 'job.yaml');
    writeFileSync(file, yaml(...MINIMAL));
    expect((await loadSpecFile(file, { env: ENV })).spec.name).toBe('t');
    const text = yaml(...MINIMAL);
    const full = join(dir, 'full.yaml');
    writeFileSync(full, `${text}#${'x'.repeat(1024 * 1024 - text.length - 2)}\n`);
    expect((await loadSpecFile(full, { env: ENV })).spec.name).toBe('t');
  });
});
