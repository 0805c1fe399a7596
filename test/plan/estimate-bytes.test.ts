/**
 * The byte estimate is pure: the hand-made survey's counts × the per-item factors, exact to the
 * byte (figures worked out by hand from src/plan/byte-factors.ts, not by calling its code).
 */
import { describe, expect, it } from 'vitest';
import { buildPlan, type ByteLine, type ExportPlan } from '../../src/plan/index.js';
import { spec, survey } from './hand-survey.js';

const planOf = (extra = '', over: Parameters<typeof survey>[0] = {}, assume = {}): ExportPlan =>
  buildPlan({
    spec: spec(extra),
    specSha256: 'ab'.repeat(32),
    file: 'job.yaml',
    survey: survey(over),
    assume,
  });

const line = (p: ExportPlan, item: string): ByteLine => {
  const l = p.bytes.lines.find((x) => x.item === item);
  if (l === undefined) throw new Error(`no ${item} line`);
  return l;
};

describe('estimateBytes', () => {
  const plan = planOf();

  it('counts each item from its listing or the feed, and generated files by ratio', () => {
    expect(plan.bytes.lines.map((l) => [l.item, l.count, l.countFrom])).toEqual([
      ['chat', 2210, 'listed'],
      ['chat_file', 40, 'feed'],
      // no feed event names a generated file: 0.127 per chat × 2,210 chats
      ['generated_file', 281, 'assumed'],
      ['chat_artifact', 7, 'feed'],
      ['project', 4, 'listed'],
      ['project_file', 3, 'feed'],
      ['project_document', 5, 'feed'],
      ['code_artifact', 2, 'listed'],
      ['code_artifact_version', 9, 'listed'],
      ['activity', 2500, 'listed'],
      ['user', 5, 'listed'],
    ]);
    expect(plan.bytes.lines.every((l) => l.sizeFrom === 'sandbox')).toBe(true);
  });

  it('stages and ships per item: chats 2,210 × (11,359 + 763 + 446) staged, deflated to 3,957.136 each', () => {
    expect([line(plan, 'chat').staged, line(plan, 'chat').shipped]).toEqual([27_775_280, 8_745_271]);
    expect([line(plan, 'chat_file').staged, line(plan, 'chat_file').shipped]).toEqual([3_284_320, 2_710_619]);
    expect([line(plan, 'generated_file').staged, line(plan, 'generated_file').shipped]).toEqual([
      6_411_296, 3_804_750,
    ]);
  });

  it('adds the ledger per estimated request and the production layer, on both sides', () => {
    expect(plan.estimate.requests).toBe(2336);
    expect(plan.bytes.ledger).toEqual({ requests: 2336, staged: 2336 * 332 });
    // production: 28,929,686 rendered once more, plus the chat attachments embedded in the RSMFs,
    // 40 × 80,788 + 281 × 21,506 + 7 × 9,139 = 9,338,679 bytes: × 4/3 staged (base64), × 1.0 shipped
    expect(plan.bytes.production).toEqual({ staged: 41_381_258, shipped: 19_764_284 });
    expect([plan.bytes.staged, plan.bytes.shipped]).toEqual([83_989_516, 35_912_050]);
    const sum = (pick: (l: ByteLine) => number): number => plan.bytes.lines.reduce((s, l) => s + pick(l), 0);
    expect(plan.bytes.staged).toBe(
      sum((l) => l.staged) + plan.bytes.ledger.staged + plan.bytes.production.staged,
    );
    expect(plan.bytes.shipped).toBe(sum((l) => l.shipped) + plan.bytes.production.shipped);
  });

  it('ships every byte with compression: store', () => {
    const stored = planOf('archive:\n  compression: store\n');
    expect(stored.bytes.compression).toBe('store');
    expect(line(stored, 'chat').shipped).toBe(27_229_410);
    expect([stored.bytes.staged, stored.bytes.shipped]).toEqual([83_989_516, 83_582_701]);
  });

  it('keeps what state.retain keeps after a verified ship: journal and ledger, nothing, or all', () => {
    expect([plan.bytes.retain, plan.bytes.retained]).toEqual(['index', 5_505_406]);
    const none = planOf('state:\n  retain: none\n');
    expect([none.bytes.retain, none.bytes.retained]).toEqual(['none', 0]);
    const all = planOf('state:\n  retain: all\n');
    expect(all.bytes.retained).toBe(all.bytes.staged);
  });

  it('falls back to per-parent ratios without the feed', () => {
    const p = planOf('', { hints: null });
    expect(p.bytes.lines.filter((l) => l.countFrom === 'assumed').map((l) => [l.item, l.count])).toEqual([
      ['chat_file', 1010], // 0.457 × 2,210
      ['generated_file', 281],
      ['chat_artifact', 221], // 0.1 × 2,210
      ['project_file', 7], // 1.65 × 4 = 6.6
      ['project_document', 7], // 1.85 × 4 = 7.4
    ]);
  });

  it('takes --assume sizes as the payload per item', () => {
    const p = planOf('', {}, { chat_file: 1024 ** 2 });
    const files = line(p, 'chat_file');
    expect([files.sizeFrom, files.payloadPerItem]).toEqual(['assume', 1024 ** 2]);
    // 40 × (1,048,576 + 874 + 446)
    expect(files.staged).toBe(41_995_840);
    expect(line(p, 'chat').sizeFrom).toBe('sandbox');
  });

  it('estimates only what the spec includes', () => {
    const s = spec('', 'chats');
    const p = buildPlan({
      spec: s,
      specSha256: 'cd'.repeat(32),
      file: 'job.yaml',
      survey: survey({ include: ['chats'] }),
    });
    expect(p.bytes.lines.map((l) => l.item)).toEqual(['chat']);
    // a chat is a conversation: the production layer renders it once more
    expect(p.bytes.production.staged).toBe(2210 * 11_359);
  });
});
