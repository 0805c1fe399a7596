/**
 * `compliance-export materialize <archive> --out <dir>`: a full, self-contained archive rebuilt at
 * an archive's cut from the snapshot chain it belongs to. Exit 0 written and verified, 1 when the
 * chain is broken or the result does not verify, 2 on usage.
 */
import type { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { materialize } from '../../snapshot/materialize.js';
import { pathArg, type CommandHost } from '../cli-io.js';

interface MaterializeCliOptions {
  out: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

export function registerMaterializeCommand(program: Command, host: CommandHost): void {
  program
    .command('materialize')
    .description(
      'Rebuild a full, self-contained archive at the cut of an archive of a snapshot series: every ' +
        'record of its inventory read from the archive that holds its bytes (same destination), each ' +
        'checked against the inventory, then sealed as a full export would seal it (review copy ' +
        'included) and verified. Writes <out>/<name>-<run-id>-full.zip and its .sha256; never overwrites.',
    )
    .argument('<archive>', 'a .zip file in its destination layout, or s3://bucket/…/<name>-<run-id>.zip')
    .requiredOption('--out <dir>', 'folder for the full archive (created 0700 when missing)')
    .option('--endpoint <url>', 'S3-compatible endpoint (e.g. http://127.0.0.1:9000)')
    .option('--region <region>', 'S3 region (default: AWS_REGION or us-east-1)')
    .option('--force-path-style', 'path-style S3 addressing (most S3-compatible stores need it)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  compliance-export materialize out/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip --out ./full\n' +
        '  compliance-export materialize s3://vault/exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip --out ./full\n' +
        '\nExit codes: 0 written and verified, 1 chain broken or the result does not verify, 2 usage.',
    )
    .action(
      host.action(async (archive: string, opts: MaterializeCliOptions) => {
        const { io } = host;
        const result = await materialize({
          target: archive.startsWith('s3://') ? archive : pathArg(io, archive),
          outDir: pathArg(io, opts.out),
          s3: {
            ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
            ...(opts.region === undefined ? {} : { region: opts.region }),
            ...(opts.forcePathStyle === true ? { forcePathStyle: true } : {}),
          },
          log: (line) => void io.stderr.write(`${line}\n`),
        });
        io.stderr.write(
          `materialize: ${result.runId} from ${result.from.join(',')}: verified ` +
            `(${result.report.facts.payloadFiles} payload files, ${result.report.facts.payloadBytes} bytes)\n`,
        );
        io.stdout.write(`${result.path}\n`);
        return EXIT.ok;
      }),
    );
}
