/** The content-kind registry is the one list the run, the survey and the estimate iterate. */
import { describe, expect, it } from 'vitest';
import { KINDS, RELISTED_KINDS } from '../../src/collect/kinds/index.js';
import { CONTENT_KINDS } from '../../src/spec/types.js';

describe('content kinds', () => {
  it('serve every spec include value exactly once', () => {
    const served = KINDS.flatMap((kind) => [kind.include, ...(kind.serves ?? [])]);
    expect([...served].sort()).toEqual([...CONTENT_KINDS].sort());
  });

  it('relist exactly the kinds that say so, each once', () => {
    const relisted = KINDS.filter((kind) => kind.relisted).map((kind) => kind.name);
    expect(RELISTED_KINDS.map((kind) => kind.name).sort()).toEqual(relisted.sort());
  });

  it('give every gap kind one owner to retry it', () => {
    const owned = KINDS.flatMap((kind) => kind.retry?.kinds ?? []);
    expect(new Set(owned).size).toBe(owned.length);
    expect([...owned].sort()).toEqual(
      [
        'chat',
        'chat_artifact',
        'code_artifact_version',
        'file',
        'generated_file',
        'project_document',
        'session',
      ].sort(),
    );
  });

  it('name their kinds and aggregates once', () => {
    expect(new Set(KINDS.map((kind) => kind.name)).size).toBe(KINDS.length);
    const aggregates = KINDS.flatMap((kind) => kind.aggregates ?? []);
    expect(new Set(aggregates).size).toBe(aggregates.length);
    expect(aggregates).toContain('activities/activities.jsonl');
    expect(aggregates).toContain('directory/users.jsonl');
  });
});
