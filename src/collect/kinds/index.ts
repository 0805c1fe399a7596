/**
 * The content kinds, in collection order. Adding a kind: its module in this folder (exporting one
 * `KindModule`, ./kind-module.ts), an entry here, and its `scope.include` value in the spec schema.
 */
import { activities } from './activities.js';
import { chats } from './chats.js';
import { codeArtifacts } from './code-artifacts.js';
import { directory } from './directory.js';
import type { KindModule, RelistedKind } from './kind-module.js';
import { projects } from './projects.js';
import { sessions } from './sessions.js';

/** Pass 1 starts them in this order, all at once (../quiesce.ts); `plan` surveys and estimates them in it. */
export const KINDS: readonly KindModule[] = [directory, chats, projects, codeArtifacts, activities, sessions];

/**
 * Every quiescence pass lists these again in full, one after another in this order (code
 * artifacts before projects, as the passes have always run, so their request sequence stays the
 * same).
 */
export const RELISTED_KINDS: readonly RelistedKind[] = [chats, codeArtifacts, projects, activities, sessions];

export type * from './kind-module.js';
