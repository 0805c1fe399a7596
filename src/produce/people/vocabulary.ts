/**
 * What the codes in the reports mean, in words a reviewer can act on: one entry per exception
 * reason and drift change (the compiler checks the tables are complete), and the load-file
 * columns. README.txt and report.html both read these, so they cannot say different things.
 */
import type { DriftChange, ExceptionReason } from '../../archive/report-rows.js';

/** Exception reason → one sentence (compliance-api.md §5 for the API behaviour behind each). */
export const REASON_TEXT: Readonly<Record<ExceptionReason, string>> = {
  not_found_after_listing: 'listed by the API, then 404 when fetched (deleted or moved meanwhile)',
  deleted_during_export: 'deleted in Claude while the export ran',
  permanent_server_error: 'the API kept failing with a server error for this item',
  checksum_mismatch: "the bytes received did not match the API's checksum; nothing was kept",
  body_truncated: 'the response ended early; nothing was kept',
  version_rotated: 'the version listed was replaced before it could be fetched',
  content_unavailable: 'the API has no content for this item now (a rerun may find it)',
  file_set_unavailable: "the API could not serve the item's file set",
  scope_missing: 'the access key lacks the scope this kind of content needs',
  custodian_not_found: 'a custodian named in the job was not found in any organization',
  retries_exhausted: 'every retry failed (rate limits, timeouts); a rerun may capture it',
  unresolved_drift: 'still changing after the last quiescence pass; held at its latest state',
  served_copy_differs:
    'HELD, with a caveat: the served bytes differ from the listed size/hash (a processed copy)',
  response_too_large: 'the response passed its size cap; nothing was kept',
  pagination_loop: 'a listing repeated a cursor or never ended; items after that point are missing',
  unsafe_zip_entries:
    'HELD, with a caveat: a ZIP whose entry names escape their folder; never extract it blindly',
  session_pending: 'a remote session not started yet: no transcript until it runs',
  review_copy_unavailable:
    'HELD, with a caveat: its API JSON is in data/, but it could not be rendered as RSMF or text',
};

/** Drift change → one sentence. */
export const DRIFT_TEXT: Readonly<Record<DriftChange, string>> = {
  created_after_cut: 'created after the as-of cut: not in data/',
  updated_after_cut: 'changed after the cut: data/ holds the latest state (before/after hashes given)',
  deleted_after_cut: 'deleted after the cut: data/ keeps the state captured before',
  deleted_since_previous:
    'gone since the previous snapshot: no longer listed or referenced, so not in the inventory of this snapshot',
};

/** Load-file columns the README explains; a column not listed here is named without a note. */
export const DAT_COLUMN_TEXT: Readonly<Record<string, string>> = {
  DOCID: 'document id, <PREFIX>-000001..., unique and stable for this archive',
  PARENT_DOCID: 'the family parent: a chat for its files and artifacts, a project for its documents',
  CUSTODIAN: 'email (else user id) of the person the document belongs to',
  CUSTODIAN_NOTE: 'why CUSTODIAN is empty: api_user_null (the API gave no user) or org_level',
  KIND: 'chat, file, generated_file, chat_artifact, project, project_document, ...',
  SOURCE_ID: 'the id the Compliance API uses for the item',
  FILENAME: 'the original file name or title, as the API gave it',
  DATE_CREATED: 'RFC 3339, UTC',
  DATE_MODIFIED: 'RFC 3339, UTC',
  DATE_DELETED: 'RFC 3339, UTC, when the API reports the item soft-deleted',
  MD5HASH: 'MD5 of the native file',
  SHA256HASH: 'SHA-256 of the native file (as in manifest-sha256.txt)',
  FILESIZE: 'size of the native file in bytes',
  NATIVEPATH: 'the native file, relative to the bag root (a chat: its RSMF file)',
  TEXTPATH: 'extracted text, relative to the bag root; empty when there is none',
  CONVERSATION_ID: 'the chat or session id shared by every part of a split conversation',
};
