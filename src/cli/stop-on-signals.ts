/**
 * Ctrl-C and SIGTERM (systemd, Kubernetes, `timeout`) both ask a run to stop at its next clean
 * checkpoint: the first one aborts `controller` (the run then saves its state and prints the
 * command that resumes); a second one of either kind exits at once with the first one's code,
 * 130 (128 + SIGINT) or 143 (128 + SIGTERM).
 */
import { EXIT, ExportError } from '../errors.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface SignalStop {
  /** The first signal received, or null. */
  signal(): StopSignal | null;
  /** The exit code for a run that stopped at a checkpoint because of it. */
  exitCode(): number;
  dispose(): void;
}

export function stopOnSignals(
  controller: AbortController,
  doing: string,
  stderr: NodeJS.WritableStream,
): SignalStop {
  let first: StopSignal | null = null;
  const code = (): number => (first === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted);
  const handler = (got: StopSignal): void => {
    if (first !== null) process.exit(code());
    first = got;
    const again = got === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM';
    stderr.write(`\ncompliance-export: ${got}: ${doing} (${again} again to quit now)\n`);
    controller.abort(new ExportError('interrupted', `interrupted by ${got}`));
  };
  const onInt = (): void => handler('SIGINT');
  const onTerm = (): void => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: () => first,
    exitCode: code,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
