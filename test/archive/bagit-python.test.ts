/**
 * An archive sealed from the sandbox's small profile, read back the way the Library of Congress
 * bagit-python reads a bag: its manifest parsing (strip the line, split once on whitespace, strip a
 * leading `*`, normpath) and its path decoding, which turns only `%0D` into CR and `%0A` into LF —
 * nothing else, so a path written `%25` is looked up literally and reported missing. The sandbox
 * has a file whose original name holds `%20`; its bag path must be one bagit-python finds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type RunJobResult } from '../../src/run-job.js';
import type { SandboxTruth } from '@compliance-export/sandbox';
import { ALL_KINDS, harness, instantSleep, type Harness } from '../run-job/helpers.js';
import { python } from './fixtures.js';

/** argv: zip, extraction folder. Prints what bagit-python's validation would find, as JSON. */
const PY_BAGIT_PYTHON = `
import hashlib, json, os, sys, unicodedata, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
(top,) = os.listdir(sys.argv[2])
root = os.path.join(sys.argv[2], top)

def decode(path):
    # bagit.py _decode_filename: only these two, nothing else (no %25).
    return path.replace("%0D", "\\r").replace("%0A", "\\n")

def load(name):
    entries, malformed = {}, []
    with open(os.path.join(root, name), encoding="utf-8") as f:
        for manifest_line in f:
            line = manifest_line.strip()
            if line == "" or line.startswith("#"):
                continue
            entry = line.split(None, 1)
            if len(entry) != 2:
                malformed.append(line)
                continue
            path = decode(os.path.normpath(entry[1].lstrip("*")))
            entries[unicodedata.normalize("NFC", path)] = entry[0].lower()
    return entries, malformed

def digest(path, algo):
    h = hashlib.new(algo)
    with open(os.path.join(root, path), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

present = []
for d, _, files in os.walk(os.path.join(root, "data")):
    for name in files:
        rel = os.path.relpath(os.path.join(d, name), root).replace(os.sep, "/")
        present.append(unicodedata.normalize("NFC", rel))
out = {"present": len(present), "present_names": present}
for algo in ("sha256", "md5"):
    listed, malformed = load("manifest-%s.txt" % algo)
    out[algo] = {
        "listed": len(listed),
        "malformed": malformed,
        "missing": sorted(p for p in listed if not os.path.isfile(os.path.join(root, p))),
        "unlisted": sorted(set(present) - set(listed)),
        "bad": sorted(p for p, v in listed.items() if os.path.isfile(os.path.join(root, p)) and digest(p, algo) != v),
    }
tags, malformed = load("tagmanifest-sha256.txt")
out["tag_bad"] = sorted(p for p, v in tags.items() if not os.path.isfile(os.path.join(root, p)) or digest(p, "sha256") != v) + malformed
info = dict(l.split(": ", 1) for l in open(os.path.join(root, "bag-info.txt"), encoding="utf-8").read().splitlines())
size = sum(os.path.getsize(os.path.join(root, p)) for p in present)
out["oxum"] = [info["Payload-Oxum"], "%d.%d" % (size, len(present))]
print(json.dumps(out))
`;

interface Check {
  listed: number;
  malformed: string[];
  missing: string[];
  unlisted: string[];
  bad: string[];
}
interface Report {
  present: number;
  present_names: string[];
  sha256: Check;
  md5: Check;
  tag_bad: string[];
  oxum: [string, string];
}

describe('a sandbox archive as bagit-python reads it', () => {
  let h: Harness;
  let result: RunJobResult;
  let truth: SandboxTruth;
  let out: string;

  beforeAll(async () => {
    h = await harness({ include: [...ALL_KINDS, 'sessions'] });
    result = await runJob({ specPath: h.specPath, env: h.env, sleep: instantSleep, progress: 'off' });
    truth = await h.truth(result.asOfCut!);
    out = await mkdtemp(join(tmpdir(), 'bagit-python-'));
  });
  afterAll(async () => {
    await h?.close();
    if (out !== undefined) await rm(out, { recursive: true, force: true });
  });

  it('finds every manifest entry on disk and every payload file in the manifest, with matching hashes', () => {
    // One gap, by design of the small profile: a remote session still pending (no transcript yet).
    expect([result.status, result.exceptions]).toEqual(['gaps', 1]);
    const withPercent = truth.files.filter((f) => f.filename.includes('%'));
    expect(withPercent.length).toBeGreaterThan(0);
    const report = python<Report>(PY_BAGIT_PYTHON, result.archive!.location, out);
    for (const algo of ['sha256', 'md5'] as const) {
      expect(report[algo]).toEqual({
        listed: report.present,
        malformed: [],
        missing: [],
        unlisted: [],
        bad: [],
      });
    }
    expect(report.tag_bad).toEqual([]);
    expect(report.oxum[0]).toBe(report.oxum[1]);
    // The files whose names held `%` are there, under a name with none.
    for (const f of withPercent) {
      const mine = report.present_names.filter((p) => p.startsWith(`data/files/${f.id}/`));
      expect(mine).toHaveLength(2);
      expect(mine.some((p) => p.includes('%'))).toBe(false);
    }
  });
});
