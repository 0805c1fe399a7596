/**
 * The contract between the production stage (which walks the staged store and decides what goes
 * under `data/review/`) and the conversation renderer (which turns one archived chat or session
 * document into RSMF files and a plain-text transcript). The renderer reads nothing but its input:
 * no store, no network, no clock. Its output is a pure function of the input, so a rerun over the
 * same store writes the same bytes (the payload manifest is known before the seal).
 */
import type { Readable } from 'node:stream';

/** A file an event of the conversation refers to, as archived in the bag (absent if it is a gap). */
export interface ConversationAttachment {
  /** The API id (`claude_file_…`, a generated file's id, an artifact version id). */
  readonly id: string;
  readonly kind: 'file' | 'generated_file' | 'chat_artifact';
  /** The original (untrusted) file name or title, as the API gave it. */
  readonly name: string | null;
  /** Path of its native in the bag, relative to the bag root (`data/files/<id>/<name>`). */
  readonly bagPath: string;
  readonly size: number;
  readonly sha256: string;
  /** Streams the native's bytes afresh on every call. */
  readonly open: () => Readable;
}

export interface ConversationInput {
  readonly kind: 'chat' | 'session';
  /** The chat or session id (names the RSMF file: `<id>.rsmf` / `<id>.partNN.rsmf`). */
  readonly id: string;
  /**
   * The document exactly as archived: for a chat `data/chats/<id>.json`
   * (`{"chat":{…the chat's metadata…},"messages":[…raw API messages in API order…]}`); for a session
   * `data/sessions/<kind>/<id>.json`. Untrusted: malformed input is an error naming the id.
   */
  readonly document: Buffer;
  /** Every attachment the archive holds for this conversation, by API id. */
  readonly attachments: ReadonlyMap<string, ConversationAttachment>;
  /** The value of `X-RSMF-Generator` (tool name and version). */
  readonly generator: string;
}

/** One `.rsmf` file (an RFC 5322 message) of a conversation. */
export interface RsmfFile {
  /** `<safe id>.rsmf`, or `<safe id>.partNN.rsmf` (NN from 01) when split at 10,000 events. */
  readonly fileName: string;
  readonly bytes: Buffer;
  readonly eventCount: number;
  /** First and last event timestamps (RFC 3339), or null for a conversation with no events. */
  readonly beginDate: string | null;
  readonly endDate: string | null;
  /** Attachment ids this part's `rsmf.zip` holds. */
  readonly attachmentIds: readonly string[];
}

export interface ConversationOutput {
  /** One file, or several parts in order. Never empty: a conversation with no events still has one. */
  readonly rsmf: readonly RsmfFile[];
  /** A plain, readable UTF-8 transcript of the whole conversation (for `data/review/text/`). */
  readonly transcript: string;
  /** Message ids in the API's order (what the events carry), for the load file and reports. */
  readonly messageCount: number;
}
