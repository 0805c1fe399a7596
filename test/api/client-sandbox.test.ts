import { createHash } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  collectItems,
  createComplianceClient,
  fingerprintKey,
  jsonlLedger,
  type ComplianceClient,
  type LedgerEntry,
  type Page,
} from '../../src/api/index.js';
import { startSandbox, type RunningSandbox, type SandboxTruth } from '@compliance-export/sandbox';

/**
 * Every read endpoint of compliance-api.md §2.1 over real HTTP against the sandbox, checked
 * against its ground truth (/_sandbox/truth): ids, counts and hashes.
 */
let sb: RunningSandbox;
let truth: SandboxTruth;
let client: ComplianceClient;
const ledger: LedgerEntry[] = [];

beforeAll(async () => {
  sb = await startSandbox({ port: 0, seed: 1, profile: 'small', rpm: 100_000 });
  truth = (await (await fetch(`${sb.baseUrl}/_sandbox/truth`)).json()) as SandboxTruth;
  client = createComplianceClient({
    baseUrl: sb.baseUrl,
    apiKey: sb.keys.full,
    requestsPerMinute: 600_000,
    maxInFlight: 8,
    ledger: (e) => ledger.push(e),
  });
});
afterAll(async () => {
  await client.close();
  await sb.close();
});

async function pages<T>(walk: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  for await (const p of walk) out.push(p);
  return out;
}
const ids = (items: { id: string }[]): string[] => items.map((i) => i.id);
const sorted = (xs: string[]): string[] => [...xs].sort();

/** A sink factory collecting the bytes of the final attempt. */
function memory(): { factory: () => Writable; bytes: () => Buffer } {
  let chunks: Buffer[] = [];
  return {
    factory: () => {
      chunks = [];
      return new Writable({
        write(c: Buffer, _e, cb) {
          chunks.push(c);
          cb();
        },
      });
    },
    bytes: () => Buffer.concat(chunks),
  };
}

describe('directory endpoints', () => {
  it('walks organizations one per page (page tokens) to the truth', async () => {
    const ps = await pages(client.listOrganizations({ limit: 1 }));
    expect(ps.length).toBeGreaterThanOrEqual(2);
    expect(ps.at(-1)!.done).toBe(true);
    expect(sorted(ps.flatMap((p) => p.items.map((o) => o.uuid)))).toEqual(sorted(truth.organizations));
  });

  it('lists users, roles (+ one role, its permissions) and settings per org', async () => {
    for (const org of truth.organizations) {
      const users = await collectItems(client.listUsers(org, { limit: 3 }));
      expect(sorted(ids(users))).toEqual(
        sorted(truth.users.find((u) => u.organization_uuid === org)!.user_ids),
      );
      const roles = await collectItems(client.listRoles(org, { limit: 2 }));
      expect(sorted(ids(roles))).toEqual(
        sorted(truth.roles.find((r) => r.organization_uuid === org)!.role_ids),
      );
      const role = await client.getRole(org, roles[0]!.id);
      expect(role.record.id).toBe(roles[0]!.id);
      const perms = await collectItems(client.listRolePermissions(org, roles[0]!.id));
      expect(perms.every((p) => typeof p.action === 'string')).toBe(true);
      const settings = await client.getSettings(org);
      expect(settings.record.organization_id).toBe(org);
      expect(Array.isArray(settings.record.api_keys)).toBe(true);
    }
  });

  it('lists groups, one group and its members', async () => {
    const groups = await collectItems(client.listGroups({ limit: 2 }));
    expect(sorted(ids(groups))).toEqual(sorted(truth.groups.map((g) => g.id)));
    for (const g of truth.groups) {
      expect((await client.getGroup(g.id)).record.id).toBe(g.id);
      const members = await collectItems(client.listGroupMembers(g.id, { limit: 2 }));
      expect(sorted(members.map((m) => m.user_id))).toEqual(sorted(g.member_user_ids));
    }
  });
});

describe('chats, messages, files, generated files, artifacts', () => {
  it('walks all chats org-wide with a cursor, several pages, and resumes from a checkpoint', async () => {
    const ps = await pages(client.listChats({ order_by: 'created_at', limit: 7 }));
    expect(ps.length).toBeGreaterThan(5);
    expect(sorted(ps.flatMap((p) => ids(p.items)))).toEqual(sorted(truth.chats.map((c) => c.id)));
    expect(ps.slice(0, -1).every((p) => !p.done && p.resumeCursor !== null)).toBe(true);
    // resume after the third page: same remainder
    const rest = await pages(
      client.listChats({ order_by: 'created_at', limit: 7 }, { resumeFrom: ps[2]!.resumeCursor! }),
    );
    expect(rest.flatMap((p) => ids(p.items))).toEqual(ps.slice(3).flatMap((p) => ids(p.items)));
    // raw text is the record as served
    expect(JSON.parse(ps[0]!.rawItems[0]!)).toEqual(ps[0]!.items[0]);
  });

  it('walks chats per user (≤ 10 ids) by created_at', async () => {
    const users = truth.users.flatMap((u) => u.user_ids).slice(0, 10);
    const chats = await collectItems(client.listChats({ user_ids: users, limit: 5 }));
    expect(chats.every((c) => c.user === null || users.includes(c.user.id))).toBe(true);
    expect(chats.length).toBeGreaterThan(0);
  });

  it('pages through the long chat messages and merges the messages of every chat', async () => {
    const long = truth.chats.reduce((a, b) => (b.message_ids.length > a.message_ids.length ? b : a));
    const ps = await pages(
      client.chatMessagePages(long.id, {
        limit: 50,
        tool_use_input_max_chars: -1,
        tool_result_max_chars: -1,
      }),
    );
    expect(ps.length).toBe(Math.ceil(long.message_ids.length / 50));
    expect(ps.flatMap((p) => ids(p.items))).toEqual(long.message_ids);
    expect(ps[0]!.envelope.id).toBe(long.id);
    for (const chat of truth.chats) {
      const r = await client.getChatMessages(chat.id, {
        tool_use_input_max_chars: -1,
        tool_result_max_chars: -1,
      });
      expect(r.chat.id).toBe(chat.id);
      expect(ids(r.messages)).toEqual(chat.message_ids);
      expect(r.rawMessages).toHaveLength(chat.message_ids.length);
    }
  });

  it('downloads every file with matching hashes and metadata', async () => {
    for (const f of truth.files) {
      const meta = await client.getFileMetadata(f.id);
      expect(meta.record.id).toBe(f.id);
      const sink = memory();
      const r = await client.downloadFile(f.id, sink.factory, {
        expectedMd5: meta.record.md5,
        expectedSize: meta.record.size_bytes,
      });
      expect([r.sha256, r.md5, r.size]).toEqual([f.sha256, f.md5, f.size]);
      expect(createHash('sha256').update(sink.bytes()).digest('hex')).toBe(f.sha256);
      expect(r.filename).toBe(f.filename);
    }
  });

  it('downloads every generated file', async () => {
    for (const g of truth.generated_files) {
      const meta = await client.getGeneratedFileMetadata(g.id);
      expect(meta.record.claude_chat_id).toBe(g.claude_chat_id);
      const r = await client.downloadGeneratedFile(g.id, memory().factory, {
        expectedMd5: meta.record.md5,
        expectedSize: meta.record.size_bytes,
      });
      expect([r.sha256, r.size]).toEqual([g.sha256, g.size]);
    }
  });

  it('fetches every chat artifact version, content verified over its UTF-8 text', async () => {
    for (const v of truth.chat_artifact_versions) {
      const meta = await client.getArtifactVersion(v.id);
      expect(meta.record.version_id).toBe(v.id);
      const c = await client.getArtifactContent(v.id, {
        expectedMd5: meta.record.md5,
        expectedSize: meta.record.size_bytes,
      });
      expect([c.sha256, c.md5, c.size]).toEqual([v.sha256, v.md5, v.size]);
    }
  });
});

describe('projects', () => {
  it('lists projects one per page, with detail, attachments, collaborators and documents', async () => {
    const ps = await pages(client.listProjects({ limit: 1 }));
    expect(sorted(ps.flatMap((p) => ids(p.items)))).toEqual(sorted(truth.projects.map((p) => p.id)));
    for (const p of truth.projects) {
      expect((await client.getProject(p.id)).record.id).toBe(p.id);
      const atts = await collectItems(client.listProjectAttachments(p.id, { limit: 5 }));
      expect(atts).toHaveLength(p.attachment_count);
      expect(sorted(atts.filter((a) => a.type === 'project_doc').map((a) => a.id))).toEqual(
        sorted(p.document_ids),
      );
      const collabs = await collectItems(client.listProjectCollaborators(p.id, { limit: 1 }));
      expect(collabs).toHaveLength(p.collaborator_count);
    }
    for (const d of truth.project_documents) {
      const meta = await client.getProjectDocumentMetadata(d.id);
      const doc = await client.getProjectDocument(d.id, {
        expectedMd5: meta.record.md5,
        expectedSize: meta.record.size_bytes,
      });
      expect([doc.sha256, doc.size]).toEqual([d.sha256, d.size]);
    }
  });
});

describe('code artifacts', () => {
  it('enumerates every artifact through page tokens and downloads every retained version', async () => {
    const ps = await pages(client.listCodeArtifacts({ limit: 3 }));
    expect(ps.at(-1)!.done).toBe(true);
    expect(sorted(ps.flatMap((p) => ids(p.items)))).toEqual(sorted(truth.code_artifacts.map((a) => a.id)));
    for (const a of truth.code_artifacts) {
      for (const v of a.versions) {
        const r = await client.downloadCodeArtifactVersion(a.id, v.id, memory().factory, {
          multi_file_format: 'zip',
        });
        expect([r.sha256, r.size]).toEqual([v.sha256, v.size]);
      }
    }
  });

  it('answers a rotated version with not_found (re-list, then a gap)', async () => {
    const a = truth.code_artifacts.find((x) => x.rotated_version_ids.length > 0)!;
    const e = await client
      .downloadCodeArtifactVersion(a.id, a.rotated_version_ids[0]!, memory().factory)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe('not_found');
  });

  it('streams current content', async () => {
    const a = truth.code_artifacts[0]!;
    const r = await client.downloadCodeArtifactContent(a.id, memory().factory, { multi_file_format: 'zip' });
    expect(r.size).toBeGreaterThan(0);
  });
});

describe('activities and sessions', () => {
  it('walks the activity feed with a cursor', async () => {
    const ps = await pages(client.listActivities({ limit: 40 }));
    expect(ps.length).toBeGreaterThan(2);
    const got = ps.flatMap((p) => ids(p.items));
    expect(new Set(got).size).toBe(got.length);
    // compliance_api_accessed events appear as we go: the truth at the start is a subset
    expect(truth.activity_ids.every((id) => got.includes(id))).toBe(true);
  });

  it('walks local sessions (no has_more) and their transcripts', async () => {
    const sessions = await collectItems(
      client.listLocalSessions({ created_at: { gte: '2000-01-01T00:00:00Z' }, limit: 2 }),
    );
    expect(sorted(ids(sessions))).toEqual(sorted(truth.sessions.local.map((s) => s.id)));
    for (const s of truth.sessions.local) {
      expect((await client.getLocalSession(s.id)).record.id).toBe(s.id);
      const ps = await pages(client.listLocalSessionMessages(s.id, { limit: 3 }));
      expect(ps.flatMap((p) => ids(p.items))).toEqual(s.message_ids);
    }
  });

  it('walks remote sessions and their transcripts', async () => {
    const sessions = await collectItems(client.listRemoteSessions({ limit: 1 }));
    // Sessions still pending are listed too; they have no transcript yet (§5.5).
    const started = sessions.filter((s) => s.status !== 'pending');
    expect(sorted(ids(started))).toEqual(sorted(truth.sessions.remote.map((s) => s.id)));
    for (const s of truth.sessions.remote) {
      const ps = await pages(client.listRemoteSessionMessages(s.id, { limit: 3 }));
      expect(ps.flatMap((p) => ids(p.items))).toEqual(s.message_ids);
    }
  });
});

describe('keys and errors', () => {
  it('maps wrong key types and scopes to typed errors, and never leaks any key', async () => {
    const captured: string[] = [];
    const ledgerStream = new PassThrough();
    ledgerStream.on('data', (c: Buffer) => captured.push(c.toString()));
    const origOut = process.stdout.write.bind(process.stdout);
    const origErr = process.stderr.write.bind(process.stderr);
    const capture = (chunk: unknown): boolean => (captured.push(String(chunk)), true);
    process.stdout.write = capture;
    process.stderr.write = capture;
    const keys = [
      sb.keys.claudeApi,
      sb.keys.deactivated,
      sb.keys.activitiesOnly,
      sb.keys.admin,
      sb.keys.full,
    ];
    const codes: string[] = [];
    try {
      for (const key of keys) {
        const c = createComplianceClient({
          baseUrl: sb.baseUrl,
          apiKey: key,
          requestsPerMinute: 600_000,
          ledger: jsonlLedger(ledgerStream),
        });
        const e = await c
          .listChats({ limit: 1 })
          .next()
          .then(
            () => null,
            (x: unknown) => x,
          );
        if (e instanceof ApiError) {
          codes.push(e.code);
          captured.push(e.message, String(e.stack), JSON.stringify(e), JSON.stringify(e.target));
          process.stderr.write(`compliance-export: ${e.code}: ${e.message}\n${e.stack}\n`); // as the CLI prints it
        } else codes.push('ok');
        captured.push(JSON.stringify(c.stats()));
        await c.close();
      }
    } finally {
      process.stdout.write = origOut;
      process.stderr.write = origErr;
    }
    expect(codes).toEqual(['not_found', 'api_key_rejected', 'scope_missing', 'scope_missing', 'ok']);
    captured.push(...ledger.map((l) => JSON.stringify(l)));
    const all = captured.join('\n');
    expect(all).toContain(fingerprintKey(sb.keys.full)); // the ledger names the credential...
    for (const key of Object.values(sb.keys)) expect(all.includes(key)).toBe(false); // ...never the key
    expect(all.includes(sb.keys.full.slice(13, 40))).toBe(false);
  });

  it('recorded one ledger line per attempt with status, request-id and bytes', () => {
    expect(ledger.length).toBeGreaterThan(300);
    const malformed = ledger.filter(
      (l) => !(l.method === 'GET' && l.path.startsWith('/v1/compliance/') && l.attempt >= 1),
    );
    expect(malformed).toEqual([]);
    expect(ledger.filter((l) => l.status === 200 && l.request_id === null)).toEqual([]);
    // bodies are counted (a zero-byte file is legitimate, so only JSON bodies must be non-empty)
    expect(ledger.filter((l) => l.status === 200 && !l.path.endsWith('/content') && l.bytes === 0)).toEqual(
      [],
    );
    expect(ledger.reduce((n, l) => n + l.bytes, 0)).toBe(client.stats().bytes);
    expect(client.stats().bytes).toBeGreaterThan(10_000_000);
    expect(client.stats().requests).toBe(ledger.length);
  });
});
