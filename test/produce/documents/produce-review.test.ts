/**
 * The production stage over a hand-made store: families and DOCIDs in the documented order (from
 * the content alone, whatever the journal order), parents and custodians, text decided by bytes,
 * split conversations and a refused one, the DOCID prefix, and hostile ids and names that must not
 * break the load file. The load file is read back with csv-parse; nothing asserts the stand-in
 * renderer's bytes.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ItemRow } from '../../../src/archive/report-rows.js';
import { ExportError } from '../../../src/errors.js';
import type { ConversationInput, ConversationOutput } from '../../../src/produce/conversation/types.js';
import {
  produceReview,
  type ProduceOptions,
  type ReviewProduct,
} from '../../../src/produce/produce-review.js';
import { parseDat } from './archive-reader.js';
import { bytesOf, fixtureStore, HOSTILE_CHAT, HOSTILE_NAME, type Fixture } from './store-fixture.js';

/** The hostile id as the load file writes it (NUL and þ cannot be in a þ-qualified field). */
const HOSTILE_IN_DAT = 'claude_chat_\ufffd\ufffd/x';
const OPTIONS: ProduceOptions = { docidPrefix: 'JOB', generator: 'test 0' };
const open: Fixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

async function produce(
  order: 'as-listed' | 'reversed' = 'as-listed',
  options: Partial<ProduceOptions> = {},
): Promise<{
  product: ReviewProduct;
  files: Map<string, Buffer>;
  dat: Record<string, string>[];
  items: ItemRow[];
}> {
  const fixture = await fixtureStore(order);
  open.push(fixture);
  const product = await produceReview(fixture.store, fixture.bag, { ...OPTIONS, ...options });
  const files = new Map<string, Buffer>();
  for await (const f of product.bag.payload()) {
    const bytes = await bytesOf(f.open());
    expect(createHash('sha256').update(bytes).digest('hex'), f.path).toBe(f.sha256);
    files.set(f.path, bytes);
  }
  const items: ItemRow[] = [];
  for await (const row of product.items()) items.push(row);
  return { product, files, dat: parseDat(files.get('review/loadfile.dat')!), items };
}

const review = (files: Map<string, Buffer>) =>
  [...files]
    .filter(([p]) => p.startsWith('review/'))
    .map(([p, b]) => [p, createHash('sha256').update(b).digest('hex')]);

describe('produceReview', () => {
  it('orders families and DOCIDs by content: roots by (kind, id), each followed by its children', async () => {
    const { dat } = await produce();
    expect(dat.map((r) => [r['DOCID'], r['PARENT_DOCID'], r['KIND'], r['SOURCE_ID']])).toEqual([
      ['JOB-000001', '', 'chat', HOSTILE_IN_DAT],
      ['JOB-000002', '', 'chat', 'claude_chat_a'],
      ['JOB-000003', 'JOB-000002', 'file', 'claude_file_3'],
      ['JOB-000004', '', 'chat', 'claude_chat_b'],
      ['JOB-000005', 'JOB-000004', 'file', 'claude_file_1'],
      ['JOB-000006', 'JOB-000004', 'file', 'claude_file_2'],
      ['JOB-000007', 'JOB-000004', 'generated_file', 'claude_gen_file_1'],
      ['JOB-000008', 'JOB-000004', 'chat_artifact', 'v1'],
      // its chat is not in the archive: a family of its own
      ['JOB-000009', '', 'file', 'claude_file_0'],
      ['JOB-000010', '', 'project', 'proj_1'],
      ['JOB-000011', 'JOB-000010', 'file', 'claude_file_p'],
      ['JOB-000012', 'JOB-000010', 'project_document', 'doc_1'],
      ['JOB-000013', '', 'code_artifact', 'art_1'],
      ['JOB-000014', 'JOB-000013', 'code_artifact_version', 'art_1/ver_1'],
      ['JOB-000015', '', 'session', 'local/sess_1'],
    ]);
  });

  it('gives the same review files, byte for byte, whatever the journal order and however often it runs', async () => {
    const a = await produce('as-listed');
    const b = await produce('reversed');
    expect(review(b.files)).toEqual(review(a.files));
    expect(b.items).toEqual(a.items);
    const again = await produceReview(open[0]!.store, open[0]!.bag, OPTIONS);
    expect(again.counts).toEqual(a.product.counts);
    const twice = new Map<string, string>();
    for await (const f of again.bag.payload()) if (f.path.startsWith('review/')) twice.set(f.path, f.sha256);
    expect([...twice]).toEqual(review(a.files));
  });

  it('names custodians (a child takes its parent’s) and says why one is empty', async () => {
    const { dat } = await produce();
    const who = Object.fromEntries(dat.map((r) => [r['SOURCE_ID'], [r['CUSTODIAN'], r['CUSTODIAN_NOTE']]]));
    expect(who['claude_chat_a']).toEqual(['', 'api_user_null']);
    expect(who['claude_file_3']).toEqual(['', 'api_user_null']);
    expect(who['claude_file_2']).toEqual(['ann@example.com', '']);
    expect(who['claude_file_0']).toEqual(['bob@example.com', '']);
    expect(who['doc_1']).toEqual(['ann@example.com', '']);
  });

  it('gives text to conversations and to natives whose bytes are text, the same bytes as the native', async () => {
    const { dat, files } = await produce();
    const withText = dat.filter((r) => r['TEXTPATH'] !== '').map((r) => r['SOURCE_ID']);
    expect(withText.sort()).toEqual(
      [
        HOSTILE_IN_DAT,
        'claude_chat_a',
        'claude_chat_b',
        'claude_file_1',
        'claude_gen_file_1',
        'v1',
        'claude_file_0',
      ]
        .concat(['proj_1', 'claude_file_p', 'doc_1', 'art_1', 'local/sess_1'])
        .sort(),
    );
    const file1 = dat.find((r) => r['SOURCE_ID'] === 'claude_file_1')!;
    const text = files.get(file1['TEXTPATH']!.slice('data/'.length))!;
    expect(text).toEqual(files.get(file1['NATIVEPATH']!.slice('data/'.length)));
    for (const r of dat.filter((d) => d['KIND'] === 'chat' || d['KIND'] === 'session')) {
      expect(r['NATIVEPATH']).toMatch(/^data\/review\/rsmf\/(sessions\/local\/)?[^/]+\.rsmf$/u);
      expect(files.has(r['TEXTPATH']!.slice('data/'.length))).toBe(true);
    }
  });

  it('keeps a hostile name whole in items.csv and the load file parseable, one row per document', async () => {
    const { dat, items } = await produce();
    const chat = dat[0]!;
    // þ and DC4 cannot be written inside a þ-qualified field: U+FFFD; line breaks become ®.
    expect(chat['FILENAME']).toBe('=HYPERLINK("http://x.example","\ufffd\ufffd\u00aeclick")');
    expect(items.find((r) => r.id === HOSTILE_CHAT)?.originalName).toBe(HOSTILE_NAME);
    expect(dat.every((r) => Object.keys(r).length === Object.keys(dat[0]!).length)).toBe(true);
  });

  it('counts documents, data-set records and payload files once; data-set files follow the documents', async () => {
    const { product, items, files } = await produce();
    const c = product.counts;
    expect([c.documents, c.documentsByKind['file'], c.documentsByKind['chat']]).toEqual([15, 5, 3]);
    expect(c.recordsByKind).toEqual({ project_attachment: 2, setting: 1, user: 2 });
    expect([c.payloadFiles, product.bag.fileCount]).toEqual([files.size, files.size]);
    expect(c.reviewFiles).toBe([...files.keys()].filter((p) => p.startsWith('review/')).length);
    const datasets = items.filter((r) => r.docid === '');
    expect(datasets.map((r) => [r.kind, r.nativePath, r.records, r.parentDocid])).toEqual([
      ['project_attachment', 'data/projects/proj_1/attachments.jsonl', 2, 'JOB-000010'],
      ['project_collaborator', 'data/projects/proj_1/collaborators.jsonl', 0, 'JOB-000010'],
      ['group', 'data/directory/groups.jsonl', 0, ''],
      ['setting', 'data/directory/settings/org_1.json', 1, ''],
      ['user', 'data/directory/users.jsonl', 2, ''],
    ]);
  });

  it('takes the DOCID prefix it is given', async () => {
    const { dat } = await produce('as-listed', { docidPrefix: 'ACME_2' });
    expect([dat[0]!['DOCID'], dat[14]!['DOCID']]).toEqual(['ACME_2-000001', 'ACME_2-000015']);
  });

  it('makes a conversation split into parts N rows; a refused document keeps its API JSON as native, named as a notice', async () => {
    const render = async (input: ConversationInput): Promise<ConversationOutput> => {
      if (input.id === 'claude_chat_a') throw new ExportError('invalid_response', 'malformed');
      const part = (n: number) => ({
        fileName: `${input.kind}-${n}.part0${n}.rsmf`,
        bytes: Buffer.from(`${input.id} ${n}`),
        eventCount: 1,
        beginDate: null,
        endDate: null,
        attachmentIds: n === 1 ? [...input.attachments.keys()].sort() : [],
      });
      return {
        rsmf: input.id === 'claude_chat_b' ? [part(1), part(2), part(3)] : [part(1)],
        transcript: '',
        messageCount: 1,
      };
    };
    const { dat, product } = await produce('as-listed', { render });
    expect(product.counts.exceptionsByReason).toEqual({ review_copy_unavailable: 1 });
    const rows = dat.map((r) => [
      r['DOCID'],
      r['PARENT_DOCID'],
      r['SOURCE_ID'],
      r['NATIVEPATH'],
      r['TEXTPATH'],
    ]);
    expect(rows.slice(1, 8)).toEqual([
      ['JOB-000002', '', 'claude_chat_a', 'data/chats/claude_chat_a.json', ''],
      ['JOB-000003', 'JOB-000002', 'claude_file_3', 'data/files/claude_file_3/x.bin', ''],
      [
        'JOB-000004',
        '',
        'claude_chat_b',
        'data/review/rsmf/chat-1.part01.rsmf',
        'data/review/text/JOB-000004.txt',
      ],
      ['JOB-000005', 'JOB-000004', 'claude_chat_b', 'data/review/rsmf/chat-2.part02.rsmf', ''],
      ['JOB-000006', 'JOB-000004', 'claude_chat_b', 'data/review/rsmf/chat-3.part03.rsmf', ''],
      [
        'JOB-000007',
        'JOB-000004',
        'claude_file_1',
        'data/files/claude_file_1/notes.txt',
        'data/review/text/JOB-000007.txt',
      ],
      ['JOB-000008', 'JOB-000004', 'claude_file_2', 'data/files/claude_file_2/a.png', ''],
    ]);
    expect(dat.filter((r) => r['SOURCE_ID'] === 'claude_chat_b').map((r) => r['CONVERSATION_ID'])).toEqual([
      'claude_chat_b',
      'claude_chat_b',
      'claude_chat_b',
    ]);
  });

  it('hands the renderer a chat’s attachments: its files, generated files and artifact versions', async () => {
    const seen = new Map<string, string[]>();
    const render = async (input: ConversationInput): Promise<ConversationOutput> => {
      seen.set(
        input.id,
        [...input.attachments.values()].map((a) => `${a.kind} ${a.id} ${a.bagPath}`),
      );
      return {
        rsmf: [
          {
            fileName: `${input.kind}.rsmf`.replace('chat', `c${seen.size}`),
            bytes: Buffer.from('x'),
            eventCount: 0,
            beginDate: null,
            endDate: null,
            attachmentIds: [],
          },
        ],
        transcript: '',
        messageCount: 0,
      };
    };
    await produce('as-listed', { render });
    expect(seen.get('claude_chat_b')).toEqual([
      'file claude_file_1 data/files/claude_file_1/notes.txt',
      'file claude_file_2 data/files/claude_file_2/a.png',
      'generated_file claude_gen_file_1 data/generated_files/claude_gen_file_1/out.md',
      'chat_artifact v1 data/chat_artifacts/v1.json',
    ]);
    expect(seen.get('sess_1')).toEqual([]);
  });
});
