/**
 * Seal → ship → verify for a collected store. Wired to the archive, sink and verify helpers as
 * they land; until then the run stops after quiescence and reports what it staged.
 */
import type { ComplianceClient } from '../api/index.js';
import type { QuiescenceResult } from '../collect/quiesce.js';
import type { LoadedSpec, ResolvedJobSpec } from '../spec/types.js';
import type { StagingStore } from '../store/index.js';
import type { Progress } from './progress.js';

export interface FinishInput {
  readonly store: StagingStore;
  readonly loaded: LoadedSpec;
  readonly runSpec: ResolvedJobSpec;
  readonly client: ComplianceClient;
  readonly progress: Progress;
  readonly now: () => Date;
  readonly quiescence: QuiescenceResult;
  readonly resumed: boolean;
}

export interface FinishResult {
  readonly location: string;
  readonly zipSha256: string;
  readonly zipBytes: number;
  readonly verified: boolean;
}

export async function finishRun(_input: FinishInput): Promise<FinishResult | null> {
  return null;
}
