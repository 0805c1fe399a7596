/**
 * Sessions (compliance-api.md §3.16) as RSMF: a local session archived as
 * `{"session":…,"messages":[…]}` with the listing's record, and a remote one whose user messages
 * name their sender. Content the API could not give is said so, never left as a silent blank.
 */
import { describe, expect, it } from 'vitest';
import type { ExportError } from '../../../src/errors.js';
import { renderConversation } from '../../../src/produce/conversation/render.js';
import { readRsmf } from './readers.js';

const GENERATOR = 'compliance-export 0.1.0';

function sessionDocument(session: Record<string, unknown>, messages: unknown[]): Buffer {
  return Buffer.from(`{"session":${JSON.stringify(session)},"messages":${JSON.stringify(messages)}}\n`);
}

const bashUse = (id: string): Record<string, unknown> => ({
  type: 'tool_use',
  id,
  name: 'bash',
  input: JSON.stringify({ command: 'ls -la /srv/reports' }),
  truncated: false,
});
const bashResult = (id: string): Record<string, unknown> => ({
  type: 'tool_result',
  tool_use_id: id,
  name: 'bash',
  is_error: false,
  content: [{ type: 'text', text: 'q3.csv\nq4.csv' }],
  truncated: false,
});

describe('renderConversation: sessions', () => {
  it('renders a local session: owner and Claude, tool calls readable, unavailable content named', async () => {
    const session = {
      type: 'compliance_local_session',
      id: 'clls_01LOCAL',
      organization_uuid: '7c2b0e4a-0000-4000-8000-00000000000a',
      workspace_id: 'wrkspc_01',
      product_surface: 'claude_code',
      user: { id: 'user_grace', email_address: 'grace@example.com' },
      created_at: '2025-04-01T08:00:00Z',
      updated_at: '2025-04-01T08:02:15Z',
    };
    const messages = [
      {
        type: 'compliance_local_session_message',
        id: 'clsm_1',
        role: 'user',
        created_at: '2025-04-01T08:00:00Z',
        provenance: null,
        content: [{ type: 'text', text: 'list the reports', truncated: false }],
      },
      {
        type: 'compliance_local_session_message',
        id: 'clsm_2',
        role: 'assistant',
        created_at: '2025-04-01T08:00:45Z',
        provenance: null,
        content: [
          bashUse('toolu_a'),
          bashResult('toolu_a'),
          { type: 'text', text: 'Two files.', truncated: false },
        ],
      },
      {
        type: 'compliance_local_session_message',
        id: 'clsm_3',
        role: 'user',
        created_at: '2025-04-01T08:01:30Z',
        provenance: { type: 'content_unavailable', reason: 'not_captured' },
        content: [],
      },
    ];
    const out = await renderConversation({
      kind: 'session',
      id: 'local/clls_01LOCAL',
      document: sessionDocument(session, messages),
      attachments: new Map(),
      generator: GENERATOR,
    });
    expect(out.messageCount).toBe(3);
    expect(out.rsmf).toHaveLength(1);
    expect(out.rsmf[0]!.fileName).toMatch(/^local_clls_01LOCAL~[0-9a-f]{32}\.rsmf$/);
    const { manifest, header } = await readRsmf(out.rsmf[0]!.bytes);
    expect(header('X-RSMF-Custodian')).toBe('grace@example.com');
    expect(manifest.conversations[0]).toMatchObject({
      id: 'local/clls_01LOCAL',
      platform: 'Claude',
      custodian: 'user_grace',
    });
    expect(manifest.events.map((e) => [e.id, e.participant])).toEqual([
      ['clsm_1', 'user_grace'],
      ['clsm_2', 'claude'],
      ['clsm_3', 'user_grace'],
    ]);
    expect(manifest.events[1]!.body).toContain('[Tool use: bash, id toolu_a]');
    expect(manifest.events[1]!.body).toContain('"command": "ls -la /srv/reports"');
    expect(manifest.events[1]!.body).toContain('q3.csv\nq4.csv');
    expect(manifest.events[2]!.body).toContain('not_captured');
    expect(manifest.events[2]!.custom).toContainEqual({
      name: 'Provenance',
      value: 'content_unavailable (not_captured)',
    });
    expect(out.transcript.split('\n').slice(0, 2)).toEqual([
      'Claude local session: clls_01LOCAL (claude_code)',
      'Session id: clls_01LOCAL',
    ]);
  });

  it('renders a remote session: owner, starter and each sender are participants', async () => {
    const session = {
      id: 'cse_01REMOTE',
      organization_uuid: '7c2b0e4a-0000-4000-8000-00000000000a',
      user: { id: 'user_owner', email_address: 'owner@example.com' },
      agent_id: null,
      started_by_user: { id: 'user_starter', email_address: 'starter@example.com' },
      status: 'archived',
      created_at: '2025-04-02T10:00:00Z',
      updated_at: '2025-04-02T11:00:00Z',
      product_surface: 'cowork_remote',
      claude_project_id: null,
    };
    const message = (id: string, role: string, sender: string | null, unavailable = false): unknown => ({
      id,
      role,
      created_at: '2025-04-02T10:05:00Z',
      content: unavailable ? [] : [{ type: 'text', text: `${id} text`, truncated: false }],
      sent_by_user_id: sender,
      content_unavailable: unavailable,
    });
    const out = await renderConversation({
      kind: 'session',
      id: 'remote/cse_01REMOTE',
      document: sessionDocument(session, [
        message('csev_1', 'user', 'user_starter'),
        message('csev_2', 'assistant', null),
        message('csev_3', 'user', 'user_guest'),
        message('csev_4', 'assistant', null, true),
      ]),
      attachments: new Map(),
      generator: GENERATOR,
    });
    const { manifest } = await readRsmf(out.rsmf[0]!.bytes);
    expect(manifest.participants.map((p) => p.id)).toEqual([
      'user_owner',
      'user_starter',
      'claude',
      'user_guest',
    ]);
    expect(manifest.events.map((e) => [e.participant, e.direction])).toEqual([
      ['user_starter', 'incoming'],
      ['claude', 'incoming'],
      ['user_guest', 'incoming'],
      ['claude', 'incoming'],
    ]);
    expect(manifest.events[3]!.body).toContain('Content unavailable');
    expect(manifest.events.every((e) => e.deleted === undefined)).toBe(true);
  });

  it('refuses a session document that names another session', async () => {
    const error: unknown = await renderConversation({
      kind: 'session',
      id: 'local/clls_A',
      document: sessionDocument({ id: 'clls_B', user: null }, []),
      attachments: new Map(),
      generator: GENERATOR,
    }).catch((e: unknown) => e);
    expect((error as ExportError).code).toBe('invalid_response');
    expect((error as ExportError).message).toContain('"local/clls_A"');
  });
});
