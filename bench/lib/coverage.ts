/**
 * Compare a sealed archive with the sandbox's ground truth: every item the truth holds must be in
 * the archive's payload (read from the zip itself, not from the tool's own item index) or named
 * in `reports/exceptions.csv`. What is in neither is lost.
 */
import { parseString } from 'fast-csv';
import type { SandboxTruth } from '@compliance-export/sandbox';
import type { OpenArchive } from './archive.js';

export interface ExceptionRow {
  readonly kind: string;
  readonly id: string;
  readonly reason: string;
}

export interface Coverage {
  /** Items checked, by kind. */
  readonly checked: Record<string, number>;
  /** `kind id` of every truth item found in neither the payload nor the exceptions. */
  readonly lost: string[];
  readonly exceptions: ExceptionRow[];
}

export async function readExceptions(archive: OpenArchive): Promise<ExceptionRow[]> {
  const text = await archive.text('reports/exceptions.csv');
  const rows: ExceptionRow[] = [];
  await new Promise<void>((resolve, reject) => {
    parseString<Record<string, string>, Record<string, string>>(text, { headers: true })
      .on('data', (r: Record<string, string>) =>
        rows.push({ kind: r['kind'] ?? '', id: r['id'] ?? '', reason: r['reason'] ?? '' }),
      )
      .on('error', reject)
      .on('end', () => resolve());
  });
  return rows;
}

async function jsonlIds(archive: OpenArchive, path: string, field: string): Promise<Set<string>> {
  if (!archive.paths.includes(path)) return new Set();
  const ids = new Set<string>();
  for (const line of (await archive.text(path)).split('\n')) {
    if (line === '') continue;
    const v = (JSON.parse(line) as Record<string, unknown>)[field];
    if (typeof v === 'string') ids.add(v);
  }
  return ids;
}

export async function checkCoverage(
  archive: OpenArchive,
  truth: SandboxTruth,
  include: readonly string[],
): Promise<Coverage> {
  const on = new Set(include);
  const paths = new Set(archive.paths);
  // Folders holding content (a metadata.json alone is not the item).
  const contentDirs = new Set<string>();
  for (const p of archive.paths) {
    if (!p.startsWith('data/') || p.endsWith('/metadata.json')) continue;
    contentDirs.add(p.slice(0, p.lastIndexOf('/') + 1));
  }
  const exceptions = await readExceptions(archive);
  const excepted = new Set(exceptions.map((e) => `${e.kind}\t${e.id}`));
  const checked: Record<string, number> = {};
  const lost: string[] = [];
  const check = (kind: string, id: string, present: boolean): void => {
    checked[kind] = (checked[kind] ?? 0) + 1;
    if (!present && !excepted.has(`${kind}\t${id}`)) lost.push(`${kind} ${id}`);
  };

  if (on.has('directory')) {
    const orgs = await jsonlIds(archive, 'data/directory/organizations.jsonl', 'uuid');
    truth.organizations.forEach((id) => check('organization', id, orgs.has(id)));
    const users = await jsonlIds(archive, 'data/directory/users.jsonl', 'id');
    truth.users.forEach((u) => u.user_ids.forEach((id) => check('user', id, users.has(id))));
    const groups = await jsonlIds(archive, 'data/directory/groups.jsonl', 'id');
    truth.groups.forEach((g) => check('group', g.id, groups.has(g.id)));
    truth.organizations.forEach((id) =>
      check('setting', id, paths.has(`data/directory/settings/${id}.json`)),
    );
  }
  if (on.has('activities')) {
    const ids = await jsonlIds(archive, 'data/activities/activities.jsonl', 'id');
    truth.activity_ids.forEach((id) => check('activity', id, ids.has(id)));
  }
  if (on.has('chats')) {
    for (const c of truth.chats) {
      const path = `data/chats/${c.id}.json`;
      check('chat', c.id, paths.has(path));
      if (!paths.has(path)) continue;
      const doc = JSON.parse(await archive.text(path)) as { messages: { id: string }[] };
      const held = new Set(doc.messages.map((m) => m.id));
      c.message_ids.forEach((id) => check('message', id, held.has(id) || excepted.has(`chat\t${c.id}`)));
    }
  }
  if (on.has('files')) {
    truth.files.forEach((f) => check('file', f.id, contentDirs.has(`data/files/${f.id}/`)));
  }
  if (on.has('generated_files')) {
    truth.generated_files.forEach((f) =>
      check('generated_file', f.id, contentDirs.has(`data/generated_files/${f.id}/`)),
    );
  }
  if (on.has('chat_artifacts')) {
    truth.chat_artifact_versions.forEach((v) =>
      check('chat_artifact', v.id, paths.has(`data/chat_artifacts/${v.id}.json`)),
    );
  }
  if (on.has('projects')) {
    truth.projects.forEach((p) => check('project', p.id, paths.has(`data/projects/${p.id}/project.json`)));
    truth.project_documents.forEach((d) =>
      check('project_document', d.id, contentDirs.has(`data/projects/${d.project_id}/documents/${d.id}/`)),
    );
  }
  if (on.has('code_artifacts')) {
    for (const a of truth.code_artifacts) {
      check('code_artifact', a.id, paths.has(`data/code_artifacts/${a.id}/artifact.json`));
      a.versions.forEach((v) =>
        check(
          'code_artifact_version',
          `${a.id}/${v.id}`,
          contentDirs.has(`data/code_artifacts/${a.id}/versions/${v.id}/`),
        ),
      );
    }
  }
  if (on.has('sessions')) {
    for (const kind of ['local', 'remote'] as const) {
      truth.sessions[kind].forEach((s) =>
        check('session', `${kind}/${s.id}`, paths.has(`data/sessions/${kind}/${s.id}.json`)),
      );
    }
  }
  return { checked, lost, exceptions };
}
