/**
 * Bytes a run would stage (the state folder at its peak) and ship (the zip), from the plan's
 * counts (pure). Counts come from listings, or from the activity feed's hints, or where neither
 * has them from a per-parent ratio; the bytes per item are always assumed (./byte-factors.ts: no
 * listing carries a size), so every byte figure is ≈ and each line says where its count came
 * from. The production layer (RSMF files, transcripts, a DAT load file under `data/review/`) is
 * a named line of its own: about the conversations and their text-like natives once more.
 */
import { retainOf, type ResolvedJobSpec } from '../spec/types.js';
import { FALLBACK_RATIOS, ITEM_FACTORS, OVERHEAD, type ByteItem, type ItemFactor } from './byte-factors.js';
import type { ActivityHints, ByteEstimate, ByteLine, CountFrom, KindCounts } from './types.js';

export type SizeOverrides = Readonly<Partial<Record<ByteItem, number>>>;

export interface ByteEstimateInput {
  readonly spec: ResolvedJobSpec;
  /** Kinds the run collects (the spec's, minus scope gaps). */
  readonly include: ReadonlySet<string>;
  readonly totals: KindCounts;
  readonly hints: ActivityHints | null;
  /** The request estimate's total: the ledger grows by one line per request. */
  readonly requests: number;
  /** `--assume item=size`: payload bytes per item instead of the measured default. */
  readonly assume?: SizeOverrides;
}

interface Counted {
  readonly item: ByteItem;
  readonly count: number;
  readonly countFrom: CountFrom;
  readonly basis: string;
}

const num = (n: number): string => n.toLocaleString('en-US');
const pct = (ratio: number): string => `${Math.round(ratio * 100)}%`;

/** Which items a run collects and how many, with where each count came from. */
function countItems(input: ByteEstimateInput): Counted[] {
  const { include, totals, hints } = input;
  const listed = (item: ByteItem, count: number, what: string): Counted => ({
    item,
    count,
    countFrom: 'listed',
    basis: `${num(count)} ${what} listed`,
  });
  const hinted = (
    item: ByteItem,
    hint: number | undefined,
    parents: number,
    ratio: number,
    what: string,
    per: string,
  ): Counted =>
    hint !== undefined
      ? { item, count: hint, countFrom: 'feed', basis: `${num(hint)} ${what} named in the activity feed` }
      : {
          item,
          count: Math.round(parents * ratio),
          countFrom: 'assumed',
          basis: `≈${ratio} ${what} per ${per} × ${num(parents)}`,
        };
  const out: Counted[] = [];
  const chats = totals.chats ?? 0;
  const projects = totals.projects ?? 0;
  if (include.has('chats')) {
    out.push(listed('chat', chats, 'chats'));
    if (include.has('files'))
      out.push(
        hinted('chat_file', hints?.chatFiles, chats, FALLBACK_RATIOS.chatFilesPerChat, 'uploads', 'chat'),
      );
    if (include.has('generated_files'))
      out.push(
        hinted(
          'generated_file',
          undefined,
          chats,
          FALLBACK_RATIOS.generatedFilesPerChat,
          'generated files',
          'chat',
        ),
      );
    if (include.has('chat_artifacts'))
      out.push(
        hinted(
          'chat_artifact',
          hints?.chatArtifacts,
          chats,
          FALLBACK_RATIOS.chatArtifactsPerChat,
          'artifacts',
          'chat',
        ),
      );
  }
  if (include.has('projects')) {
    out.push(listed('project', projects, 'projects'));
    out.push(
      hinted(
        'project_file',
        hints?.projectFiles,
        projects,
        FALLBACK_RATIOS.projectFilesPerProject,
        'project files',
        'project',
      ),
      hinted(
        'project_document',
        hints?.projectDocuments,
        projects,
        FALLBACK_RATIOS.projectDocumentsPerProject,
        'project documents',
        'project',
      ),
    );
  }
  if (include.has('code_artifacts')) {
    out.push(listed('code_artifact', totals.code_artifacts ?? 0, 'code artifacts'));
    out.push(listed('code_artifact_version', totals.code_artifact_versions ?? 0, 'versions'));
  }
  if (include.has('activities')) out.push(listed('activity', totals.activities ?? 0, 'activities'));
  if (include.has('sessions'))
    out.push(listed('session', (totals.local_sessions ?? 0) + (totals.remote_sessions ?? 0), 'sessions'));
  if (include.has('directory')) out.push(listed('user', totals.users ?? 0, 'users'));
  return out;
}

/** The factor with its payload (and blob) set to an override, everything else as measured. */
function withOverride(f: ItemFactor, payload: number | undefined): ItemFactor {
  return payload === undefined ? f : { ...f, blob: payload, payload };
}

/** Per item: staged, shipped (at the compression), kept under `index`, produced (raw). */
function perItem(f: ItemFactor, compressed: boolean) {
  const staged = f.blob + f.journal + f.records * OVERHEAD.reportPerRecord;
  const shipped = compressed
    ? f.payload * f.deflateRatio +
      f.files * (OVERHEAD.manifestPerFileDeflated + OVERHEAD.zipPerEntry) +
      f.records * OVERHEAD.reportPerRecordDeflated
    : f.payload +
      f.files * (OVERHEAD.manifestPerFile + OVERHEAD.zipPerEntry) +
      f.records * OVERHEAD.reportPerRecord;
  return {
    staged,
    shipped,
    index: f.journal,
    produced: f.payload * f.produced,
    embedded: f.payload * f.embedded,
  };
}

export function estimateBytes(input: ByteEstimateInput): ByteEstimate {
  const compression = input.spec.archive.compression;
  const compressed = compression !== 'store';
  const assume = input.assume ?? {};
  const lines: ByteLine[] = [];
  let producedRaw = 0;
  let producedFiles = 0;
  let embedded = 0;
  for (const c of countItems(input)) {
    const override = assume[c.item];
    const factor = withOverride(ITEM_FACTORS[c.item], override);
    const each = perItem(factor, compressed);
    producedRaw += c.count * each.produced;
    embedded += c.count * each.embedded;
    producedFiles += c.count * factor.producedFiles;
    lines.push({
      ...c,
      sizeFrom: override === undefined ? 'sandbox' : 'assume',
      payloadPerItem: factor.payload,
      staged: Math.round(c.count * each.staged),
      shipped: Math.round(c.count * each.shipped),
      index: Math.round(c.count * each.index),
    });
  }
  const ledger = Math.round(input.requests * OVERHEAD.ledgerPerRequest);
  const fileOverhead = compressed
    ? OVERHEAD.manifestPerFileDeflated + OVERHEAD.zipPerEntry
    : OVERHEAD.manifestPerFile + OVERHEAD.zipPerEntry;
  const production = {
    staged: Math.round(producedRaw + (embedded * 4) / 3),
    shipped: Math.round(
      producedRaw * (compressed ? OVERHEAD.producedDeflateRatio : 1) +
        embedded * (compressed ? OVERHEAD.embeddedShippedRatio : 4 / 3) +
        producedFiles * fileOverhead,
    ),
  };
  const sum = (pick: (l: ByteLine) => number): number => lines.reduce((s, l) => s + pick(l), 0);
  const staged = sum((l) => l.staged) + ledger + production.staged;
  const index = sum((l) => l.index) + ledger;
  const retain = retainOf(input.spec);
  return {
    compression,
    retain,
    lines,
    ledger: { requests: input.requests, staged: ledger },
    production,
    staged,
    shipped: sum((l) => l.shipped) + production.shipped,
    retained: retain === 'all' ? staged : retain === 'index' ? index : 0,
    assumptions: [
      'bytes per item measured on the sandbox’s medium profile (src/plan/byte-factors.ts) unless set with --assume',
      compressed
        ? `compression ${compression}: each kind deflates as it did there (chats to ` +
          `${pct(ITEM_FACTORS.chat.deflateRatio)}, files to ${pct(ITEM_FACTORS.chat_file.deflateRatio)})`
        : 'compression store: the zip holds every payload byte as is',
      'production layer (RSMF, transcripts, load file): the chats and sessions and their text-like natives once more, and every chat attachment again inside its chat’s RSMF, staged and shipped',
    ],
  };
}
