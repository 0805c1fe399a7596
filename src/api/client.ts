import { setMaxListeners } from 'node:events';
import { ExportError } from '../errors.js';
import { assembleClient, type ComplianceClientOptions } from './client-options.js';
import type { Clock } from './clock.js';
import {
  streamDownload,
  type DownloadExpectations,
  type DownloadResult,
  type DownloadSink,
} from './download.js';
import type * as P from './endpoint-params.js';
import { fetchJson, type JsonResult } from './fetch-json.js';
import {
  walkCursor,
  walkPageToken,
  type CursorWalkOptions,
  type Page,
  type WalkOptions,
} from './paginate.js';
import type { QueryParams } from './query.js';
import type { RateBudget, RateBudgetSnapshot } from './rate-budget.js';
import type { ClientStats, RequestExecutor } from './request-executor.js';
import {
  fetchTextContent,
  mergeChatMessagePages,
  toRecordResult,
  type ChatWithMessages,
  type RecordResult,
  type TextContentResult,
  type TextExpectations,
} from './results.js';
import type { Transport } from './transport.js';
import type * as T from './types.js';

type Opts = { signal?: AbortSignal | undefined };
/**
 * One URL path segment from an id the API gave (untrusted). encodeURIComponent leaves `.` alone,
 * so an id of `.` or `..` would become a dot-segment and address another endpoint: all-dot ids
 * are sent percent-encoded.
 */
const seg = (id: string, what: string): string => {
  if (typeof id !== 'string' || id === '')
    throw new ExportError('usage', `${what} must be a non-empty string`);
  return /^\.+$/u.test(id) ? id.replace(/\./gu, '%2E') : encodeURIComponent(id);
};

export class ComplianceClient {
  readonly keyFingerprint: string;
  private readonly executor: RequestExecutor;
  private readonly transport: Transport;
  private readonly budget: RateBudget;
  private readonly clock: Clock;
  private readonly closer = new AbortController();

  constructor(options: ComplianceClientOptions) {
    // every waiting request listens for close(): many are normal, not a leak
    setMaxListeners(0, this.closer.signal);
    ({
      executor: this.executor,
      transport: this.transport,
      budget: this.budget,
      clock: this.clock,
      keyFingerprint: this.keyFingerprint,
    } = assembleClient(options, this.closer.signal));
  }

  /** Whether a string a server gave (a cursor, say) carries the key or a slice of it. */
  holdsSecret(text: string): boolean {
    return this.executor.redact(text) !== text;
  }

  /** The client's one redactor, for text built from server data outside it (report details). */
  redact(text: string): string {
    return this.executor.redact(text);
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private get(path: string, params: QueryParams = {}, opts: Opts = {}): Promise<JsonResult> {
    return fetchJson(this.executor, this.clock, path, params, { signal: opts.signal });
  }

  private async one<R>(path: string, params: QueryParams = {}, opts: Opts = {}): Promise<RecordResult<R>> {
    return toRecordResult<R>(await this.get(path, params, opts));
  }

  private cursor<R>(
    path: string,
    params: QueryParams,
    key: string,
    walk: CursorWalkOptions,
  ): AsyncGenerator<Page<R>> {
    return walkCursor<R>(
      (p, signal) => this.get(path, p, { signal }),
      params,
      key,
      walk,
      this.executor.redact,
    );
  }

  private token<R>(path: string, params: QueryParams, walk: WalkOptions): AsyncGenerator<Page<R>> {
    const fetchPage = (p: QueryParams, signal: AbortSignal | undefined): Promise<JsonResult> =>
      this.get(path, p, { signal });
    return walkPageToken<R>(fetchPage, params, 'data', walk, this.executor.redact);
  }

  private textContent<R extends { content: string }>(
    path: string,
    expect: TextExpectations,
  ): Promise<TextContentResult<R>> {
    return fetchTextContent<R>(this.executor, this.clock, path, expect);
  }

  // ---- directory (§3.2-3.6) -------------------------------------------------------------------

  listOrganizations(params: P.PageParams = {}, walk: WalkOptions = {}): AsyncGenerator<Page<T.Organization>> {
    return this.token('/organizations', params, walk);
  }
  listUsers(
    orgUuid: string,
    params: P.PageParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.User>> {
    return this.token(`/organizations/${seg(orgUuid, 'orgUuid')}/users`, params, walk);
  }
  listRoles(
    orgUuid: string,
    params: P.PageParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.Role>> {
    return this.token(`/organizations/${seg(orgUuid, 'orgUuid')}/roles`, params, walk);
  }
  getRole(orgUuid: string, roleId: string, opts: Opts = {}): Promise<RecordResult<T.Role>> {
    return this.one(`/organizations/${seg(orgUuid, 'orgUuid')}/roles/${seg(roleId, 'roleId')}`, {}, opts);
  }
  listRolePermissions(
    orgUuid: string,
    roleId: string,
    params: P.PageParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.Permission>> {
    return this.token(
      `/organizations/${seg(orgUuid, 'orgUuid')}/roles/${seg(roleId, 'roleId')}/permissions`,
      params,
      walk,
    );
  }
  /** Must target a linked org, not the parent (§3.6). */
  getSettings(organizationId: string, opts: Opts = {}): Promise<RecordResult<T.EffectiveSettings>> {
    return this.one(`/organizations/${seg(organizationId, 'organizationId')}/settings`, {}, opts);
  }
  listGroups(params: P.GroupListParams = {}, walk: WalkOptions = {}): AsyncGenerator<Page<T.Group>> {
    return this.token('/groups', params, walk);
  }
  getGroup(groupId: string, opts: Opts = {}): Promise<RecordResult<T.Group>> {
    return this.one(`/groups/${seg(groupId, 'groupId')}`, {}, opts);
  }
  listGroupMembers(
    groupId: string,
    params: P.PageParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.GroupMember>> {
    return this.token(`/groups/${seg(groupId, 'groupId')}/members`, params, walk);
  }

  // ---- activities and chats (§3.7-3.12) -------------------------------------------------------

  listActivities(
    params: P.ActivityListParams = {},
    walk: CursorWalkOptions = {},
  ): AsyncGenerator<Page<T.Activity>> {
    return this.cursor('/activities', params, 'data', walk);
  }
  listChats(params: P.ChatListParams = {}, walk: CursorWalkOptions = {}): AsyncGenerator<Page<T.Chat>> {
    return this.cursor('/apps/chats', params, 'data', walk);
  }
  /** Pages of a chat's messages; each page's `envelope` holds the chat metadata. */
  chatMessagePages(
    chatId: string,
    params: P.ChatMessagesParams = {},
    walk: CursorWalkOptions = {},
  ): AsyncGenerator<Page<T.ChatMessage>> {
    return this.cursor(`/apps/chats/${seg(chatId, 'chatId')}/messages`, params, 'chat_messages', walk);
  }
  /** A chat's metadata and all its messages (every page merged). */
  getChatMessages(
    chatId: string,
    params: P.ChatMessagesParams = {},
    opts: Opts = {},
  ): Promise<ChatWithMessages> {
    return mergeChatMessagePages(this.chatMessagePages(chatId, params, { signal: opts.signal }));
  }
  getFileMetadata(fileId: string, opts: Opts = {}): Promise<RecordResult<T.FileMetadata>> {
    return this.one(`/apps/chats/files/${seg(fileId, 'fileId')}`, {}, opts);
  }
  /** Chat and project files. Verified against Content-MD5 and the given metadata md5/size. */
  downloadFile(
    fileId: string,
    sink: DownloadSink,
    expect: DownloadExpectations = {},
  ): Promise<DownloadResult> {
    return streamDownload(
      this.executor,
      this.clock,
      `/apps/chats/files/${seg(fileId, 'fileId')}/content`,
      {},
      sink,
      expect,
    );
  }
  getGeneratedFileMetadata(
    genFileId: string,
    opts: Opts = {},
  ): Promise<RecordResult<T.GeneratedFileMetadata>> {
    return this.one(`/apps/chats/generated-files/${seg(genFileId, 'genFileId')}`, {}, opts);
  }
  /**
   * Bytes of a `generated_files` entry. Routed by prefix (§3.9): `claude_file_` ids go to the files
   * endpoint, everything else to the generated-files endpoint.
   */
  downloadGeneratedFile(
    id: string,
    sink: DownloadSink,
    expect: DownloadExpectations = {},
  ): Promise<DownloadResult> {
    if (id.startsWith('claude_file_')) return this.downloadFile(id, sink, expect);
    return streamDownload(
      this.executor,
      this.clock,
      `/apps/chats/generated-files/${seg(id, 'genFileId')}/content`,
      {},
      sink,
      expect,
    );
  }
  /** Takes the artifact VERSION id (`claude_artifact_version_...`), not the artifact id. */
  getArtifactVersion(versionId: string, opts: Opts = {}): Promise<RecordResult<T.ArtifactVersionMetadata>> {
    return this.one(`/apps/artifacts/${seg(versionId, 'versionId')}`, {}, opts);
  }
  /** JSON `{content, title, artifact_type}`; md5/size are checked over `content`'s UTF-8 bytes (§3.12). */
  getArtifactContent(
    versionId: string,
    expect: TextExpectations = {},
  ): Promise<TextContentResult<T.ArtifactContent>> {
    return this.textContent(`/apps/artifacts/${seg(versionId, 'versionId')}/content`, expect);
  }

  // ---- projects (§3.13-3.14) ------------------------------------------------------------------

  listProjects(params: P.ProjectListParams = {}, walk: WalkOptions = {}): AsyncGenerator<Page<T.Project>> {
    return this.token('/apps/projects', params, walk);
  }
  getProject(projectId: string, opts: Opts = {}): Promise<RecordResult<T.ProjectDetail>> {
    return this.one(`/apps/projects/${seg(projectId, 'projectId')}`, {}, opts);
  }
  listProjectAttachments(
    projectId: string,
    params: P.PageParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.ProjectAttachment>> {
    return this.token(`/apps/projects/${seg(projectId, 'projectId')}/attachments`, params, walk);
  }
  listProjectCollaborators(
    projectId: string,
    params: P.PageParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.ProjectCollaborator>> {
    return this.token(`/apps/projects/${seg(projectId, 'projectId')}/collaborators`, params, walk);
  }
  /** Document content (JSON with a `content` string), checked against metadata md5/size_bytes when given. */
  getProjectDocument(
    documentId: string,
    expect: TextExpectations = {},
  ): Promise<TextContentResult<T.ProjectDocument>> {
    return this.textContent(`/apps/projects/documents/${seg(documentId, 'documentId')}`, expect);
  }
  getProjectDocumentMetadata(
    documentId: string,
    opts: Opts = {},
  ): Promise<RecordResult<T.ProjectDocumentMetadata>> {
    return this.one(`/apps/projects/documents/${seg(documentId, 'documentId')}/metadata`, {}, opts);
  }

  // ---- code artifacts (§3.15) -----------------------------------------------------------------

  /** Pages may be short or empty while next_page is set; the walk ends only when it is absent. */
  listCodeArtifacts(
    params: P.CodeArtifactListParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.CodeArtifact>> {
    return this.token('/apps/code/artifacts', params, walk);
  }
  downloadCodeArtifactVersion(
    artifactId: string,
    versionId: string,
    sink: DownloadSink,
    params: P.CodeArtifactDownloadParams = {},
    expect: DownloadExpectations = {},
  ): Promise<DownloadResult> {
    const path = `/apps/code/artifacts/${seg(artifactId, 'artifactId')}/versions/${seg(versionId, 'versionId')}`;
    return streamDownload(this.executor, this.clock, path, params, sink, expect);
  }
  downloadCodeArtifactContent(
    artifactId: string,
    sink: DownloadSink,
    params: P.CodeArtifactDownloadParams = {},
    expect: DownloadExpectations = {},
  ): Promise<DownloadResult> {
    const path = `/apps/code/artifacts/${seg(artifactId, 'artifactId')}/content`;
    return streamDownload(this.executor, this.clock, path, params, sink, expect);
  }

  // ---- sessions (§3.16; page tokens, no has_more) ---------------------------------------------

  listLocalSessions(
    params: P.LocalSessionListParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.LocalSession>> {
    return this.token('/apps/sessions/local', params, walk);
  }
  getLocalSession(sessionId: string, opts: Opts = {}): Promise<RecordResult<T.LocalSession>> {
    return this.one(`/apps/sessions/local/${seg(sessionId, 'sessionId')}`, {}, opts);
  }
  /** Each page's `envelope.session` holds the session. Tokens expire 24 h after the first page. */
  listLocalSessionMessages(
    sessionId: string,
    params: P.SessionMessagesParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.SessionMessage>> {
    return this.token(`/apps/sessions/local/${seg(sessionId, 'sessionId')}/messages`, params, walk);
  }
  listRemoteSessions(
    params: P.RemoteSessionListParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.RemoteSession>> {
    return this.token('/apps/sessions/remote', params, walk);
  }
  listRemoteSessionMessages(
    sessionId: string,
    params: P.SessionMessagesParams = {},
    walk: WalkOptions = {},
  ): AsyncGenerator<Page<T.SessionMessage>> {
    return this.token(`/apps/sessions/remote/${seg(sessionId, 'sessionId')}/messages`, params, walk);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Counters since creation (a copy). */
  stats(): ClientStats & { budget: RateBudgetSnapshot } {
    const s = this.executor.stats;
    return {
      ...s,
      byStatus: { ...s.byStatus },
      byFailure: { ...s.byFailure },
      budget: this.budget.snapshot(),
    };
  }

  /** Abort everything in flight or waiting (they reject with code `interrupted`) and close connections. */
  async close(): Promise<void> {
    this.closer.abort(new ExportError('interrupted', 'client closed'));
    await this.transport.destroy();
  }
}

export function createComplianceClient(options: ComplianceClientOptions): ComplianceClient {
  return new ComplianceClient(options);
}
