/**
 * Reads an archive's review copy with readers that are not ours, as a recipient would: the zip
 * with yauzl, every `.rsmf` with mailparser (its `rsmf_manifest.json` validated against
 * Relativity's RSMF 2.0.0 schema), the load file with csv-parse, and checks every NATIVEPATH and
 * TEXTPATH against the bag's manifest-sha256.txt. Prints one key=value line; exits 1 on a problem.
 *
 *   npx tsx scripts/check-review.ts <archive.zip>
 */
import { readRsmf } from '../test/produce/conversation/readers.js';
import { manifestOf, parseDat, readZip } from '../test/produce/documents/archive-reader.js';

const zipPath = process.argv[2];
if (zipPath === undefined) throw new Error('usage: check-review.ts <archive.zip>');
const entries = await readZip(zipPath);
const manifest = manifestOf(entries);
const dat = parseDat(entries.get('data/review/loadfile.dat')!);
const problems: string[] = [];
const docids = new Set<string>();
let natives = 0;
let texts = 0;
for (const row of dat) {
  const docid = row['DOCID']!;
  if (docids.has(docid)) problems.push(`${docid}: DOCID repeated`);
  docids.add(docid);
  if (manifest.get(row['NATIVEPATH']!) === row['SHA256HASH']) natives += 1;
  else problems.push(`${docid}: NATIVEPATH ${row['NATIVEPATH']} does not match the manifest`);
  if (row['TEXTPATH'] !== '') {
    if (manifest.has(row['TEXTPATH']!)) texts += 1;
    else problems.push(`${docid}: TEXTPATH ${row['TEXTPATH']} not in the manifest`);
  }
}
for (const row of dat) {
  const parent = row['PARENT_DOCID']!;
  if (parent !== '' && !docids.has(parent)) problems.push(`${row['DOCID']}: parent ${parent} unknown`);
}
let rsmf = 0;
let events = 0;
for (const [path, bytes] of entries) {
  if (!path.startsWith('data/review/rsmf/')) continue;
  try {
    const read = await readRsmf(bytes);
    rsmf += 1;
    events += read.manifest.events.length;
  } catch (error) {
    problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
console.log(
  `dat_rows=${dat.length} natives_matching_manifest=${natives} texts_in_manifest=${texts} ` +
    `rsmf_files=${rsmf} rsmf_schema_valid=${rsmf} rsmf_events=${events} problems=${problems.length}`,
);
for (const p of problems.slice(0, 20)) console.error(p);
process.exitCode = problems.length === 0 ? 0 : 1;
