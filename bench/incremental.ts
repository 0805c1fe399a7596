/**
 * Incremental snapshot benchmark: what a nightly delta costs against the full snapshot it builds
 * on, and whether the chain rebuilds the full archive byte for byte. The sandbox's medium profile
 * (seed 1), its rate limit off and the job budget at 100,000 rpm
 * (`allow_above_documented_limit`), every kind, to a local destination. Exporters run in child
 * processes; the sandbox in this one.
 *   (a) `snapshot: {mode: incremental}`, first run: no archive at the destination → full snapshot;
 *   (b) churn through the sandbox's live-mutation API: CHURN mutations (5 % of the profile's
 *       600 chats), mixed kinds; then a wait past `indexing_lag`, so the next cut is after them;
 *   (c) the same job with an EMPTY state folder (moved aside: a fresh container) → a delta whose
 *       base is found by listing the destination;
 *   (d) a plain export (no `snapshot` key, its own state folder and destination) of the same
 *       world: the sandbox's truth at (c)'s cut and at (d)'s is compared, and must be the same;
 *   (e) `compliance-export materialize <delta> --out DIR`, its `manifest-sha256.txt` compared
 *       with (d)'s;
 *   (f) `compliance-export verify <delta>` and `verify --chain <delta>` (verify_ok: both exit 0).
 * Prints one line:
 *   incremental_request_ratio full_requests incremental_requests delta_bytes full_bytes
 *   bytes_ratio materialized_identical deleted_since_previous snapshot_type verify_ok wall_s
 * Requests are the attempts in each run's request ledger (requests.jsonl: retries included).
 * wall_s is the whole bench. Targets: incremental_request_ratio <= 0.15, materialized_identical=1.
 * The incremental run's requests by route, and any manifest difference, go to stderr.
 * Env: BENCH_CONCURRENCY (default 16); BENCH_CHURN (`kind:n,…`, replaces the mix below).
 */
import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { openZip } from './lib/archive.js';
import { csvRows, runCli } from './lib/cli.js';
import { finished, runExporter } from './lib/exporter.js';
import { ALL_KINDS, writeJob, type BenchJob, type JobOptions } from './lib/job-spec.js';
import { info, runBench, tempDir } from './lib/run-bench.js';
import { hostSandbox, type HostedSandbox } from './lib/sandbox-host.js';
import { readCustody, readLedger, routeOf } from './lib/state-files.js';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const NAME = 'nightly';

/**
 * 30 mutations (5 % of medium's 600 chats), in this order. Soft deletes keep the chat (with
 * `deleted_at`); a hard delete takes it out of the listings (→ drift `deleted_since_previous`).
 */
const DEFAULT_CHURN: readonly [string, number][] = [
  ['new_message', 7],
  ['new_file', 5],
  ['new_chat', 5],
  ['soft_delete_chat', 3],
  ['hard_delete_chat', 2],
  ['move_chat_to_project', 2],
  ['new_code_artifact_version', 3],
  ['new_code_artifact', 1],
  ['new_session_message', 2],
];

/** `BENCH_CHURN=new_message:20,new_chat:10` replaces the mix (to isolate what a kind does). */
const CHURN: readonly [string, number][] =
  process.env.BENCH_CHURN === undefined
    ? DEFAULT_CHURN
    : process.env.BENCH_CHURN.split(',').map((part) => {
        const [kind, n] = part.split(':');
        return [kind!, Number(n ?? 1)];
      });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function countBy<T>(items: readonly T[], key: (t: T) => string): [string, number][] {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return [...out].sort((a, b) => b[1] - a[1]);
}

async function mutate(sandbox: HostedSandbox, kind: string): Promise<{ kind: string; id: string }[]> {
  const res = await fetch(`${sandbox.baseUrl}/_sandbox/mutate?kind=${kind}`, { method: 'POST' });
  if (!res.ok) throw new Error(`mutate ${kind}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as { kind: string; id: string }[];
}

/** One export in a child; its result, its attempts and its archive's path. */
async function exportOnce(job: BenchJob, sandbox: HostedSandbox, what: string) {
  const run = finished(
    await runExporter({ specPath: job.specPath, apiKey: sandbox.fullKey, timeoutMs: 20 * 60_000 }),
    what,
  );
  if (run.exitCode !== 0 || run.archive === null)
    throw new Error(`${what}: exit ${run.exitCode} (${run.status}), archive ${run.archive?.location ?? '-'}`);
  const ledger = await readLedger(job.storeDir);
  const snapshot = (await readCustody(job.storeDir)).filter((e) => e.event === 'snapshot');
  info(
    `${what}: status=${run.status} cut=${run.asOfCut} requests=${run.requests} (ledger ${ledger.length}) ` +
      `exceptions=${run.exceptions} drift=${run.drift} ${(run.archive.zipBytes / 1e6).toFixed(2)} MB ` +
      `${run.archive.payloadFiles} payload files, wall ${(run.report.wallMs / 1000).toFixed(1)} s` +
      (snapshot.length > 0 ? `; custody snapshot ${JSON.stringify(snapshot.map((e) => e.data))}` : ''),
  );
  return { run, ledger, zip: run.archive.location, cut: run.asOfCut! };
}

function bagInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) out.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

async function zipText(zipPath: string, path: string): Promise<string> {
  const zip = await openZip(zipPath);
  try {
    return await zip.text(path);
  } finally {
    await zip.close();
  }
}

/** path → sha256 of a `manifest-sha256.txt`. */
function manifestMap(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) +(.+)$/.exec(line);
    if (m !== null) out.set(m[2]!, m[1]!);
  }
  return out;
}

/** What differs between two manifests, on stderr (by top folder, first paths). */
function explainManifests(full: string, materialized: string): void {
  const a = manifestMap(full);
  const b = manifestMap(materialized);
  const onlyFull = [...a.keys()].filter((p) => !b.has(p));
  const onlyMat = [...b.keys()].filter((p) => !a.has(p));
  const differ = [...a.keys()].filter((p) => b.has(p) && b.get(p) !== a.get(p));
  info(
    `manifests differ: ${a.size} lines in the full export, ${b.size} materialized; only in full ${onlyFull.length}, ` +
      `only materialized ${onlyMat.length}, other hash ${differ.length}`,
  );
  const top = (p: string): string => p.split('/').slice(0, 3).join('/');
  for (const [label, paths] of [
    ['only in full', onlyFull],
    ['only materialized', onlyMat],
    ['other hash', differ],
  ] as const) {
    if (paths.length === 0) continue;
    info(
      `  ${label}: ${countBy(paths, top)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    for (const p of paths.slice(0, 8)) info(`    ${p}`);
  }
  if (onlyFull.length + onlyMat.length + differ.length === 0) info('  same lines, other order or bytes');
}

runBench('bench:incremental', 45 * 60_000, async () => {
  const started = Date.now();
  const sandbox = await hostSandbox({ profile: 'medium', seed: 1, rpm: 0 });
  const options: JobOptions = {
    baseUrl: sandbox.baseUrl,
    requestsPerMinute: 100_000,
    maxConcurrency: CONCURRENCY,
    include: ALL_KINDS,
    interval: '1s',
    maxPasses: 2,
    name: NAME,
  };
  const root = await tempDir('incremental');
  const series = await writeJob(join(root, 'series'), { ...options, snapshot: 'incremental' });

  // (a) The first snapshot: nothing at the destination yet, so a full one.
  const a = await exportOnce(series, sandbox, '(a) first snapshot');
  // A fresh container for the next run: same spec (same state_dir path), empty state folder.
  await rename(series.stateDir, `${series.stateDir}-a`);

  // (b) Churn.
  const changes = new Map<string, number>();
  for (const [kind, n] of CHURN)
    for (let i = 0; i < n; i += 1)
      for (const c of await mutate(sandbox, kind)) changes.set(c.kind, (changes.get(c.kind) ?? 0) + 1);
  info(
    `(b) churn: ${CHURN.map(([k, n]) => `${k}×${n}`).join(', ')} → changes ` +
      `${[...changes].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  );
  // The cut is the exporter's clock − indexing_lag (1 s): wait past it, so the cut is after them.
  await sleep(2500);

  // (c) The delta, from an empty state folder.
  const c = await exportOnce(series, sandbox, '(c) incremental snapshot');
  const deltaInfo = bagInfo(await zipText(c.zip, 'bag-info.txt'));
  const snapshotType = deltaInfo.get('Snapshot-Type') ?? '-';
  const previous = deltaInfo.get('Snapshot-Previous') ?? '-';
  info(`(c) bag-info: Snapshot-Type ${snapshotType}, Snapshot-Previous ${previous}`);
  info(`(c) attempts by route:`);
  for (const [route, n] of countBy(c.ledger, (e) => `${e.method} ${routeOf(e.path)}`))
    info(`  ${String(n).padStart(6)}  ${route}`);

  // (d) A plain full export of the same world.
  const full = await writeJob(join(root, 'full'), options);
  const d = await exportOnce(full, sandbox, '(d) full export');
  const strip = (t: object): string => JSON.stringify({ ...t, as_of: null });
  const sameWorld = strip(await sandbox.truth(c.cut)) === strip(await sandbox.truth(d.cut));
  info(`(d) sandbox truth at (c)'s cut ${c.cut} and (d)'s ${d.cut}: ${sameWorld ? 'the same' : 'DIFFERENT'}`);
  if (!sameWorld) throw new Error('the world changed between (c) and (d): the comparison would mean nothing');

  // (e) Materialize the delta; compare the payload manifests.
  const matDir = await tempDir('incremental-materialized');
  const mat = await runCli(['materialize', c.zip, '--out', matDir]);
  info(`(e) materialize: exit ${mat.code}${mat.stderr === '' ? '' : `\n${mat.stderr.trim()}`}`);
  const matZips = (await readdir(matDir)).filter((f) => f.endsWith('-full.zip'));
  let identical = 0;
  if (mat.code === 0 && matZips.length === 1) {
    const fullManifest = await zipText(d.zip, 'manifest-sha256.txt');
    const matManifest = await zipText(join(matDir, matZips[0]!), 'manifest-sha256.txt');
    identical = fullManifest === matManifest ? 1 : 0;
    if (identical === 0) explainManifests(fullManifest, matManifest);
    const matVerify = await runCli(['verify', join(matDir, matZips[0]!), '--no-sidecar', '--quiet']);
    info(`(e) verify of the materialized archive: exit ${matVerify.code} ${matVerify.stderr.trim()}`);
  } else info(`(e) materialize gave ${matZips.length} -full.zip files in ${matDir}`);

  // (f) The delta through the verifier.
  const verify = await runCli(['verify', c.zip, '--quiet']);
  info(`(f) verify of the delta: exit ${verify.code} ${verify.stderr.trim()}`);
  const chain = await runCli(['verify', '--chain', c.zip, '--quiet']);
  info(`(f) verify --chain of the delta: exit ${chain.code} ${chain.stderr.trim()}`);

  const drift = await csvRows(await zipText(c.zip, 'reports/drift.csv'));
  const deleted = drift.filter((r) => r['change'] === 'deleted_since_previous');
  info(
    `(c) drift.csv: ${countBy(drift, (r) => `${r['change']} ${r['kind']}`)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );

  const fullBytes = a.run.archive!.zipBytes;
  const deltaBytes = c.run.archive!.zipBytes;
  return {
    incremental_request_ratio: (c.ledger.length / a.ledger.length).toFixed(3),
    full_requests: a.ledger.length,
    incremental_requests: c.ledger.length,
    delta_bytes: deltaBytes,
    full_bytes: fullBytes,
    bytes_ratio: (deltaBytes / fullBytes).toFixed(3),
    materialized_identical: identical,
    deleted_since_previous: deleted.length,
    snapshot_type: snapshotType,
    verify_ok: verify.code === 0 && chain.code === 0 ? 1 : 0,
    wall_s: ((Date.now() - started) / 1000).toFixed(1),
  };
});
