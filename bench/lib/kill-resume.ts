/**
 * Kill an export half way and resume it, as an operator's restart would: the exporter (in a child)
 * talks to the sandbox through a recording proxy; once the proxy has seen `killAt` requests the
 * child gets SIGKILL, and a new child starts on the same spec and state dir. Measured:
 * - `resumeS`: from the restart (the new child's spawn) to the first request the sandbox sees from
 *   it: process start-up, opening the state (journal replay) and preflight's first call;
 * - `refetched`: item contents (a 200 on an item route) the killed run had fetched that the
 *   resumed run requests again. Items fetched but not yet durable in the journal at the kill
 *   count too, so this is an upper bound on "staged items fetched twice".
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, proxiedJob, runExporter, type ProxiedJobOptions } from './exporter.js';
import type { RecordingProxy } from './recording-proxy.js';
import { info } from './run-bench.js';
import { routeOf } from './state-files.js';

/** Routes whose 200 is one item's content (listings and metadata are not items). */
export const ITEM_ROUTES: ReadonlySet<string> = new Set([
  '/apps/chats/{id}/messages',
  '/apps/chats/files/{id}/content',
  '/apps/chats/generated-files/{id}/content',
  '/apps/artifacts/{id}/content',
  '/apps/projects/{id}',
  '/apps/projects/documents/{id}',
  '/apps/code/artifacts/{id}/versions/{id}',
  '/apps/sessions/local/{id}/messages',
  '/apps/sessions/remote/{id}/messages',
]);

export interface KillResumeResult {
  readonly killedAfterRequests: number;
  readonly resumeS: number;
  /** From the restart to the first item content request of the resumed run. */
  readonly firstItemS: number | null;
  readonly refetched: number;
  /** Requests the resumed run sent (proxy count). */
  readonly resumedRequests: number;
  readonly totalRequests: number;
  readonly status: string;
}

function itemsFetched(proxy: RecordingProxy, label: string): Set<string> {
  const out = new Set<string>();
  for (const r of proxy.seen) {
    if (r.label === label && r.status === 200 && ITEM_ROUTES.has(routeOf(r.path))) out.add(r.path);
  }
  return out;
}

/** Record lines durable in a store's journal, by kind (what survived the kill). */
async function durableRecords(storeDir: string): Promise<Record<string, number>> {
  const text = await readFile(join(storeDir, 'journal.jsonl'), 'utf8').catch(() => '');
  const byKind: Record<string, number> = {};
  for (const m of text.matchAll(/^\{"type":"record","kind":"([a-z_]+)"/gmu)) {
    const kind = m[1] ?? '?';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return byKind;
}

/** `{route: count}` for the given paths, largest first. */
function byRoute(paths: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const p of paths) counts.set(routeOf(p), (counts.get(routeOf(p)) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([route, n]) => `${route} ${n}`)
    .join(', ');
}

export interface KillResumeOptions extends ProxiedJobOptions {
  /** SIGKILL once the sandbox has seen this many requests. */
  readonly killAt: number;
}

export async function killAndResume(options: KillResumeOptions): Promise<KillResumeResult> {
  const { proxy, job, child: common } = await proxiedJob(options);
  proxy.label = 'killed';
  const killed = await runExporter({
    ...common,
    onStart: (child) => {
      const poll = setInterval(() => {
        if (proxy.seen.length < options.killAt) return;
        clearInterval(poll);
        child.kill('SIGKILL');
      }, 5);
      child.once('exit', () => clearInterval(poll));
    },
  });
  if (killed.signal !== 'SIGKILL') {
    throw new Error(`kill-resume: the run ended (exit ${killed.code}) before ${options.killAt} requests`);
  }
  const killedAfter = proxy.seen.length;
  const before = itemsFetched(proxy, 'killed');
  info(
    `kill-resume: SIGKILL after ${killedAfter} requests (${before.size} items fetched: ${byRoute(before)}); ` +
      `records durable in the journal: ${JSON.stringify(await durableRecords(job.storeDir))}; restarting`,
  );

  proxy.label = 'resumed';
  const seenBefore = proxy.seen.length;
  const restartAt = Date.now();
  const resumed = finished(
    await runExporter({
      ...common,
      // Said as soon as it is known: the rest of the run (seal, verify) takes as long again.
      onStart: (child) => {
        const poll = setInterval(() => {
          const first = proxy.seen[seenBefore];
          if (first === undefined) return;
          clearInterval(poll);
          info(
            `kill-resume: the restart's first request at +${((first.at - restartAt) / 1000).toFixed(2)} s`,
          );
        }, 5);
        child.once('exit', () => clearInterval(poll));
      },
    }),
    'resumed run',
  );
  const mine = proxy.seen.slice(seenBefore);
  const first = mine[0];
  if (first === undefined) throw new Error('kill-resume: the resumed run sent no request');
  const firstItem = mine.find((r) => ITEM_ROUTES.has(routeOf(r.path)));
  const again = [...itemsFetched(proxy, 'resumed')].filter((p) => before.has(p));
  // Re-requests of any kind, not only 200s: a refetch costs a request whatever its answer.
  const reRequested = new Set(
    mine.filter((r) => ITEM_ROUTES.has(routeOf(r.path)) && before.has(r.path)).map((r) => r.path),
  );
  info(
    `kill-resume: resumed run ${resumed.status} (resumed=${resumed.resumed}, exit ${resumed.exitCode}) ` +
      `sent ${mine.length} requests; first at +${((first.at - restartAt) / 1000).toFixed(2)} s ` +
      `(${first.method} ${routeOf(first.path)}), first item at ` +
      `${firstItem === undefined ? '-' : `+${((firstItem.at - restartAt) / 1000).toFixed(2)} s`}; ` +
      `${reRequested.size} items fetched before the kill requested again (${again.length} fetched again)`,
  );
  if (reRequested.size > 0) info(`kill-resume: requested again: ${byRoute(reRequested)}`);
  if (resumed.exitCode !== 0) throw new Error(`kill-resume: the resumed run ended ${resumed.status}`);
  return {
    killedAfterRequests: killedAfter,
    resumeS: (first.at - restartAt) / 1000,
    firstItemS: firstItem === undefined ? null : (firstItem.at - restartAt) / 1000,
    refetched: reRequested.size,
    resumedRequests: mine.length,
    totalRequests: proxy.seen.length,
    status: resumed.status,
  };
}
