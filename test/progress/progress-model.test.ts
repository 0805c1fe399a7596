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
    expect(f.requests).toEqual({ sent: 1_000, estimatedTotal: 1_120, quality: 'approx', source: 'listing' });
    expect(f.etaSeconds).toBe(120 / (600 / 60));
  });

  it('calls the estimate a floor while a listing is open, and unknown before anything is handled', () => {
    const model = new ProgressModel();
    model.beginPass(1, ['chats', 'activities']);
    model.stage('chats').listed = 5;
    expect(model.figures(3, 600)).toMatchObject({
      requests: { sent: 3, estimatedTotal: null, quality: null, source: null },
      etaSeconds: null,
    });
    firstPass(model);
    const f = model.figures(1_000, 600);
    expect(f.requests.quality).toBe('at_least');
    expect(f.totals['chats']).toEqual({ done: 40, listed: 100, total: null, source: null });
    expect(f.totals['activities']).toEqual({ done: 177, listed: 177, total: 177, source: 'listing' });
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
          chats: { done: 103, listed: 103, total: 103, source: 'listing' },
          activities: { done: 177, listed: 177, total: null, source: null },
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

describe("progress model with plan's figures", () => {
  /** As plan-estimate.json gives them: 100 chats and 200 activities to list, 1,000 requests. */
  const plan = {
    listed: { chats: 100, activities: 200 },
    requests: 1_000,
    requestsByKind: { directory: 50, chats: 700, activities: 10 },
  };

  it("shows plan's counts and request total from the start, each kind's listing total once it is through", () => {
    const model = new ProgressModel(plan);
    const start = model.figures(5, 600);
    expect(start.totals).toEqual({
      chats: { done: 0, listed: 0, total: 100, source: 'plan' },
      activities: { done: 0, listed: 0, total: 200, source: 'plan' },
    });
    expect(start.requests).toEqual({ sent: 5, estimatedTotal: 1_000, quality: 'approx', source: 'plan' });
    expect(start.etaSeconds).toBe(995 / 10);

    model.beginPass(1, ['chats', 'activities']);
    const chats = model.stage('chats');
    Object.assign(chats, { listed: 30, handled: 10 });
    for (let i = 0; i < 40; i += 1) model.noteRequest('/v1/compliance/apps/chats/c/messages');
    let f = model.figures(100, 600);
    expect(f.totals['chats']).toEqual({ done: 10, listed: 30, total: 100, source: 'plan' });
    // chats: 700 − 40 sent; activities: its 10; the rest: 1,000 − 710 − the 60 sent outside the kinds
    expect(f.requests).toEqual({
      sent: 100,
      estimatedTotal: 100 + 660 + 10 + 230,
      quality: 'approx',
      source: 'plan',
    });

    const acts = model.stage('activities');
    Object.assign(acts, { listed: 180, handled: 180 });
    model.noteRequest('/v1/compliance/activities');
    acts.listingDone();
    f = model.figures(110, 600);
    expect(f.totals['activities']).toEqual({ done: 180, listed: 180, total: 180, source: 'listing' });
    expect(f.totals['chats']?.source).toBe('plan');
    // activities listed in full, nothing left of it; chats still by plan's share
    expect(f.requests).toMatchObject({
      estimatedTotal: 110 + 660 + (1_000 - 710 - (110 - 41)),
      source: 'plan',
    });

    Object.assign(chats, { listed: 90, handled: 60 });
    for (let i = 0; i < 80; i += 1) model.noteRequest('/v1/compliance/apps/chats/c/messages');
    chats.listingDone();
    f = model.figures(200, 600);
    expect(f.totals['chats']).toEqual({ done: 60, listed: 90, total: 90, source: 'listing' });
    // every listing through: the measured rate, 30 chats × 120/60 requests each
    expect(f.requests).toEqual({ sent: 200, estimatedTotal: 260, quality: 'approx', source: 'listing' });
  });

  it("turns a kind that outgrows plan's count into a floor again, and the request total with it", () => {
    const model = new ProgressModel(plan);
    model.beginPass(1, ['chats', 'activities']);
    const chats = model.stage('chats');
    Object.assign(chats, { listed: 100, handled: 50 });
    for (let i = 0; i < 50; i += 1) model.noteRequest('/v1/compliance/apps/chats/c/messages');
    expect(model.figures(80, 600).totals['chats']).toEqual({
      done: 50,
      listed: 100,
      total: 100,
      source: 'plan',
    });
    chats.listed = 101;
    const f = model.figures(81, 600);
    expect(f.totals['chats']).toEqual({ done: 50, listed: 101, total: null, source: null });
    expect(f.requests).toMatchObject({ quality: 'at_least', source: 'plan' });
    // a kind that sent more than plan's share for it is a floor too
    const other = new ProgressModel(plan);
    other.beginPass(1, ['chats', 'activities']);
    Object.assign(other.stage('chats'), { listed: 10, handled: 5 });
    for (let i = 0; i < 701; i += 1) other.noteRequest('/v1/compliance/apps/chats/c/messages');
    expect(other.figures(720, 600).requests).toMatchObject({ quality: 'at_least', source: 'plan' });
  });

  it('never shows a count above its total, and no counter goes backwards', () => {
    const model = new ProgressModel(plan);
    const seen: ReturnType<ProgressModel['figures']>[] = [];
    let sent = 3;
    seen.push(model.figures(sent, 600));
    model.beginPass(1, ['chats', 'activities']);
    const chats = model.stage('chats');
    const acts = model.stage('activities');
    // chats outgrow plan's 100 at step 9; activities finish listing at step 6
    for (let step = 1; step <= 14; step += 1) {
      chats.listed += 12;
      chats.handled = Math.min(chats.listed, chats.handled + 9);
      for (let i = 0; i < 70; i += 1) model.noteRequest('/v1/compliance/apps/chats/c/messages');
      if (step <= 6) acts.listed += 30;
      acts.handled = Math.min(acts.listed, acts.handled + 25);
      if (step === 6) acts.listingDone();
      if (step === 13) chats.listingDone();
      sent += 75;
      seen.push(model.figures(sent, 600));
    }
    expect(seen.some((f) => f.totals['chats']?.source === 'plan')).toBe(true);
    expect(seen.some((f) => f.totals['chats']?.total === null && f.totals['chats'].listed > 100)).toBe(true);
    expect(seen.at(-1)!.totals['chats']?.source).toBe('listing');
    for (const [i, f] of seen.entries()) {
      expect(f.requests.estimatedTotal!).toBeGreaterThanOrEqual(f.requests.sent);
      for (const k of Object.values(f.totals)) {
        expect(k.done).toBeLessThanOrEqual(k.listed);
        if (k.total !== null) expect(k.listed).toBeLessThanOrEqual(k.total);
      }
      const before = seen[i - 1];
      if (before === undefined) continue;
      expect(f.requests.sent).toBeGreaterThanOrEqual(before.requests.sent);
      for (const [name, k] of Object.entries(before.totals)) {
        expect(f.totals[name]!.done).toBeGreaterThanOrEqual(k.done);
        expect(f.totals[name]!.listed).toBeGreaterThanOrEqual(k.listed);
      }
    }
  });

  it("leaves plan's figures behind once pass 1 is over", () => {
    const model = new ProgressModel(plan);
    model.beginPass(1, ['chats', 'activities']);
    Object.assign(model.stage('chats'), { listed: 40, handled: 40 });
    model.beginPass(2, ['chats', 'activities']);
    const f = model.figures(900, 600);
    // pass 1 never said its listings were through (a resumed run whose pass 1 was done): floors
    expect(f.totals['chats']).toEqual({ done: 40, listed: 40, total: null, source: null });
    expect(f.requests.source).not.toBe('plan');
  });
});
