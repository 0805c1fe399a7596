import { describe, expect, it } from 'vitest';
import { ProgressModel, stageOfPath } from '../../src/progress/progress-model.js';

/** Pass 1 of chats and activities with the directory alongside, as a run does it. */
function firstPass(model: ProgressModel): void {
  model.beginPass(1, ['chats', 'activities']);
  const chats = model.stage('chats');
  chats.listed = 100;
  chats.handled = 40;
  chats.fetched = 40;
  for (let i = 0; i < 80; i += 1) model.noteRequest('/v1/compliance/apps/chats/c/messages');
  const acts = model.stage('activities');
  acts.listed = 177;
  acts.handled = 177;
  acts.fetched = 177;
  acts.listingDone();
  model.noteRequest('/v1/compliance/activities');
  model.stage('directory').fetched = 44;
}

describe('progress model', () => {
  it('estimates the remaining requests per kind and an ETA of remaining / (rpm / 60)', () => {
    const model = new ProgressModel();
    firstPass(model);
    model.stage('chats').listingDone();
    // chats: 60 listed and not handled × 80/40 requests each; activities: nothing left
    const f = model.figures(1_000, 600);
    expect(f.requests).toEqual({ sent: 1_000, estimatedTotal: 1_120, quality: 'approx' });
    expect(f.etaSeconds).toBe(120 / (600 / 60));
  });

  it('calls the estimate a floor while a listing is open, and unknown before anything is handled', () => {
    const model = new ProgressModel();
    model.beginPass(1, ['chats', 'activities']);
    model.stage('chats').listed = 5;
    expect(model.figures(3, 600)).toMatchObject({
      requests: { sent: 3, estimatedTotal: null, quality: null },
      etaSeconds: null,
    });
    firstPass(model);
    const f = model.figures(1_000, 600);
    expect(f.requests.quality).toBe('at_least');
    expect(f.totals['chats']).toEqual({ done: 40, listed: 100, total: null });
    expect(f.totals['activities']).toEqual({ done: 177, listed: 177, total: 177 });
  });

  it('keeps pass 1 figures across quiescence passes and shows each pass on its own', () => {
    const model = new ProgressModel();
    firstPass(model);
    const chats = model.stage('chats');
    chats.handled = 100;
    chats.listingDone();
    const before = model.figures(1_000, 600);
    const seen: { done: number; total: number | null; listed: number }[] = [];
    for (const pass of [2, 3]) {
      model.beginPass(pass, ['chats', 'activities']);
      const c = model.stage('chats');
      c.listed = 103;
      c.handled = 103;
      c.skipped = 100;
      c.fetched = pass === 2 ? 3 : 0;
      c.listingDone();
      const a = model.stage('activities');
      a.listed = 177;
      a.handled = 177;
      a.skipped = 177;
      const f = model.figures(1_100, 600);
      // the activities re-listing does not inflate pass 1's 177, nor the directory's 44
      expect(f.totals).toEqual(before.totals);
      expect(f.records['directory']).toBe(44);
      expect(f.quiesce).toEqual({
        pass,
        changed: pass === 2 ? 3 : 0,
        kinds: {
          chats: { done: 103, listed: 103, total: 103 },
          activities: { done: 177, listed: 177, total: null },
        },
      });
      for (const k of Object.values(f.totals)) seen.push(k);
      for (const k of Object.values(f.quiesce?.kinds ?? {})) seen.push(k);
    }
    for (const k of seen) {
      expect(k.done).toBeLessThanOrEqual(k.listed);
      if (k.total !== null) expect(k.total).toBeGreaterThanOrEqual(k.done);
    }
  });

  it('counts directory and files as the records they stored, which only grows', () => {
    const model = new ProgressModel();
    model.beginPass(1, ['chats']);
    const dir = model.stage('directory');
    const counts: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      dir.fetched += 10;
      counts.push(model.figures(0, 600).records['directory'] ?? -1);
    }
    model.beginPass(2, ['chats']);
    model.stage('files').fetched = 2;
    const f = model.figures(0, 600);
    counts.push(f.records['directory'] ?? -1);
    expect(counts).toEqual([10, 20, 30, 40, 50, 50]);
    expect(f.records['files']).toBe(2);
  });

  it('does not count preflight requests as a kind, nor show that kind as records', () => {
    const model = new ProgressModel();
    model.noteRequest('/v1/compliance/apps/chats');
    expect(model.figures(1, 600)).toMatchObject({ pass: 0, records: {}, totals: {} });
  });

  it('attributes request paths to the kind that fetches them', () => {
    expect(
      [
        '/v1/compliance/apps/chats',
        '/v1/compliance/apps/chats/files/f/content',
        '/v1/compliance/apps/artifacts/v/content',
        '/v1/compliance/apps/projects/p',
        '/v1/compliance/apps/code/artifacts',
        '/v1/compliance/apps/sessions/local',
        '/v1/compliance/activities',
        '/v1/compliance/organizations/o/users',
        '/v1/compliance/groups/g/members',
      ].map(stageOfPath),
    ).toEqual([
      'chats',
      'chats',
      'chats',
      'projects',
      'code_artifacts',
      'sessions',
      'activities',
      'directory',
      'directory',
    ]);
  });
});
