/**
 * The two files of the bag written for people rather than programs: `README.txt` at the bag root
 * (what the archive is and how to check and load it) and `reports/report.html` (one offline page:
 * counts, gaps, drift, the custody chain, activity over time, chats per custodian). Both are fed
 * from what the seal already has: the production tally, the rendered reports in the spool folder
 * (the custody snapshot the bag holds), the items rows and the activities data set.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { TagFile } from '../archive/bag-input.js';
import type { ItemRow } from '../archive/report-rows.js';
import { bufferTagFile, type RenderedReports } from '../archive/render-reports.js';
import { LOAD_FILE_COLUMNS } from '../produce/load-file.js';
import { countActivities, jsonLines } from '../produce/people/activity-timeline.js';
import { renderReadmeTxt } from '../produce/people/readme-txt.js';
import { renderReportHtml } from '../produce/people/report-html.js';
import type { ChatListing, PeopleSummary } from '../produce/people/types.js';
import type { StagingStore } from '../store/index.js';
import { driftRows, exceptionRows } from './report-sources.js';
import type { StagedPayload } from './seal-step.js';

/** The activities data set's path under `data/` (a JSONL aggregate). */
const ACTIVITIES = 'activities/activities.jsonl';

export async function renderPeopleFiles(
  store: StagingStore,
  payload: StagedPayload,
  rendered: Pick<RenderedReports, 'summary'>,
): Promise<TagFile[]> {
  const { spec } = payload;
  const s = rendered.summary;
  const summary: PeopleSummary = {
    name: s.name,
    runId: s.runId,
    asOfCut: s.asOfCut,
    matter: s.matter ?? null,
    status: s.status,
    toolVersion: s.toolVersion,
    specSha256: s.specSha256,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    counts: {
      documents: s.counts.documents,
      records: s.counts.records,
      payloadFiles: s.counts.payloadFiles,
      payloadBytes: s.counts.payloadBytes,
      exceptions: s.counts.exceptions,
      retryableExceptions: s.counts.retryableExceptions,
      drift: s.counts.drift,
    },
  };
  const activities = payload.bag.aggregates.get(ACTIVITIES);
  const timeline =
    activities === undefined ? null : await countActivities(jsonLines(store.blobs.open(activities.sha256)));
  const html = await renderReportHtml({
    spec,
    summary,
    counts: payload.counts.byCustodian,
    exceptions: exceptionRows(store),
    drift: driftRows(store),
    custodyLines: custodyLines(join(store.dir, 'reports', 'custody.jsonl')),
    timeline,
    chats: chatListings(payload.items()),
  });
  const readme = renderReadmeTxt({ spec, summary, datColumns: LOAD_FILE_COLUMNS });
  return [bufferTagFile('README.txt', readme), bufferTagFile('reports/report.html', html)];
}

/** The custody snapshot the bag holds, line by line (an over-long line is shown as a break). */
async function* custodyLines(path: string): AsyncGenerator<string> {
  for await (const line of jsonLines(createReadStream(path))) yield line ?? '';
}

/** The chats (and their first RSMF part only) among the items rows, for the per-custodian list. */
async function* chatListings(items: AsyncIterable<ItemRow>): AsyncGenerator<ChatListing> {
  for await (const row of items) {
    if (row.kind !== 'chat' || row.parentDocid !== '') continue;
    const listing: ChatListing = {
      custodian: row.custodian,
      custodianNote: row.custodianNote,
      docid: row.docid,
      name: row.originalName ?? null,
      createdAt: row.createdAt ?? null,
      updatedAt: row.updatedAt ?? null,
      textPath: row.textPath === '' ? null : row.textPath,
      deleted: row.deletedAt !== null && row.deletedAt !== undefined,
    };
    yield listing;
  }
}
