/**
 * The production layer end to end: `compliance-export run` (in process, the real CLI) against the
 * small sandbox over loopback with sessions in scope, then the archive opened by independent
 * readers (yauzl for the zip, csv-parse for the load file and the CSVs, our hashes of the bytes
 * yauzl hands back). What a review platform relies on: unique DOCIDs, each NATIVEPATH in the bag
 * manifest with its SHA256HASH, PARENT_DOCIDs that resolve, an RSMF native and a text for every
 * conversation, text decided by the bytes, items.csv and the load file agreeing row for row, and
 * the same counts in the run summary, summary.json, counts.csv and the load file.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxTruth } from '@compliance-export/sandbox';
import { requiredAggregates } from '../../../src/collect/index.js';
import { produceReview } from '../../../src/produce/produce-review.js';
import type { ContentKind } from '../../../src/spec/types.js';
import { buildBagPayload, currentRecords, type StoredRecord } from '../../../src/store/index.js';
import { TOOL_NAME, TOOL_VERSION } from '../../../src/version.js';
import { runCli } from '../../cli/run-cli.js';
import { ALL_KINDS, harness, openJobStore, type Harness } from '../../run-job/helpers.js';
import { readRsmf } from '../conversation/readers.js';
import { manifestOf, parseCsv, parseDat, readZip } from './archive-reader.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** What the test decides on its own: valid UTF-8, no NUL or C0 other than TAB LF FF CR, not empty. */
function looksLikeText(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  if (bytes.some((b) => b < 0x20 && ![0x09, 0x0a, 0x0c, 0x0d].includes(b))) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

let h: Harness;
let out: string;
let code: number;
let entries: Map<string, Buffer>;
let manifest: Map<string, string>;
let dat: Record<string, string>[];
let items: Record<string, string>[];
let records: StoredRecord[];
let truth: SandboxTruth;

beforeAll(async () => {
  h = await harness({ include: [...ALL_KINDS, 'sessions'], extra: 'state:\n  retain: all\n' });
  const run = await runCli(['run', h.specPath, '--progress', 'off'], { env: h.env });
  ({ code, out } = run);
  const location = /^archive: (.+)$/mu.exec(out)?.[1];
  if (location === undefined) throw new Error(`no archive in the run summary:\n${out}\n${run.err}`);
  entries = await readZip(location);
  manifest = manifestOf(entries);
  dat = parseDat(entries.get('data/review/loadfile.dat')!);
  items = parseCsv(entries.get('reports/items.csv')!);
  const store = await openJobStore(h);
  records = [];
  for await (const r of currentRecords(store)) records.push(r);
  await store.close();
  truth = await h.truth(/^as-of cut: (.+)$/mu.exec(out)![1]!);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const docs = (kind: string) => dat.filter((r) => r['KIND'] === kind);

describe('the load file (data/review/loadfile.dat)', () => {
  it('has the required columns and one unique, contiguous DOCID per row', () => {
    expect(code).toBe(3); // the small profile's pending remote session
    expect(Object.keys(dat[0]!)).toEqual(
      expect.arrayContaining([
        'DOCID',
        'PARENT_DOCID',
        'CUSTODIAN',
        'KIND',
        'SOURCE_ID',
        'FILENAME',
        'DATE_CREATED',
        'DATE_MODIFIED',
        'MD5HASH',
        'SHA256HASH',
        'FILESIZE',
        'NATIVEPATH',
        'TEXTPATH',
        'CONVERSATION_ID',
      ]),
    );
    expect(dat.map((r) => r['DOCID'])).toEqual(
      dat.map((_, i) => `TEST-JOB-${String(i + 1).padStart(6, '0')}`),
    );
  });

  it('lists every native in the bag manifest with the manifest SHA-256, MD5 and size of its bytes', () => {
    for (const row of dat) {
      const path = row['NATIVEPATH']!;
      expect(manifest.get(path), `${row['DOCID']} ${path}`).toBe(row['SHA256HASH']);
      const bytes = entries.get(path)!;
      expect([sha256(bytes), createHash('md5').update(bytes).digest('hex'), String(bytes.length)]).toEqual([
        row['SHA256HASH'],
        row['MD5HASH'],
        row['FILESIZE'],
      ]);
    }
  });

  it('resolves every PARENT_DOCID to an earlier row of the same family (families contiguous)', () => {
    const at = new Map(dat.map((r, i) => [r['DOCID']!, i]));
    let root = -1;
    for (const [i, row] of dat.entries()) {
      const parent = row['PARENT_DOCID']!;
      if (parent === '') {
        root = i;
        continue;
      }
      expect(at.get(parent), `${row['DOCID']} → ${parent}`).toBe(root);
    }
  });

  it('gives every chat and stored session an RSMF native and a transcript', () => {
    const sessions = records.filter((r) => r.kind === 'session').map((r) => r.id);
    expect(sessions.length).toBeGreaterThan(0);
    for (const [kind, ids] of [
      ['chat', truth.chats.map((c) => c.id)],
      ['session', sessions],
    ] as const) {
      const rows = docs(kind);
      expect(rows.map((r) => r['SOURCE_ID']).sort()).toEqual([...ids].sort());
      for (const row of rows) {
        expect(row['NATIVEPATH']).toMatch(/^data\/review\/rsmf\/.+\.rsmf$/u);
        expect(row['TEXTPATH']).toBe(`data/review/text/${row['DOCID']}.txt`);
        expect(manifest.has(row['TEXTPATH']!)).toBe(true);
        expect(row['CONVERSATION_ID']).toBe(row['SOURCE_ID']);
      }
    }
  });

  it('writes every RSMF so mailparser reads it and its manifest passes the RSMF 2.0.0 schema', async () => {
    const rsmf = [...entries.keys()].filter((p) => p.startsWith('data/review/rsmf/'));
    expect(rsmf.length).toBe(docs('chat').length + docs('session').length);
    for (const path of rsmf) {
      const read = await readRsmf(entries.get(path)!);
      const row = dat.find((r) => r['NATIVEPATH'] === path)!;
      expect(read.header('X-RSMF-Version'), path).toBe('2.0.0');
      // a session's conversation is its own id; CONVERSATION_ID adds its kind (`local/<id>`)
      expect(read.manifest.conversations.map((c) => c.id)).toEqual([
        row['CONVERSATION_ID']!.split('/').pop(),
      ]);
      // every attachment an event names is inside rsmf.zip
      for (const e of read.manifest.events) {
        for (const a of e.attachments ?? []) expect(read.zip.has(a.id), `${path}: ${a.id}`).toBe(true);
      }
    }
  });

  it('puts a chat’s files, generated files and artifact versions under it, a project’s documents under the project', () => {
    const docidOf = new Map(dat.map((r) => [`${r['KIND']}\t${r['SOURCE_ID']}`, r['DOCID']!]));
    const byChild = new Map<string, Set<string>>();
    for (const c of truth.chats) {
      for (const id of [...c.file_ids, ...c.generated_file_ids, ...c.artifact_version_ids]) {
        byChild.set(id, (byChild.get(id) ?? new Set()).add(`chat\t${c.id}`));
      }
    }
    for (const p of truth.projects) {
      for (const id of [...p.document_ids, ...p.file_ids])
        byChild.set(id, (byChild.get(id) ?? new Set()).add(`project\t${p.id}`));
    }
    let checked = 0;
    for (const row of dat) {
      if (!['file', 'generated_file', 'chat_artifact', 'project_document'].includes(row['KIND']!)) continue;
      const parents = [...(byChild.get(row['SOURCE_ID']!) ?? [])].map((k) => docidOf.get(k));
      // The parent is one of the items that reference it (the first to reach it when shared).
      expect(parents, `${row['KIND']} ${row['SOURCE_ID']}`).toContain(row['PARENT_DOCID']);
      if (row['KIND'] !== 'project_document' && row['PARENT_DOCID']!.startsWith('TEST-JOB-')) {
        const parent = dat.find((r) => r['DOCID'] === row['PARENT_DOCID'])!;
        if (parent['KIND'] === 'chat') expect(row['CONVERSATION_ID']).toBe(parent['SOURCE_ID']);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThan(50);
    for (const row of docs('code_artifact_version')) {
      expect(row['PARENT_DOCID']).toBe(docidOf.get(`code_artifact\t${row['SOURCE_ID']!.split('/')[0]}`));
    }
  });

  it('gives a text path exactly to the natives whose bytes are text, with the native’s own bytes', () => {
    let text = 0;
    let binary = 0;
    for (const row of dat) {
      if (row['KIND'] === 'chat' || row['KIND'] === 'session') continue;
      const native = entries.get(row['NATIVEPATH']!)!;
      if (looksLikeText(native)) {
        text += 1;
        expect(row['TEXTPATH'], row['NATIVEPATH']).toBe(`data/review/text/${row['DOCID']}.txt`);
        expect(manifest.get(row['TEXTPATH']!)).toBe(row['SHA256HASH']);
      } else {
        binary += 1;
        expect(row['TEXTPATH'], row['NATIVEPATH']).toBe('');
      }
    }
    expect([text > 10, binary > 5]).toEqual([true, true]);
  });
});

describe('reports/items.csv', () => {
  it('has the load file’s documents row for row, then data-set files with their record counts', () => {
    const documents = items.filter((r) => r['docid'] !== '');
    expect(
      documents.map((r) => [
        r['docid'],
        r['parent_docid'],
        r['kind'],
        r['id'],
        r['native_path'],
        r['sha256'],
      ]),
    ).toEqual(
      dat.map((r) => [
        r['DOCID'],
        r['PARENT_DOCID'],
        r['KIND'],
        r['SOURCE_ID'],
        r['NATIVEPATH'],
        r['SHA256HASH'],
      ]),
    );
    const datasets = items.filter((r) => r['docid'] === '');
    const users = datasets.find((r) => r['native_path'] === 'data/directory/users.jsonl')!;
    expect(Number(users['records'])).toBe(records.filter((r) => r.kind === 'user').length);
    for (const row of datasets) expect(manifest.get(row['native_path']!)).toBe(row['sha256']);
    // A file is one row now, not two (its bytes and its metadata.json): 62 files, 62 rows.
    expect(documents.filter((r) => r['kind'] === 'file')).toHaveLength(
      records.filter((r) => r.kind === 'file').length,
    );
  });

  it('defuses spreadsheet formulas: the hostile name "-rf" is written with a leading quote', () => {
    const hostile = items.find((r) => r['original_name'] === "'-rf");
    expect(hostile?.['kind']).toBe('file');
    const cells = items.flatMap((r) => Object.values(r));
    expect(cells.filter((c) => /^[=+\-@\t\r]/u.test(c))).toEqual([]);
  });
});

describe('determinism', () => {
  it('a second seal of the same store produces the same review files, byte for byte', async () => {
    const sealed = [...manifest].filter(([p]) => p.startsWith('data/review/'));
    const rsmf = dat.filter((r) => r['NATIVEPATH']!.startsWith('data/review/rsmf/')).length;
    expect(sealed.length).toBe(rsmf + dat.filter((r) => r['TEXTPATH'] !== '').length + 1);
    const store = await openJobStore(h);
    try {
      const bag = await buildBagPayload(
        store,
        requiredAggregates([...ALL_KINDS, 'sessions'] as ContentKind[]),
      );
      const again = await produceReview(store, bag, {
        docidPrefix: 'TEST-JOB',
        generator: `${TOOL_NAME} ${TOOL_VERSION}`,
      });
      const review: [string, string][] = [];
      for await (const f of again.bag.payload()) {
        if (!f.path.startsWith('review/')) continue;
        const bytes: Buffer[] = [];
        for await (const c of f.open()) bytes.push(c as Buffer);
        review.push([`data/${f.path}`, sha256(Buffer.concat(bytes))]);
      }
      expect(review.sort()).toEqual(sealed.sort());
    } finally {
      await store.close();
    }
  });
});

describe('counts', () => {
  it('agree across the run summary, summary.json, counts.csv, items.csv and the load file', () => {
    const summary = JSON.parse(entries.get('reports/summary.json')!.toString('utf8')) as {
      counts: {
        documents: number;
        documentsByKind: Record<string, number>;
        records: number;
        recordsByKind: Record<string, number>;
        payloadFiles: number;
        exceptions: number;
        exceptionsByReason: Record<string, number>;
      };
    };
    const s = summary.counts;
    // The load file: one row per document.
    const datByKind: Record<string, number> = {};
    for (const r of dat) datByKind[r['KIND']!] = (datByKind[r['KIND']!] ?? 0) + 1;
    expect([s.documents, s.documentsByKind]).toEqual([dat.length, datByKind]);
    // counts.csv: summed over custodians.
    const csvDocs: Record<string, number> = {};
    const csvRecords: Record<string, number> = {};
    for (const r of parseCsv(entries.get('reports/counts.csv')!)) {
      if (Number(r['documents']) > 0)
        csvDocs[r['kind']!] = (csvDocs[r['kind']!] ?? 0) + Number(r['documents']);
      if (Number(r['records']) > 0)
        csvRecords[r['kind']!] = (csvRecords[r['kind']!] ?? 0) + Number(r['records']);
    }
    expect(csvDocs).toEqual(s.documentsByKind);
    expect(csvRecords).toEqual(s.recordsByKind);
    // items.csv: data-set files carry the records.
    const itemRecords: Record<string, number> = {};
    for (const r of items.filter((i) => i['docid'] === '')) {
      itemRecords[r['kind']!] = (itemRecords[r['kind']!] ?? 0) + Number(r['records']);
    }
    expect(Object.fromEntries(Object.entries(itemRecords).filter(([, n]) => n > 0))).toEqual(s.recordsByKind);
    // The bag manifest: every payload file.
    expect(s.payloadFiles).toBe(manifest.size);
    // The run summary, as printed: totals, each kind's line, each gap's reason.
    expect(out).toContain(
      `documents: ${s.documents}   records: ${s.records}   payload files: ${s.payloadFiles} `,
    );
    const printed = new Map([...out.matchAll(/^ {2}(\S+) +(\d+)$/gmu)].map((m) => [m[1]!, Number(m[2])]));
    expect(Object.fromEntries(printed)).toEqual({
      ...s.documentsByKind,
      ...s.recordsByKind,
      ...s.exceptionsByReason,
    });
    expect(s.exceptionsByReason).toEqual({ session_pending: 1 });
    expect(out).toMatch(
      /^gaps: 1, each named with its reason in reports\/exceptions\.csv in the archive:$/mu,
    );
    // And the file count the issue saw disagree (62 in the run summary, 124 in summary.json) is one number.
    expect(s.documentsByKind['file']).toBe(records.filter((r) => r.kind === 'file').length);
  });
});
