/**
 * Sandbox benchmark (issue 3 §7). One run prints:
 *   sandbox_rps=<n>                       requests/s served, limits and latency off (small profile)
 *   sandbox_rss_mb_small=<n> sandbox_rss_mb_large=<n>   peak RSS of the server process per profile
 * plus, as extra lines, the large profile's build time and request rate. Each sandbox runs in its
 * own child process so the load generator's memory and CPU are not counted against it.
 * Target: sandbox_rps >= 2000 on 2 cores. BENCH_SECONDS (default 5) sets the load duration.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { Pool } from 'undici';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 32;

interface Child {
  proc: ChildProcessWithoutNullStreams;
  lines: Interface;
  next(): Promise<string>;
}

function startChild(profile: string): Child {
  const proc = spawn(process.execPath, [
    '--import',
    'tsx',
    new URL('./sandbox-server.ts', import.meta.url).pathname,
    profile,
  ]);
  proc.stderr.pipe(process.stderr);
  const lines = createInterface({ input: proc.stdout });
  const queue: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  lines.on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else queue.push(l);
  });
  return {
    proc,
    lines,
    next: () =>
      new Promise((resolve) => (queue.length > 0 ? resolve(queue.shift()!) : waiters.push(resolve))),
  };
}

async function rss(child: Child): Promise<number> {
  child.proc.stdin.write('rss\n');
  return (JSON.parse(await child.next()) as { rssMb: number }).rssMb;
}

/** Closed-loop load: CONNECTIONS workers over a mix of list, detail and download requests. */
async function load(baseUrl: string, key: string, seconds: number): Promise<number> {
  const pool = new Pool(baseUrl, { connections: CONNECTIONS, pipelining: 1 });
  const headers = { 'x-api-key': key };
  const getJson = async (path: string): Promise<{ data: { id: string; uuid: string }[] }> => {
    const r = await pool.request({ path, method: 'GET', headers });
    return (await r.body.json()) as { data: { id: string; uuid: string }[] };
  };
  const chats = (await getJson('/v1/compliance/apps/chats?limit=200')).data.map((c) => c.id);
  const org = (await getJson('/v1/compliance/organizations')).data[0]!.uuid;
  const paths = [
    '/v1/compliance/organizations',
    `/v1/compliance/organizations/${org}/users?limit=50`,
    '/v1/compliance/apps/chats?limit=100',
    '/v1/compliance/activities?limit=100',
    '/v1/compliance/apps/projects',
    '/v1/compliance/apps/code/artifacts',
    ...chats.slice(0, 50).map((id) => `/v1/compliance/apps/chats/${id}/messages`),
  ];
  // Warm-up: JIT, message LRU and digest caches, so the measured window is steady state.
  for (const path of paths) await (await pool.request({ path, method: 'GET', headers })).body.dump();
  let done = 0;
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, w) => {
      let i = w;
      while (Date.now() < end) {
        const path = paths[i++ % paths.length]!;
        const r = await pool.request({ path, method: 'GET', headers });
        await r.body.dump();
        if (r.statusCode === 200) done++;
        else errors++;
      }
    }),
  );
  const rps = done / ((performance.now() - t0) / 1000);
  await pool.close();
  if (errors > 0) process.stderr.write(`bench: ${errors} non-200 responses\n`);
  return Math.round(rps);
}

async function run(
  profile: string,
  seconds: number,
): Promise<{ rps: number; rssMb: number; buildMs: number }> {
  const child = startChild(profile);
  try {
    const ready = JSON.parse(await child.next()) as { baseUrl: string; key: string; buildMs: number };
    const rps = await load(ready.baseUrl, ready.key, seconds);
    // Touch many chats (regenerated on demand) and some file bytes before reading memory.
    return { rps, rssMb: await rss(child), buildMs: ready.buildMs };
  } finally {
    child.proc.stdin.end();
    await new Promise((resolve) => child.proc.once('exit', resolve));
  }
}

const small = await run('small', SECONDS);
const large = await run('large', Math.max(2, Math.round(SECONDS / 2)));
process.stdout.write(`sandbox_rps=${small.rps}\n`);
process.stdout.write(`sandbox_rss_mb_small=${small.rssMb} sandbox_rss_mb_large=${large.rssMb}\n`);
process.stdout.write(`sandbox_rps_large=${large.rps} sandbox_build_ms_large=${large.buildMs}\n`);
// Figures are only meaningful on an otherwise idle machine: say how busy it was.
process.stderr.write(
  `bench: load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}\n`,
);
