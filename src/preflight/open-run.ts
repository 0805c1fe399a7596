/**
 * What a run opens before its first step, in order: the key (from the environment), the
 * destination (a local folder is created and must be writable), the state folder (locked before
 * anything in it is read or changed, so a second run is refused here), plan's estimate for the
 * progress totals (plan-estimate.json, when usable), the request ledger, the custody log, the API
 * client and the progress line. Each is registered with the run's `Resources`, which close them
 * exactly once, last opened first.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createComplianceClient, jsonlLedger } from '../api/index.js';
import type { ComplianceClient, ComplianceClientOptions } from '../api/index.js';
import { CustodyLog } from '../archive/custody-log.js';
import { ExportError } from '../errors.js';
import { PRIVATE_FILE_MODE } from '../local-files.js';
import { readPlanTotals } from '../progress/plan-totals.js';
import { Progress, type ProgressMode } from '../progress/progress.js';
import type { Resources } from '../resources.js';
import { createSink } from '../sink/create-sink.js';
import { LocalSink } from '../sink/local-sink.js';
import type { Sink } from '../sink/sink.js';
import { parseDestinationUri } from '../spec/index.js';
import type { LoadedSpec, ResolvedJobSpec } from '../spec/types.js';
import { openStore, type StagingStore } from '../store/index.js';
import { clientOptionsFromSpec, readApiKey } from './probe-scopes.js';

/** The fixed dependencies every step of a run receives. */
export interface OpenedRun {
  readonly loaded: LoadedSpec;
  readonly apiKey: string;
  readonly sink: Sink;
  readonly store: StagingStore;
  readonly custody: CustodyLog;
  readonly client: ComplianceClient;
  readonly progress: Progress;
  readonly now: () => Date;
  readonly signal: AbortSignal | undefined;
}

export interface OpenRunOptions {
  /** The state root (the spec's `state_dir` unless overridden), resolved. */
  readonly stateRoot: string;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  readonly stderr: NodeJS.WritableStream;
  readonly force?: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly progress?: ProgressMode;
  /** Client knobs for tests and benches (retry policy, clock); never the key or base URL. */
  readonly client?: Partial<Omit<ComplianceClientOptions, 'apiKey' | 'baseUrl'>>;
  /** A snapshot series: state of a shipped snapshot is cleared, not resumed (OpenStoreOptions). */
  readonly newSnapshotAfterShip?: boolean;
  /** Called once per request, after its ledger line (the disk guard's running check). */
  readonly onRequest?: () => void;
}

export async function openRun(
  loaded: LoadedSpec,
  options: OpenRunOptions,
  resources: Resources,
): Promise<OpenedRun> {
  const { spec } = loaded;
  const { now, stderr } = options;
  const apiKey = readApiKey(spec, options.env);
  const sink = createSink(spec.destination, { now });
  // A local destination folder the run creates gets the archive's folder mode, not the umask's.
  if (sink instanceof LocalSink) await sink.createRoot();
  await checkLocalDestination(spec);
  const store = await openStore({
    stateDir: options.stateRoot,
    jobName: spec.name,
    specSha256: loaded.sha256,
    ...(options.force !== undefined ? { force: options.force } : {}),
    ...(options.newSnapshotAfterShip === true ? { newSnapshotAfterShip: true } : {}),
    now,
  });
  resources.defer(() => store.close());
  // The journal was replayed whole instead: slower to open, the same state.
  if (store.image.status === 'ignored')
    stderr.write(`compliance-export: ignoring the state image in ${store.dir}: ${store.image.cause}\n`);
  // Read before this run adds to the ledger: a resumed job's earlier requests come off plan's.
  const planTotals = await readPlanTotals(store.dir, { specSha256: loaded.sha256, now: now() }, store);
  if (planTotals.status === 'ignored')
    stderr.write(`compliance-export: ignoring ${planTotals.path}: ${planTotals.cause}\n`);
  const ledger = createWriteStream(join(store.dir, 'requests.jsonl'), {
    flags: 'a',
    mode: PRIVATE_FILE_MODE,
  });
  resources.defer(() => endStream(ledger));
  // A custody log that cannot be extended stops the run (the scope releases the folder and its lock).
  const custody = await CustodyLog.open(join(store.dir, 'custody.jsonl'), { now });
  resources.defer(() => custody.close());
  const requestLedger = jsonlLedger(ledger);
  const client = createComplianceClient({
    ...options.client,
    ...clientOptionsFromSpec(spec),
    apiKey,
    // Each attempt also tells the progress line which kind spent it (per-kind request rates), and
    // the disk guard counts it (its running check).
    ledger: (entry) => {
      requestLedger.write(entry);
      progress.request(entry.path);
      options.onRequest?.();
    },
    onRetry: (event) => progress.retry(event),
  });
  resources.defer(() => client.close());
  store.holdsSecret = (text) => client.holdsSecret(text);
  const mode = options.progress ?? ((stderr as { isTTY?: boolean }).isTTY === true ? 'tty' : 'json');
  const progress = new Progress({
    mode,
    out: stderr,
    requests: () => client.stats().requests,
    budget: () => client.stats().budget,
    provisional: planTotals.status === 'used' ? planTotals.totals : null,
  });
  progress.start();
  resources.defer(() => progress.stop());
  return { loaded, apiKey, sink, store, custody, client, progress, now, signal: options.signal };
}

/** Resolves once everything written to the stream is flushed (or the stream has failed). */
function endStream(stream: WriteStream): Promise<void> {
  return new Promise((done) => stream.end(() => done()));
}

/** A local destination must be (or be creatable as) a writable folder. S3 is checked by the sink. */
async function checkLocalDestination(spec: ResolvedJobSpec): Promise<string | null> {
  const target = parseDestinationUri(spec.destination.uri);
  if (target.kind !== 'local') return null;
  const dir = resolve(target.path);
  try {
    await mkdir(dir, { recursive: true });
    const st = await stat(dir);
    if (!st.isDirectory()) throw new Error('not a directory');
    await access(dir, constants.W_OK);
  } catch (error) {
    throw new ExportError(
      'destination_unreachable',
      `destination ${spec.destination.uri}: cannot write to ${dir} (${(error as Error).message})`,
      { cause: error },
    );
  }
  return dirname(dir);
}
