/**
 * Hostile copies of a sealed archive for the chain tests, written by Python's zipfile (not our zip
 * code): entries replaced by given bytes, and, when asked, the manifests and tag manifests
 * re-hashed so the copy still passes a bag check and only the chain checks can catch it. The
 * copy lands in a destination layout (`<root>/<name>/<run-id>/<name>-<run-id>.zip` + `.sha256`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const PY_REWRITE = `
import base64, hashlib, json, sys, zipfile
src, dst, spec = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
repl = {k: base64.b64decode(v) for k, v in spec["replace"].items()}
zin = zipfile.ZipFile(src)
infos = zin.infolist()
folder = infos[0].filename.split("/")[0] + "/"
data = {i.filename[len(folder):]: zin.read(i) for i in infos}
data.update(repl)
algos = {"sha256": hashlib.sha256, "md5": hashlib.md5}
def rehash(name, changed):
  algo = name.split("-")[-1][:-4]
  out = []
  for line in data[name].decode().splitlines():
    digest, path = line.split("  ", 1)
    if path in changed:
      digest = algos[algo](data[path]).hexdigest()
    out.append(digest + "  " + path + "\\n")
  data[name] = "".join(out).encode()
if spec["rehash"]:
  changed = set(repl)
  for name in list(data):
    if name.startswith("manifest-"):
      rehash(name, changed)
      changed.add(name)
  for name in list(data):
    if name.startswith("tagmanifest-"):
      rehash(name, changed)
with zipfile.ZipFile(dst, "w") as zout:
  for i in infos:
    zout.writestr(i, data[i.filename[len(folder):]])
`;

export interface RewriteOptions {
  /** Bag-relative path (`data/…`, `reports/…`) → new bytes. */
  readonly replace: Readonly<Record<string, Buffer | string>>;
  /** Re-hash the manifests and tag manifests over the replaced entries (default false). */
  readonly rehash?: boolean;
}

/** Writes the rewritten copy of `zipPath` as archive `name`/`runId` under `root`; returns its path. */
export async function rewriteArchive(
  zipPath: string,
  root: string,
  ref: { name: string; runId: string },
  options: RewriteOptions,
): Promise<string> {
  const zipName = `${ref.name}-${ref.runId}.zip`;
  const dst = join(root, ref.name, ref.runId, zipName);
  await mkdir(dirname(dst), { recursive: true });
  const replace: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.replace)) replace[k] = Buffer.from(v).toString('base64');
  // The replacements go on stdin: an inventory is larger than an argument may be.
  execFileSync('python3', ['-c', PY_REWRITE, zipPath, dst], {
    input: JSON.stringify({ replace, rehash: options.rehash ?? false }),
  });
  await writeSidecar(dst);
  return dst;
}

/** `<zip>.sha256` in sha256sum format, as a sink writes it. */
export async function writeSidecar(zipPath: string): Promise<void> {
  const sha = createHash('sha256')
    .update(await readFile(zipPath))
    .digest('hex');
  await writeFile(`${zipPath}.sha256`, `${sha}  ${zipPath.slice(zipPath.lastIndexOf('/') + 1)}\n`);
}
