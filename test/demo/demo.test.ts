/**
 * The demo wiring end to end with the small profile and no rate limit: the archive lands in the
 * real s3rver under `<prefix>/<name>/<run-id>/<name>-<run-id>.zip`, verify passes, the counts equal
 * the sandbox truth, the key never shows, and closing removes servers, files and credentials.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSandbox, type SandboxTruth } from '@compliance-export/sandbox';
import { main } from '../../demo/main.js';
import { demoSummary, renderDemoSummary } from '../../demo/render-summary.js';
import { runDemo, type DemoResult } from '../../demo/run-demo.js';

let demo: DemoResult;
let s3: S3Client;
let truth: SandboxTruth;
let envBefore: string | undefined;
let fullKey: string;

beforeAll(async () => {
  envBefore = process.env['AWS_ACCESS_KEY_ID'];
  demo = await runDemo({
    profile: 'small',
    sandboxRpm: 0,
    requestsPerMinute: 60_000,
    sleep: async () => undefined,
    keep: true,
  });
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: demo.s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  truth = (await (
    await fetch(`${demo.sandbox.baseUrl}/_sandbox/truth?as_of=${encodeURIComponent(demo.run.asOfCut!)}`)
  ).json()) as SandboxTruth;
  // the key the demo used: derived from the sandbox seed, so a fresh sandbox reports the same one
  const twin = await startSandbox({ port: 0, seed: 1, profile: 'small', rpm: 0 });
  fullKey = twin.keys.full;
  await twin.close();
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await demo?.close();
});

describe('demo (small profile, unlimited rate)', () => {
  it('finishes complete and the archive verifies', () => {
    expect(demo.exitCode).toBe(0);
    expect(demo.run.status).toBe('complete');
    expect(demo.run.exceptions).toBe(0);
    expect(demo.verify).not.toBeNull();
    expect(demo.verify!.ok).toBe(true);
    expect(demo.verify!.problems).toEqual([]);
    expect(demo.verify!.archiveSha256).toBe(demo.run.archive!.zipSha256);
    expect(demo.sandbox.rateLimited).toBe(0);
    expect(demo.sandbox.requests).toBe(demo.run.requests);
  });

  it('puts the archive in s3rver at <prefix>/<name>/<run-id>/<name>-<run-id>.zip', async () => {
    const cut = new Date(demo.run.asOfCut!).toISOString();
    const runId = `${cut.slice(0, 19).replace(/[-:]/g, '')}Z`;
    const key = `exports/demo/${runId}/demo-${runId}.zip`;
    expect(demo.archiveKey).toBe(key);
    expect(demo.run.archive!.location).toBe(`s3://compliance-demo/${key}`);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'compliance-demo' }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual(
      [
        key,
        `${key}.sha256`,
        `exports/demo/${runId}/custody.jsonl`,
        `exports/demo/${runId}/summary.json`,
      ].sort(),
    );
    const zip = await s3.send(new GetObjectCommand({ Bucket: 'compliance-demo', Key: key }));
    const bytes = Buffer.from(await zip.Body!.transformToByteArray());
    expect(bytes.length).toBe(demo.run.archive!.zipBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(demo.run.archive!.zipSha256);
    const sidecar = await s3.send(new GetObjectCommand({ Bucket: 'compliance-demo', Key: `${key}.sha256` }));
    expect(await sidecar.Body!.transformToString()).toBe(
      `${demo.run.archive!.zipSha256}  demo-${runId}.zip\n`,
    );
  });

  it('holds what the sandbox truth holds at the cut', () => {
    expect(demo.run.counts['chat']).toBe(truth.chats.length);
    expect(demo.run.counts['organization']).toBe(truth.organizations.length);
    expect(demo.run.counts['project']).toBe(truth.projects.length);
    expect(demo.run.counts['code_artifact']).toBe(truth.code_artifacts.length);
    expect(demo.run.counts['activity']).toBe(truth.activity_ids.length);
  });

  it('summarises with counts, hash and location, and never the key', () => {
    const summary = demoSummary(demo);
    expect(summary).toMatchObject({
      exitCode: 0,
      status: 'complete',
      gaps: 0,
      requests: { rateLimited: 0 },
      archive: { key: demo.archiveKey, sha256: demo.run.archive!.zipSha256 },
      verify: { ok: true, problems: [] },
    });
    expect(summary.counts['chat']).toBe(truth.chats.length);
    const text = renderDemoSummary(summary);
    expect(text).toContain(demo.run.archive!.zipSha256);
    expect(text).toContain(demo.run.archive!.location);
    for (const out of [text, JSON.stringify(summary)]) expect(out).not.toContain(fullKey);
  });

  it('close() stops both servers, removes the temp files and restores the AWS env', async () => {
    expect(process.env['AWS_ACCESS_KEY_ID']).toBe('S3RVER');
    await demo.close();
    expect(process.env['AWS_ACCESS_KEY_ID']).toBe(envBefore);
    await expect(access(demo.s3.directory)).rejects.toThrow();
    await expect(access(demo.stateDir)).rejects.toThrow();
    await expect(fetch(`${demo.sandbox.baseUrl}/_sandbox/stats`)).rejects.toThrow();
  });
});

describe('demo entry (npm start)', () => {
  it('rejects an unknown profile with exit 2', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'demo/main.ts', '--profile', 'huge'])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain(
        "demo: usage: --profile: expected one of small, medium, large, got 'huge'",
      );
    } finally {
      err.mockRestore();
    }
  });

  it('runs as its own script (what `npm start` runs): a bad flag exits 2 before any server starts', () => {
    const entry = new URL('../../demo/main.ts', import.meta.url).pathname;
    const res = spawnSync(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', entry, '--profile', 'huge'],
      {
        encoding: 'utf8',
      },
    );
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("demo: usage: --profile: expected one of small, medium, large, got 'huge'");
  });
});
