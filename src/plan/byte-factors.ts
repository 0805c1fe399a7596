/**
 * Bytes per item, for `plan`'s disk estimate. No listing `plan` walks carries a size: chat lists
 * (compliance-api.md §3.8), project lists (§3.13) and code-artifact lists with their versions
 * (§3.15) have none; sizes appear only in message pages (`FileRef.size_bytes`, §3.9), per-item
 * metadata (§3.10-3.12, §3.14) and project attachment pages, which are content or per-parent
 * walks the plan does not make. So the plan counts items from listings (or the activity feed) and
 * multiplies by the per-item figures below, always shown as assumed (≈) and overridable with
 * `plan --assume <item>=<size>`.
 *
 * How they were measured: a full run of the sandbox's `medium` profile (seed 1, every kind,
 * sessions included, `compression: auto`, `state.retain: all`, local destination) at commit
 * a551042; 600 chats, 4,700 messages, 348 files, 1,993 requests; state folder 48,989,200 bytes
 * (blobs 43.7 MB, journal 3.10 MB, report spool 1.51 MB, request ledger 0.66 MB), zip
 * 29,722,212 bytes. Each journal record was attributed to its kind (its line, its payload files'
 * sizes), each zip entry to its `data/<kind>/` folder (stored and deflated sizes from the central
 * directory), and each blob of a file or generated file classified as text-like (valid UTF-8,
 * no NUL in its first 8 KiB) or binary. Figures are per item the plan counts: the report spool,
 * manifest lines and zip headers are spread over items by the records and files they produce.
 * The sandbox's sizes are synthetic (chats of 2-10 messages, uploads of 0.2-60 KB plus a few
 * of several MB): a real organization's mix can differ by several times, hence `--assume`.
 */

/** What one counted item puts in the state folder and in the zip. */
export interface ItemFactor {
  /** Content bytes it stages as blobs (its natives, its documents, their metadata). */
  readonly blob: number;
  /** Payload bytes it puts under the bag's `data/` uncompressed (aggregated rows included). */
  readonly payload: number;
  /** Deflated size of that payload over its stored size, when compressed (auto, deflate). */
  readonly deflateRatio: number;
  /** Payload files it adds to the bag (one manifest line and one zip entry each). */
  readonly files: number;
  /** Journal records it adds (one report-spool row each). */
  readonly records: number;
  /** Journal bytes it adds: what `state.retain: index` keeps of it. */
  readonly journal: number;
  /** Share of its payload the production layer renders again (conversations, text-like natives). */
  readonly produced: number;
  /**
   * Share of its payload copied into its chat's RSMF (the `rsmf.zip` attachment, base64 in the
   * `.rsmf`: 4/3 of the bytes staged; it ships at OVERHEAD.embeddedShippedRatio of the raw bytes).
   */
  readonly embedded: number;
  /** Files the production layer adds per item (an RSMF file and a transcript per conversation). */
  readonly producedFiles: number;
}

/** The items the plan counts, with the factor of each (medium profile, per item). */
export const ITEM_FACTORS = {
  // data/chats/<id>.json: the chat and all its messages
  chat: {
    blob: 11_359,
    payload: 11_359,
    deflateRatio: 0.304,
    files: 1,
    records: 1,
    journal: 763,
    produced: 1,
    embedded: 0,
    producedFiles: 2,
  },
  // an uploaded file: its bytes and metadata.json (28.1 MB over 348 files, 62% of it in the 6
  // of several MB); 21.8% of the bytes are text-like
  chat_file: {
    blob: 80_788,
    payload: 80_788,
    deflateRatio: 0.828,
    files: 2,
    records: 1,
    journal: 874,
    produced: 0.218,
    embedded: 1,
    producedFiles: 0,
  },
  // a project file goes through the same files endpoints and the same store layout; the
  // production layer renders conversations and their attachments, not project files
  project_file: {
    blob: 80_788,
    payload: 80_788,
    deflateRatio: 0.828,
    files: 2,
    records: 1,
    journal: 874,
    produced: 0,
    embedded: 0,
    producedFiles: 0,
  },
  generated_file: {
    blob: 21_506,
    payload: 21_506,
    deflateRatio: 0.589,
    files: 2,
    records: 1,
    journal: 864,
    produced: 0.506,
    embedded: 1,
    producedFiles: 0,
  },
  // per artifact the feed names: 1.83 versions each (110 versions of 60 artifacts)
  chat_artifact: {
    blob: 9_139,
    payload: 9_139,
    deflateRatio: 0.348,
    files: 1.83,
    records: 1.83,
    journal: 1_313,
    produced: 1,
    embedded: 1,
    producedFiles: 0,
  },
  // project.json, attachments.jsonl, collaborators.jsonl
  project: {
    blob: 1_579,
    payload: 1_579,
    deflateRatio: 0.431,
    files: 3,
    records: 1,
    journal: 1_095,
    produced: 0,
    embedded: 0,
    producedFiles: 0,
  },
  project_document: {
    blob: 3_099,
    payload: 3_099,
    deflateRatio: 0.431,
    files: 2,
    records: 1,
    journal: 1_001,
    produced: 0,
    embedded: 0,
    producedFiles: 0,
  },
  code_artifact: {
    blob: 677,
    payload: 677,
    deflateRatio: 0.291,
    files: 1,
    records: 1,
    journal: 561,
    produced: 0,
    embedded: 0,
    producedFiles: 0,
  },
  code_artifact_version: {
    blob: 14_576,
    payload: 14_576,
    deflateRatio: 0.291,
    files: 1,
    records: 1,
    journal: 835,
    produced: 0,
    embedded: 0,
    producedFiles: 0,
  },
  // a row of data/activities/activities.jsonl; staged inside its journal line, not as a blob
  activity: {
    blob: 0,
    payload: 527,
    deflateRatio: 0.192,
    files: 0,
    records: 1,
    journal: 1_092,
    produced: 0,
    embedded: 0,
    producedFiles: 0,
  },
  // a local or remote session's transcript
  session: {
    blob: 9_577,
    payload: 9_577,
    deflateRatio: 0.299,
    files: 1,
    records: 1,
    journal: 698,
    produced: 1,
    embedded: 0,
    producedFiles: 2,
  },
  // the directory per listed user: organizations, users, roles, groups, members and settings
  user: {
    blob: 92,
    payload: 462,
    deflateRatio: 0.234,
    files: 0.06,
    records: 1.71,
    journal: 1_209,
    produced: 0,
    embedded: 0,
    producedFiles: 0,
  },
} as const satisfies Record<string, ItemFactor>;

export type ByteItem = keyof typeof ITEM_FACTORS;

/** Items whose size `--assume` may set: those with content of their own (not aggregate rows). */
export const ASSUMABLE_ITEMS: readonly ByteItem[] = [
  'chat',
  'chat_file',
  'project_file',
  'generated_file',
  'chat_artifact',
  'project_document',
  'code_artifact_version',
  'session',
];

/** Overheads that do not belong to one item (same run as above). */
export const OVERHEAD = {
  /** `requests.jsonl`: one line per attempt (662,536 bytes for 1,993 requests). */
  ledgerPerRequest: 332,
  /** The report spool per journal record (1,510,341 bytes for 3,384 records), staged and stored. */
  reportPerRecord: 446,
  /** The same rows in the zip, deflated (457,712 bytes). */
  reportPerRecordDeflated: 135,
  /** manifest-md5 and manifest-sha256 lines per payload file (568,068 bytes for 2,318 files). */
  manifestPerFile: 245,
  manifestPerFileDeflated: 98,
  /** Zip local header, data descriptor and central-directory entry per entry (632,816 for 2,338). */
  zipPerEntry: 271,
  /**
   * The production layer's output (RSMF, transcripts, load file) deflates like the chats it is
   * rendered from; it is not in the measured run, so this is the chat documents' ratio.
   */
  producedDeflateRatio: 0.304,
  /**
   * A chat attachment embedded in its RSMF ships at about its own size: base64 (4/3) of bytes
   * mostly compressed already, deflated back to ~0.76 of that (small profile, seed 1: 16.0 MB of
   * RSMF, 12.1 MB in the zip).
   */
  embeddedShippedRatio: 1.0,
} as const;

/**
 * Counts the feed did not give (no activities scope, or a type-filtered feed), per listed
 * parent: medium profile, from the same run's feed hints and listings.
 */
export const FALLBACK_RATIOS = {
  /** 274 uploads the feed names over 600 chats. */
  chatFilesPerChat: 0.457,
  /** 76 generated files over 600 chats: no feed event names them, so this is always assumed. */
  generatedFilesPerChat: 0.127,
  /** 60 artifacts over 600 chats. */
  chatArtifactsPerChat: 0.1,
  /** 66 project files over 40 projects. */
  projectFilesPerProject: 1.65,
  /** 74 project documents over 40 projects. */
  projectDocumentsPerProject: 1.85,
} as const;
