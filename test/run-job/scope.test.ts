import { afterEach, describe, expect, it } from 'vitest';
import { runJob } from '../../src/run-job.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { currentRecords, openStore } from '../../src/store/index.js';
import { harness, instantSleep, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function api<T>(h: Harness, path: string): Promise<T> {
  const res = await fetch(`${h.sandbox.baseUrl}/v1/compliance${path}`, {
    headers: { 'x-api-key': h.sandbox.keys.full, 'anthropic-version': '2023-06-01' },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function records(h: Harness) {
  const { sha256 } = await loadSpecFile(h.specPath, { env: h.env });
  const store = await openStore({ stateDir: `${h.dir}/state`, jobName: 'test-job', specSha256: sha256 });
  const out = [];
  for await (const r of currentRecords(store)) out.push(r);
  const exceptions = store.exceptions();
  await store.close();
  return { records: out, exceptions };
}

const run = (h: Harness) =>
  runJob({ specPath: h.specPath, env: h.env, sleep: instantSleep, progress: 'off', stopAfter: 'quiesce' });

describe('custodian jobs', () => {
  it('exports only the custodian’s chats and names an unknown custodian as a gap', async () => {
    const probe = await harness({ include: ['chats'] });
    const orgs = await api<{ data: { uuid: string }[] }>(probe, '/organizations');
    const users = await api<{ data: { id: string; email: string }[] }>(
      probe,
      `/organizations/${orgs.data[0]!.uuid}/users`,
    );
    const chatsOf = new Map<string, string[]>();
    for (const u of users.data) {
      const list = await api<{ data: { id: string }[] }>(probe, `/apps/chats?user_ids[]=${u.id}&limit=1000`);
      chatsOf.set(
        u.id,
        list.data.map((c) => c.id),
      );
    }
    const [user] = users.data.filter((u) => (chatsOf.get(u.id) ?? []).length > 0);
    await probe.close();

    h = await harness({
      include: ['chats'],
      custodians: [user!.email.toUpperCase(), 'nobody@nowhere.example'],
    });
    const result = await run(h);
    expect(result.exitCode).toBe(3);
    const { records: recs, exceptions } = await records(h);
    expect(exceptions.map((e) => [e.kind, e.id, e.reason, e.retryable])).toEqual([
      ['custodian', 'nobody@nowhere.example', 'custodian_not_found', false],
    ]);
    const chats = recs.filter((r) => r.kind === 'chat');
    expect(chats.map((c) => c.id).sort()).toEqual([...chatsOf.get(user!.id)!].sort());
    expect(new Set(chats.map((c) => c.custodian))).toEqual(new Set([user!.email]));
    expect(recs.every((r) => r.kind === 'chat')).toBe(true);
  });
});

describe('preflight scopes', () => {
  it('stops before any collection when the key lacks a scope a selected kind needs', async () => {
    h = await harness({ include: ['directory', 'chats'], key: 'userDataOnly' });
    await expect(run(h)).rejects.toMatchObject({ code: 'scope_missing' });
    const { records: recs } = await records(h);
    expect(recs).toEqual([]);
  });

  it('records the missing scope as a gap and exports the rest when the spec allows', async () => {
    h = await harness({
      include: ['directory', 'chats'],
      key: 'userDataOnly',
      extra: 'on_missing_scope: record_gap',
    });
    const result = await run(h);
    expect(result.exitCode).toBe(3);
    const { records: recs, exceptions } = await records(h);
    expect(exceptions.map((e) => [e.kind, e.id, e.reason])).toEqual([
      ['scope', 'directory', 'scope_missing'],
    ]);
    expect(recs.filter((r) => r.kind === 'chat').length).toBe(60);
    expect(recs.filter((r) => r.kind !== 'chat')).toEqual([]);
  });

  it('refuses a missing key variable without touching the network', async () => {
    h = await harness();
    const env = { ...h.env };
    delete env['TEST_COMPLIANCE_KEY'];
    await expect(runJob({ specPath: h.specPath, env, progress: 'off' })).rejects.toMatchObject({
      code: 'api_key_missing',
    });
    expect((await h.stats()).total).toBe(0);
  });
});

describe('state bound to the spec', () => {
  it('refuses state from a different spec unless forced, then starts over', async () => {
    h = await harness({ include: ['projects'] });
    expect((await run(h)).exitCode).toBe(0);
    const { readFile, writeFile } = await import('node:fs/promises');
    await writeFile(
      h.specPath,
      (await readFile(h.specPath, 'utf8')).replace('max_passes: 2', 'max_passes: 3'),
    );
    await expect(run(h)).rejects.toMatchObject({ code: 'spec_state_mismatch' });
    const forced = await runJob({
      specPath: h.specPath,
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
      stopAfter: 'quiesce',
      force: true,
    });
    expect([forced.exitCode, forced.resumed, forced.counts['project']]).toEqual([0, false, 4]);
  });
});
