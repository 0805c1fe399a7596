/**
 * The state folder's lock, with real processes: a live holder's lock is refused (naming its pid,
 * host and path), a dead holder's is taken over, and when several processes find the same dead
 * holder's lock at once exactly one of them ends up holding it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateLock } from '../../src/store/lock.js';

const CONTENDER = fileURLToPath(new URL('./fixtures/lock-contender.ts', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lock-'));
});
afterEach(async () => {
  await writeFile(join(dir, 'release'), '').catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

interface Contender {
  readonly child: ChildProcess;
  /** Resolves with the first line after "ready": "took" or an error code. */
  readonly outcome: Promise<string>;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

function contender(lock: string, barrier: string): Contender {
  const child = spawn(process.execPath, ['--import', 'tsx', CONTENDER, lock, barrier, join(dir, 'release')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let onReady = (): void => undefined;
  let onOutcome = (_: string): void => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  const outcome = new Promise<string>((r) => (onOutcome = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    if (lines.length > 1) onReady();
    if (lines.length > 2) onOutcome(lines[1]!);
  });
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  return { child, outcome, ready, exited };
}

describe('state lock', () => {
  it('refuses a live holder, naming its pid, host and the lock path', async () => {
    const lock = join(dir, 'lock');
    await writeFile(join(dir, 'go'), '');
    const holder = contender(lock, join(dir, 'go'));
    expect(await holder.outcome).toBe('took');
    const err = await StateLock.take(lock).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'state_locked' });
    expect((err as Error).message).toContain(`${lock}:`);
    expect((err as Error).message).toContain(`(pid ${holder.child.pid} on host ${hostname()})`);
    await writeFile(join(dir, 'release'), '');
    await holder.exited;
    await expect(access(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a lock taken on another host, whose holder cannot be checked from here', async () => {
    const lock = join(dir, 'lock');
    await writeFile(lock, JSON.stringify({ pid: 1, host: 'other-host.example', token: 'f00d' }));
    await expect(StateLock.take(lock)).rejects.toMatchObject({ code: 'state_locked' });
  });

  it('refuses a second take in the same process, and release leaves a lock that is not ours', async () => {
    const lock = join(dir, 'lock');
    const first = await StateLock.take(lock);
    await expect(StateLock.take(lock)).rejects.toMatchObject({ code: 'state_locked' });
    await first.release();
    await writeFile(lock, 'not ours');
    const second = await StateLock.take(lock); // unreadable: nobody can be holding it
    await writeFile(lock, 'replaced by hand');
    await second.release();
    expect(await readFile(lock, 'utf8')).toBe('replaced by hand');
  });

  it('gives a SIGKILLed holder’s lock to exactly one of six processes that find it at once', async () => {
    const lock = join(dir, 'lock');
    await writeFile(join(dir, 'go-first'), '');
    const killed = contender(lock, join(dir, 'go-first'));
    expect(await killed.outcome).toBe('took');
    killed.child.kill('SIGKILL');
    await killed.exited;
    const stale = JSON.parse(await readFile(lock, 'utf8')) as { pid: number };
    expect(stale.pid).toBe(killed.child.pid);

    const barrier = join(dir, 'go');
    const racers = [0, 1, 2, 3, 4, 5].map(() => contender(lock, barrier));
    await Promise.all(racers.map((r) => r.ready));
    await writeFile(barrier, '');
    const outcomes = await Promise.all(racers.map((r) => r.outcome));
    expect(outcomes.filter((o) => o === 'took')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'state_locked')).toHaveLength(5);
    const holder = racers[outcomes.indexOf('took')]!;
    const held = JSON.parse(await readFile(lock, 'utf8')) as { pid: number };
    expect(held.pid).toBe(holder.child.pid);
    await writeFile(join(dir, 'release'), '');
    await Promise.all(racers.map((r) => r.exited));
  });
});
