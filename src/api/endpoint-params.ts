import type { TimeRange } from './types.js';

/**
 * Query parameters per endpoint, spelled as the API spells them (compliance-api.md §2.1); arrays
 * are sent as `name[]`, ranges as `name.op`. Cursors and page tokens are NOT here: the walkers own
 * them (pass `resumeFrom` instead). Declared as type aliases so they fit QueryParams.
 */
export type ActivityListParams = {
  activity_types?: readonly string[];
  exclude_activity_types?: readonly string[];
  actor_ids?: readonly string[];
  user_ids?: readonly string[];
  organization_ids?: readonly string[];
  created_at?: TimeRange;
  /** Default 100, max 5000. */
  limit?: number;
  /** Default `desc` (newest first). */
  order?: 'asc' | 'desc';
};

/** §2.2: org-wide (no user_ids) may order by updated_at; per-user (1-10 ids) only by created_at. */
export type ChatListParams = {
  user_ids?: readonly string[];
  organization_ids?: readonly string[];
  project_ids?: readonly string[];
  created_at?: TimeRange;
  updated_at?: TimeRange;
  order_by?: 'created_at' | 'updated_at';
  /** Default 100, max 1000. */
  limit?: number;
};

export type ChatMessagesParams = {
  created_at?: TimeRange;
  updated_at?: TimeRange;
  /** No default: leaving it out returns every message in one response. Max 1000. */
  limit?: number;
  order?: 'asc' | 'desc';
  /** Default 10000; -1 lifts the cap (do that for an export: a cut input is no longer JSON, §3.9). */
  tool_use_input_max_chars?: number;
  tool_result_max_chars?: number;
};

export type PageParams = {
  limit?: number;
};

export type ProjectListParams = {
  user_ids?: readonly string[];
  organization_ids?: readonly string[];
  created_at?: TimeRange;
  updated_at?: TimeRange;
  /** Default 20, max 100. */
  limit?: number;
};

export type GroupListParams = {
  name_prefix?: string;
  limit?: number;
};

/** Leave `updated_at` out for a complete enumeration (§4.2: the index is eventually consistent). */
export type CodeArtifactListParams = {
  organization_ids?: readonly string[];
  user_ids?: readonly string[];
  updated_at?: TimeRange;
  limit?: number;
};

export type CodeArtifactDownloadParams = {
  /** `zip` returns multi-file versions as a ZIP (required for Claude Docs current content). */
  multi_file_format?: 'zip';
};

/** Local sessions accept only created_at.gte and created_at.lt, with an offset (§2.1 #24). */
export type LocalSessionListParams = {
  created_at?: { gte?: string; lt?: string };
  limit?: number;
};

export type RemoteSessionListParams = {
  organization_ids?: readonly string[];
  user_ids?: readonly string[];
  created_at?: TimeRange;
  limit?: number;
};

export type SessionMessagesParams = {
  limit?: number;
  order?: 'asc' | 'desc';
  /** -1 means the server maximum (about 1 MiB); 0 is a 400. */
  tool_use_input_max_bytes?: number;
  tool_result_max_bytes?: number;
};
