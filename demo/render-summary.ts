/**
 * DemoResult → the summary table `npm start` prints, and the machine summary for `--json`
 * (pure). Never includes the API key: the result does not hold it.
 */
import { formatDuration, table } from '../src/plan/render-plan.js';
import type { DemoResult } from './run-demo.js';

export interface DemoSummary {
  readonly exitCode: number;
  readonly status: string;
  readonly asOfCut: string | null;
  readonly counts: Record<string, number>;
  readonly gaps: number;
  readonly drift: number;
  readonly duplicates: number;
  readonly requests: { readonly client: number; readonly served: number; readonly rateLimited: number };
  readonly quiescence: { readonly passes: number; readonly settled: boolean } | null;
  readonly archive: {
    readonly location: string;
    readonly key: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly payloadFiles: number;
  } | null;
  readonly verify: { readonly ok: boolean; readonly problems: readonly string[] } | null;
  readonly sandbox: { readonly baseUrl: string; readonly profile: string; readonly rpm: number };
  readonly s3: { readonly endpoint: string; readonly directory: string };
  readonly stateDir: string;
  readonly kept: boolean;
  readonly elapsedSeconds: number;
}

export function demoSummary(r: DemoResult): DemoSummary {
  const a = r.run.archive;
  return {
    exitCode: r.exitCode,
    status: r.verify !== null && !r.verify.ok ? 'verify_failed' : r.run.status,
    asOfCut: r.run.asOfCut,
    counts: Object.fromEntries(Object.entries(r.run.counts).sort(([x], [y]) => (x < y ? -1 : 1))),
    gaps: r.run.exceptions,
    drift: r.run.drift,
    duplicates: r.run.duplicates,
    requests: { client: r.run.requests, served: r.sandbox.requests, rateLimited: r.sandbox.rateLimited },
    quiescence: r.run.quiescence,
    archive:
      a === null
        ? null
        : {
            location: a.location,
            key: r.archiveKey ?? '',
            sha256: a.zipSha256,
            bytes: a.zipBytes,
            payloadFiles: a.payloadFiles,
          },
    verify:
      r.verify === null
        ? null
        : {
            ok: r.verify.ok,
            problems: r.verify.problems.map((p) => `${p.code}${p.path ? ` ${p.path}` : ''}`),
          },
    sandbox: { baseUrl: r.sandbox.baseUrl, profile: r.sandbox.profile, rpm: r.sandbox.rpm },
    s3: { endpoint: r.s3.endpoint, directory: r.s3.directory },
    stateDir: r.stateDir,
    kept: r.kept,
    elapsedSeconds: Math.round(r.elapsedMs / 100) / 10,
  };
}

const num = (n: number): string => n.toLocaleString('en-US');

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function renderDemoSummary(s: DemoSummary): string {
  const out: string[] = [];
  out.push(
    `compliance-export demo: sandbox (${s.sandbox.profile} profile, ${num(s.sandbox.rpm)} rpm) → local S3`,
    '',
  );
  out.push(
    ...table(
      ['kind', 'items'],
      Object.entries(s.counts).map(([k, n]) => [k, num(n)]),
    ).map((l) => `  ${l}`),
  );
  const q = s.quiescence;
  const rows: [string, string][] = [
    ['status', s.status],
    ['as-of cut', s.asOfCut ?? '-'],
    ['gaps', `${num(s.gaps)}${s.gaps > 0 ? ' (see reports/exceptions.csv in the archive)' : ''}`],
    ['drift', num(s.drift)],
    ['duplicates', num(s.duplicates)],
    [
      'requests',
      `${num(s.requests.client)} sent, ${num(s.requests.served)} served by the sandbox, ${num(s.requests.rateLimited)} rate-limited (429)`,
    ],
    ['quiescence', q === null ? '-' : `${q.passes} pass(es), ${q.settled ? 'settled' : 'NOT settled'}`],
  ];
  if (s.archive !== null) {
    rows.push(
      ['archive', s.archive.location],
      ['sha256', s.archive.sha256],
      ['size', `${mib(s.archive.bytes)}, ${num(s.archive.payloadFiles)} payload files`],
    );
  } else rows.push(['archive', 'none (the run stopped before sealing)']);
  if (s.verify !== null) {
    rows.push([
      'verify',
      s.verify.ok
        ? 'OK (BagIt manifests, Payload-Oxum, custody chain, sidecar)'
        : `FAILED: ${s.verify.problems.join('; ')}`,
    ]);
  }
  rows.push(['elapsed', formatDuration(s.elapsedSeconds)]);
  const w = Math.max(...rows.map(([k]) => k.length));
  out.push('', ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`));
  if (s.kept) {
    out.push(
      '',
      'Kept for inspection (Ctrl-C stops the servers; the files stay):',
      `  sandbox   ${s.sandbox.baseUrl}   (GET /_sandbox/truth, /_sandbox/stats)`,
      `  S3        ${s.s3.endpoint}   credentials S3RVER / S3RVER, objects under ${s.s3.directory}`,
      `  state     ${s.stateDir}`,
    );
    if (s.archive !== null) {
      out.push(
        `  verify    AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER compliance-export verify \\`,
        `              --endpoint ${s.s3.endpoint} --force-path-style ${s.archive.location}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
