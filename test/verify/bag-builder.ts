/** Builds a realistic sealed bag for verify tests: reports rendered from rows, a custody log, a local sink. */
import { join } from 'node:path';
import { CustodyLog, fingerprint } from '../../src/archive/custody-log.js';
import { renderReports } from '../../src/archive/render-reports.js';
import type { ItemRow } from '../../src/archive/report-rows.js';
import { sealBag } from '../../src/archive/seal-bag.js';
import { LocalSink } from '../../src/sink/local-sink.js';
import { shipArchive } from '../../src/sink/ship-archive.js';
import type { WrittenArchive } from '../../src/sink/sink.js';
import { CUT, bagInput, payloadFile, sampleFiles } from '../archive/fixtures.js';

export const REF = { name: 'legal-hold', runId: '20261122T101300Z' };
export const FOLDER = 'legal-hold-20261122T101300Z';

export async function buildArchive(
  dir: string,
  files: Record<string, Buffer> = sampleFiles(),
): Promise<WrittenArchive> {
  const log = await CustodyLog.open(join(dir, 'custody.jsonl'));
  await log.append('run_start', { operator: 'alice', host: 'h', key: fingerprint('sk-ant-test') });
  await log.append('stage_end', { stage: 'chats', items: Object.keys(files).length });
  await log.append('seal', { payloadFiles: Object.keys(files).length });
  await log.close();
  const items: ItemRow[] = Object.entries(files).map(([path, bytes], i) => {
    const f = payloadFile(path, bytes);
    return {
      docid: `LEGAL-HOLD-${String(i + 1).padStart(6, '0')}`,
      parentDocid: '',
      kind: 'file',
      id: path,
      custodian: 'alice@example.com',
      custodianNote: null,
      nativePath: `data/${path}`,
      textPath: '',
      recordPath: '',
      conversationId: '',
      sha256: f.sha256,
      md5: f.md5,
      size: f.size,
      sourceEndpoint: '/v1/x',
      records: null,
    };
  });
  const bytes = items.reduce((n, r) => n + r.size, 0);
  const rendered = await renderReports({
    spoolDir: join(dir, 'spool'),
    items,
    exceptions: [],
    drift: [],
    counts: {
      documents: items.length,
      documentsByKind: { file: items.length },
      records: 0,
      recordsByKind: {},
      payloadFiles: items.length,
      payloadBytes: bytes,
      reviewFiles: 0,
      exceptions: 0,
      retryableExceptions: 0,
      exceptionsByReason: {},
      drift: 0,
      byCustodian: [
        {
          custodian: 'alice@example.com',
          kind: 'file',
          documents: items.length,
          records: 0,
          bytes,
          exceptions: 0,
          drift: 0,
        },
      ],
    },
    summary: {
      name: REF.name,
      runId: REF.runId,
      asOfCut: CUT,
      toolVersion: '0.1.0',
      specSha256: 'ab'.repeat(32),
      startedAt: CUT,
      finishedAt: CUT,
    },
    jobYaml: 'name: legal-hold\n',
    jobResolved: { name: 'legal-hold' },
    custodyLogPath: join(dir, 'custody.jsonl'),
  });
  const input = {
    ...bagInput(files, [...rendered.tagFiles]),
    bagInfo: [
      ['As-Of-Cut', CUT],
      ['Tool-Version', '0.1.0'],
      ['Job-Spec-SHA256', 'ab'.repeat(32)],
      ['Matter', 'Doe v. Roe'],
    ] as [string, string][],
  };
  const { written } = await shipArchive(new LocalSink(join(dir, 'out')), REF, sealBag(input));
  return written;
}
