/**
 * Private data stays private whatever the umask: real runs in child processes with umask 022 and
 * 000; every folder and file under the state folder and the local destination is walked and its
 * mode asserted (state 0700/0600 always; the destination 0700/0600 by default, or what
 * `destination.file_mode` asks for, with the matching x bits on folders).
 */
import { lstat, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, specVariant } from './cli-process.js';
import { harness, type Harness } from './helpers.js';

/** Every folder (including `root`) and file under `root`, as relative path → mode bits. */
async function modes(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path);
    out.set(relative(root, path) || '.', st.mode & 0o7777);
    if (st.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(root);
  return out;
}

/** The entries whose mode is not the one expected for their type. */
function wrongModes(
  found: Map<string, number>,
  expected: { dir: number; file: number },
  dirs: ReadonlySet<string>,
): string[] {
  return [...found]
    .filter(([path, mode]) => mode !== (dirs.has(path) ? expected.dir : expected.file))
    .map(([path, mode]) => `${path} ${mode.toString(8)}`);
}

async function folders(root: string): Promise<Set<string>> {
  const out = new Set<string>();
  const walk = async (path: string): Promise<void> => {
    if (!(await lstat(path)).isDirectory()) return;
    out.add(relative(root, path) || '.');
    for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(root);
  return out;
}

describe('file modes of the state folder and a local destination', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ include: ['directory', 'chats'], extra: 'state:\n  retain: all\n' });
  });
  afterAll(async () => {
    await h?.close();
  });

  const cases = [
    { umask: '022', fileMode: undefined, dest: { dir: 0o700, file: 0o600 } },
    { umask: '000', fileMode: undefined, dest: { dir: 0o700, file: 0o600 } },
    { umask: '000', fileMode: '0640', dest: { dir: 0o750, file: 0o640 } },
    { umask: '077', fileMode: '0644', dest: { dir: 0o755, file: 0o644 } },
    // A umask that takes the owner's write bit: every file is still written, and still 0600.
    { umask: '277', fileMode: undefined, dest: { dir: 0o700, file: 0o600 } },
  ] as const;

  it('are exact whatever the umask: state 0700/0600, destination per file_mode (default 0600)', async () => {
    const runs = await Promise.all(
      cases.map(async (c, i) => {
        const out = join(h.dir, `out-${i}`, 'drop');
        const state = join(h.dir, `state-${i}`);
        const spec = await specVariant(h, `modes-${i}`, out, c.fileMode);
        const child = spawnCli(['run', spec, '--state-dir', state, '--progress', 'off'], {
          env: h.env,
          umask: c.umask,
        });
        return { c, out, state, exited: await child.exited };
      }),
    );
    for (const { c, out, state, exited } of runs) {
      expect(exited.code, exited.stderr).toBe(0);
      const stateModes = await modes(state);
      // The walk covers what matters: the lock is gone, everything else the run wrote is there.
      for (const name of ['state.json', 'journal.jsonl', 'requests.jsonl', 'custody.jsonl', 'blobs', 'tmp'])
        expect(stateModes.has(join('test-job', name)), name).toBe(true);
      expect([...stateModes.keys()].some((p) => p.startsWith(join('test-job', 'reports', '')))).toBe(true);
      expect(
        [...stateModes.keys()].filter((p) => p.startsWith(join('test-job', 'blobs', ''))).length,
      ).toBeGreaterThan(60);
      expect(wrongModes(stateModes, { dir: 0o700, file: 0o600 }, await folders(state))).toEqual([]);

      const destModes = await modes(out);
      const files = [...destModes.keys()].map((p) => p.split('/').pop()!);
      expect(
        files.filter((f) => /\.zip$|\.zip\.sha256$|^summary\.json$|^custody\.jsonl$/u.test(f)),
      ).toHaveLength(4);
      expect(wrongModes(destModes, c.dest, await folders(out))).toEqual([]);
    }
  }, 120_000);
});
