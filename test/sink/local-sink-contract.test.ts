/** The Sink contract over a local folder (a fresh temp dir per test). */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { LocalSink } from '../../src/sink/local-sink.js';
import { sinkContract, type SinkUnderTest } from './sink-contract.js';

describe('LocalSink contract', () => {
  sinkContract({ open, openUnreachable });
});

async function openUnreachable(): Promise<{ sink: LocalSink; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'local-sink-contract-'));
  await writeFile(join(dir, 'a-file'), 'not a folder');
  return {
    sink: new LocalSink(join(dir, 'a-file', 'exports')),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

async function open(): Promise<SinkUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'local-sink-contract-'));
  // The destination folder does not exist yet: the sink creates it.
  const sink = new LocalSink(join(dir, 'exports'));
  return {
    sink,
    list: async (ref) => {
      try {
        return (await readdir(join(sink.root, ref.name, ref.runId))).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    read: (location) => readFile(location),
    tamper: async (location, bytes) => {
      await rm(location);
      await writeFile(location, bytes);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
