/**
 * `compliance-export verify <zip | dir | s3://bucket/key> [--json] [--chain]`: independent check of
 * a sealed archive (with `--chain`, of the snapshot chain it belongs to too:
 * src/snapshot/verify-chain.ts). Exit 0 when clean, 1 when any problem is found (each one named),
 * 2 on usage.
 */
import type { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { formatVerifyReport, formatVolumeSet } from '../../verify/format-report.js';
import { verifyArchive } from '../../verify/verify-archive.js';
import { verifyChain } from '../../snapshot/verify-chain.js';
import { verifyVolumeSet } from '../../verify/volume-group.js';
import { pathArg, type CommandHost } from '../cli-io.js';

interface VerifyCliOptions {
  json?: boolean;
  quiet?: boolean;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  sidecar?: boolean;
  group?: boolean;
  chain?: boolean;
}

export function registerVerifyCommand(program: Command, host: CommandHost): void {
  program
    .command('verify')
    .description(
      'Verify a sealed archive: BagIt completeness and validity (manifests, tag manifest, Payload-Oxum, ' +
        'bag-info), the custody chain, and the .sha256 sidecar. Reads a zip, an extracted folder, or ' +
        'streams s3://bucket/key with ranged reads (credentials and region from the AWS environment).',
    )
    .argument('<archive>', 'a .zip file, an extracted bag folder, or s3://bucket/key.zip')
    .option('--json', 'print the full report as JSON on stdout')
    .option('-q, --quiet', 'print nothing when the archive is clean')
    .option('--endpoint <url>', 'S3-compatible endpoint (e.g. http://127.0.0.1:9000)')
    .option('--region <region>', 'S3 region (default: AWS_REGION or us-east-1)')
    .option('--force-path-style', 'path-style S3 addressing (most S3-compatible stores need it)')
    .option('--no-sidecar', 'do not require the <archive>.sha256 sidecar')
    .option(
      '--chain',
      'also check the snapshot chain: every archive its inventory names (same destination) is there and ' +
        "verifies, and lists each record it holds with the inventory's hash",
    )
    .option(
      '--no-group',
      'one volume of a set (Bag-Count: i of N): check it alone, not its siblings beside it',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  compliance-export verify out/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip\n' +
        '  compliance-export verify ./extracted/legal-hold-20261122T101300Z\n' +
        '  compliance-export verify s3://vault/exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip --json\n' +
        '\nExit codes: 0 clean, 1 problems found (or the archive cannot be read), 2 usage.',
    )
    .action(
      host.action(async (archive: string, opts: VerifyCliOptions) => {
        const { io } = host;
        // S3 credentials and a default region come from the AWS SDK's own chain (process env).
        const target = archive.startsWith('s3://') ? archive : pathArg(io, archive);
        const s3 = {
          ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
          ...(opts.region === undefined ? {} : { region: opts.region }),
          ...(opts.forcePathStyle === true ? { forcePathStyle: true } : {}),
        };
        const options = { ...s3, sidecar: opts.sidecar !== false };
        // One volume of a set (Bag-Count: i of N) brings its siblings; a snapshot chain has no volumes.
        const set =
          opts.group === false || opts.chain === true ? null : await verifyVolumeSet(target, options);
        if (set !== null && (set.volumes.length > 1 || set.problems.length > 0)) {
          if (opts.json === true) io.stdout.write(`${JSON.stringify(set, null, 2)}\n`);
          else if (!(set.ok && opts.quiet === true))
            (set.ok ? io.stdout : io.stderr).write(formatVolumeSet(set));
          return set.ok ? EXIT.ok : EXIT.failure;
        }
        const bag = set?.volumes[0] ?? (await verifyArchive(target, options));
        const chain = opts.chain === true ? await verifyChain(target, s3) : null;
        const report =
          chain === null
            ? bag
            : {
                ...bag,
                ok: bag.ok && chain.problems.length === 0,
                problems: [...bag.problems, ...chain.problems],
                chain: { archives: chain.archives, records: chain.records },
              };
        if (opts.json === true) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (!(report.ok && opts.quiet === true)) {
          (report.ok ? io.stdout : io.stderr).write(formatVerifyReport(report));
          if (report.ok && chain !== null) {
            io.stdout.write(
              `OK chain: ${chain.records} records held by ${chain.archives.join(', ')}, each listed with its hash\n`,
            );
          }
        }
        return report.ok ? EXIT.ok : EXIT.failure;
      }),
    );
}
