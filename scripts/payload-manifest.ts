/**
 * The demo job's payload manifest, for comparing two versions of the code: runs the demo (sandbox
 * + local S3 in this process, seed fixed, no waits between quiescence passes), opens the archive
 * that landed in the bucket and prints the SHA-256 of its `manifest-sha256.txt`. The same seed and
 * profile give the same manifest on every version that changes no archived byte.
 *
 *   npx tsx scripts/payload-manifest.ts [--profile small|medium] [--seed N] [--out manifest.txt]
 */
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import yauzl from 'yauzl';
import { runDemo } from '../demo/run-demo.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'small' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const profile = values.profile === 'medium' ? 'medium' : 'small';

const result = await runDemo({
  profile,
  seed: Number(values.seed),
  keep: true,
  progress: 'off',
  sleep: async () => undefined,
});
try {
  if (result.archiveKey === null) throw new Error(`the demo shipped no archive (exit ${result.exitCode})`);
  const zipPath = await findObject(result.s3.directory, result.archiveKey.split('/').pop()!);
  const manifest = await readEntry(zipPath, /^[^/]+\/manifest-sha256\.txt$/u);
  if (values.out !== undefined) await writeFile(values.out, manifest);
  const lines = manifest
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '').length;
  const sha256 = createHash('sha256').update(manifest).digest('hex');
  console.log(
    `profile=${profile} seed=${values.seed} payload_files=${lines} payload_manifest_sha256=${sha256}`,
  );
} finally {
  await result.close();
}

/** s3rver keeps an object's bytes in a file named after its key (plus a suffix) under its folder. */
async function findObject(dir: string, baseName: string): Promise<string> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.startsWith(baseName) && entry.name.endsWith('._S3rver_object')) {
      return join(entry.parentPath, entry.name);
    }
  }
  throw new Error(`${baseName}: not found under ${dir}`);
}

function readEntry(zipPath: string, name: RegExp): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
      if (err !== null || zip === undefined) return reject(err ?? new Error(`${zipPath}: unreadable`));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!name.test(entry.fileName)) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e !== null || stream === undefined) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks));
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => reject(new Error(`${zipPath}: no entry matches ${String(name)}`)));
      zip.readEntry();
    });
  });
}
