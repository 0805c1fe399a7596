import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStateInfo } from '../../src/survey/read-state.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'read-state-'));
  await mkdir(join(root, 'job'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const bindTo = (sha: string) =>
  writeFile(join(root, 'job', 'state.json'), JSON.stringify({ format: 1, job: 'job', spec_sha256: sha }));

describe('readStateInfo (what plan says a run would find)', () => {
  it('a binding with no journaled work behind it binds nothing, as the store treats it', async () => {
    expect((await readStateInfo(root, 'job', 'a')).status).toBe('none');
    await bindTo('b');
    expect((await readStateInfo(root, 'job', 'a')).status).toBe('none');
    await writeFile(join(root, 'job', 'journal.jsonl'), '');
    expect((await readStateInfo(root, 'job', 'a')).status).toBe('none');
    await writeFile(join(root, 'job', 'journal.jsonl'), '{"t":"m","key":"as_of_cut","value":"x"}\n');
    expect((await readStateInfo(root, 'job', 'a')).status).toBe('different_spec');
    expect((await readStateInfo(root, 'job', 'b')).status).toBe('same_spec');
  });
});
