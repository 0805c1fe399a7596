/**
 * verify's memory on a big archive: builds (once, with Python's zipfile, independent of our
 * sealer) a bag of BENCH_FILES (default 400,000) small payload files stored in byte order of
 * their path, with matching sha256 and md5 manifests, then verifies it in a child
 * `node --expose-gc` that samples process.memoryUsage() every 10 ms and prints the peaks over
 * its baseline (taken after a GC, before verify starts). BENCH_PATH=map runs the map-based path
 * (every entry held) on the same zip, for comparison. Prints one JSON line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILES = Number(process.env['BENCH_FILES'] ?? 400_000);
const PATH_KIND = process.env['BENCH_PATH'] ?? 'merge';

const PY_BUILD = `
import hashlib, sys, zipfile
out, n = sys.argv[1], int(sys.argv[2])
top = 'bench-20261122T101300Z/'
files = sorted((f'data/chats/{i % 997:03d}/chat-{i:07d}.json', (f'{{"chat":{i}}}\\n').encode()) for i in range(n))
z = zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED)
z.writestr(top + 'bag-info.txt', f'Payload-Oxum: {sum(len(b) for _, b in files)}.{n}\\nBagging-Date: 2026-11-22\\nBag-Size: 1 MB\\nExternal-Identifier: bench\\nAs-Of-Cut: 2026-11-22T10:13:00Z\\nTool-Version: 0.1.0\\nJob-Spec-SHA256: ' + 'ab' * 32 + '\\n')
z.writestr(top + 'bagit.txt', 'BagIt-Version: 1.0\\nTag-File-Character-Encoding: UTF-8\\n')
for p, b in files: z.writestr(top + p, b)
for algo in ('md5', 'sha256'):
  z.writestr(top + f'manifest-{algo}.txt', ''.join(f'{hashlib.new(algo, b).hexdigest()}  {p}\\n' for p, b in files))
z.writestr(top + 'reports/custody.jsonl', '')
z.close()
`;

async function child(zip: string): Promise<void> {
  const { verifyArchive } = await import('../src/verify/verify-archive.js');
  const { verifyBag } = await import('../src/verify/verify-bag.js');
  const { openLocalZip } = await import('../src/verify/zip-source.js');
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const base = process.memoryUsage();
  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = (): void => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k]);
  };
  const timer = setInterval(sample, 10);
  const started = Date.now();
  const cpu = process.cpuUsage();
  let problems: string[];
  if (PATH_KIND === 'map') {
    const source = await openLocalZip(zip);
    problems = (await verifyBag(source)).problems.map((p) => p.code);
    await source.close();
  } else {
    problems = (await verifyArchive(zip, { sidecar: false })).problems.map((p) => p.code);
  }
  sample();
  clearInterval(timer);
  const mb = (n: number): number => Math.round(n / 1e5) / 10;
  process.stdout.write(
    `${JSON.stringify({
      path: PATH_KIND,
      files: FILES,
      seconds: (Date.now() - started) / 1000,
      cpuSeconds: (({ user, system }) => Math.round((user + system) / 1e4) / 100)(process.cpuUsage(cpu)),
      problems: [...new Set(problems)],
      baseRssMB: mb(base.rss),
      peakRssMB: mb(peak.rss),
      peakHeapOverBaseMB: mb(peak.heapUsed - base.heapUsed),
      peakArrayBuffersMB: mb(peak.arrayBuffers),
      peakExternalMB: mb(peak.external),
    })}\n`,
  );
}

function parent(): void {
  const zip = join(tmpdir(), `verify-memory-${FILES}.zip`);
  if (!existsSync(zip)) execFileSync('python3', ['-c', PY_BUILD, zip, String(FILES)], { stdio: 'inherit' });
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', zip],
    { stdio: 'inherit', env: process.env },
  );
  process.exitCode = run.status ?? 1;
}

if (process.argv[2] === '--child') await child(process.argv[3] ?? '');
else parent();
