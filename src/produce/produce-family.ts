/**
 * The second production pass, one family at a time (a root and its children, ./families.ts): DOCIDs
 * in order, a conversation rendered into RSMF parts and a transcript (stored as blobs), each other
 * native tested for text by its bytes, and the family's items.csv rows (documents, and a project's
 * data-set files after the project). Memory: one family's records and one conversation's output.
 */
import type { Readable } from 'node:stream';
import type { PayloadFile } from '../archive/bag-input.js';
import type { ItemKind, ItemRow } from '../archive/report-rows.js';
import type { DocumentKind } from '../collect/index.js';
import { ExportError, isExportError } from '../errors.js';
import type { StagedFile, StagingStore, StoredRecord } from '../store/index.js';
import { renderConversation } from './conversation/render.js';
import type { ConversationAttachment, ConversationInput, ConversationOutput } from './conversation/types.js';
import { formatDocid } from './docid.js';
import { bagPath, custodianOf, filesOf, recordFields } from './document-rows.js';
import { isTextLike } from './text-like.js';

/** What the stage is told: the DOCID prefix and the RSMF generator string. */
export interface ProduceOptions {
  readonly docidPrefix: string;
  /** `X-RSMF-Generator`: tool name and version. */
  readonly generator: string;
  /** The conversation renderer (./conversation/render.ts unless a test gives another). */
  readonly render?: (input: ConversationInput) => Promise<ConversationOutput>;
  /** The family sort's run size and fan-in (./families.ts; tests use small runs to merge several). */
  readonly sort?: { readonly runSize?: number; readonly fanIn?: number };
  /** Stops the stage at its next family (and every 4,096 records of its first pass) once aborted. */
  readonly signal?: AbortSignal;
}

/** One document of a family, with its kind's role. */
export interface Member {
  readonly record: StoredRecord;
  readonly role: DocumentKind;
}

/** A file under `data/review/` (path relative to `data/`), held as a blob. */
/** The pass number a gap found while producing the review copy is recorded under (after the last). */
const SEAL_PASS = 0;

export type ReviewFile = Omit<PayloadFile, 'open'>;

const ATTACHMENT_KINDS: ReadonlySet<ItemKind> = new Set(['file', 'generated_file', 'chat_artifact']);

/** What an RSMF file may be called: one safe segment (`<safe id>.rsmf`, `<safe id>.partNN.rsmf`). */
const RSMF_NAME = /^[A-Za-z0-9][A-Za-z0-9_~-]*(\.part[0-9]{2,})?\.rsmf$/u;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Newlines in a blob: the records of a JSONL file (each line ends with one). */
async function countLines(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) n += 1;
  }
  return n;
}

/**
 * A session's record id is `<local|remote>/<id>` (src/collect/kinds/sessions.ts): its RSMF goes
 * under `review/rsmf/sessions/<local|remote>/` (a session id cannot then land on a chat's file
 * name), and the conversation is the session's own id.
 */
function sessionOf(recordId: string): { kind: string; id: string } {
  const slash = recordId.indexOf('/');
  const kind = recordId.slice(0, Math.max(slash, 0));
  return /^(local|remote)$/u.test(kind)
    ? { kind, id: recordId.slice(slash + 1) }
    : { kind: 'other', id: recordId };
}

export class FamilyProducer {
  readonly #store: StagingStore;
  readonly #options: ProduceOptions;
  readonly #reviewFile: (file: ReviewFile) => Promise<void>;
  #docs = 0;

  /** `reviewFile` is told of every file written under `data/review/`. */
  constructor(store: StagingStore, options: ProduceOptions, reviewFile: (file: ReviewFile) => Promise<void>) {
    this.#store = store;
    this.#options = options;
    this.#reviewFile = reviewFile;
  }

  /** The family's items.csv rows in order: the root (and its further parts), then each child. */
  async produce(root: Member, children: readonly Member[]): Promise<ItemRow[]> {
    const rows: ItemRow[] = [];
    const rootDocid = this.#docid();
    const who = custodianOf(root.record, null);
    const conversation = root.role.native === 'conversation' ? root.record : null;
    const conversationId = conversation?.id ?? '';
    if (conversation !== null) {
      rows.push(...(await this.#conversation(root, children, rootDocid, who)));
    } else {
      rows.push(await this.#content(root, rootDocid, '', who, ''));
      rows.push(...(await this.#datasets(root, rootDocid, who)));
    }
    for (const child of children) {
      const docid = this.#docid();
      // A conversation's attachments are its custodian's, even when the API gave the chat no user
      // (a file shared by two chats was recorded with whichever fetched it first); other children
      // keep their own.
      const childWho = conversation !== null ? who : custodianOf(child.record, who);
      rows.push(await this.#content(child, docid, rootDocid, childWho, conversationId));
    }
    return rows;
  }

  #docid(): string {
    this.#docs += 1;
    return formatDocid(this.#options.docidPrefix, this.#docs);
  }

  /** A new review file: its bytes stored as a blob. */
  async #put(path: string, bytes: Buffer | string): Promise<ReviewFile> {
    const ref = await this.#store.blobs.putBytes(bytes);
    const file = { path, ...ref };
    await this.#reviewFile(file);
    return file;
  }

  /** A review file with the bytes of a blob the store holds already (a text-like native's text). */
  async #alias(path: string, blob: StagedFile): Promise<ReviewFile> {
    const file = { path, sha256: blob.sha256, md5: blob.md5, size: blob.size };
    await this.#reviewFile(file);
    return file;
  }

  /** A document whose native is its own payload file; a text-like native is also its text. */
  async #content(
    member: Member,
    docid: string,
    parentDocid: string,
    who: Pick<ItemRow, 'custodian' | 'custodianNote'>,
    conversationId: string,
  ): Promise<ItemRow> {
    const { native, record } = filesOf(member.record, member.role);
    let textPath = '';
    if (native !== null && (await isTextLike(native.size, () => this.#store.blobs.open(native.sha256)))) {
      textPath = bagPath((await this.#alias(`review/text/${docid}.txt`, native)).path);
    }
    return {
      docid,
      parentDocid,
      ...recordFields(member.record),
      ...who,
      nativePath: native === null ? '' : bagPath(native.path),
      textPath,
      recordPath: record === null ? '' : bagPath(record.path),
      conversationId,
      sha256: native?.sha256 ?? '',
      md5: native?.md5 ?? '',
      size: native?.size ?? 0,
      records: null,
    };
  }

  /**
   * A chat or session: its RSMF parts are its natives (part 1 takes the family's DOCID, parts 2..N
   * the next ones with part 1 as parent), its transcript part 1's text. A chat's attachments are
   * its children the archive holds. A document the renderer refuses as malformed (`invalid_response`)
   * keeps its archived API JSON as native, with no text.
   */
  async #conversation(
    root: Member,
    children: readonly Member[],
    docid: string,
    who: Pick<ItemRow, 'custodian' | 'custodianNote'>,
  ): Promise<ItemRow[]> {
    const r = root.record;
    const { record } = filesOf(r, root.role);
    const common = {
      parentDocid: '',
      ...recordFields(r),
      ...who,
      recordPath: record === null ? '' : bagPath(record.path),
      conversationId: r.id,
      records: null,
    };
    const output = record === null ? null : await this.#render(r, record, children);
    if (output === null) {
      const native = record;
      return [
        {
          docid,
          ...common,
          nativePath: native === null ? '' : bagPath(native.path),
          textPath: '',
          sha256: native?.sha256 ?? '',
          md5: native?.md5 ?? '',
          size: native?.size ?? 0,
        },
      ];
    }
    const rows: ItemRow[] = [];
    const folder = r.kind === 'session' ? `review/rsmf/sessions/${sessionOf(r.id).kind}` : 'review/rsmf';
    for (const [i, part] of output.rsmf.entries()) {
      if (!RSMF_NAME.test(part.fileName))
        throw new ExportError(
          'internal',
          `${r.kind} ${r.id}: RSMF file name ${JSON.stringify(part.fileName)} is not one safe segment`,
        );
      const file = await this.#put(`${folder}/${part.fileName}`, part.bytes);
      const partDocid = i === 0 ? docid : this.#docid();
      const text = i === 0 ? await this.#put(`review/text/${docid}.txt`, output.transcript) : null;
      rows.push({
        docid: partDocid,
        ...common,
        parentDocid: i === 0 ? '' : docid,
        nativePath: bagPath(file.path),
        textPath: text === null ? '' : bagPath(text.path),
        sha256: file.sha256,
        md5: file.md5,
        size: file.size,
      });
    }
    return rows;
  }

  async #render(
    r: StoredRecord,
    archived: StagedFile,
    children: readonly Member[],
  ): Promise<ConversationOutput | null> {
    const blobs = this.#store.blobs;
    const attachments = new Map<string, ConversationAttachment>();
    if (r.kind === 'chat') {
      for (const child of children) {
        const c = child.record;
        const native = filesOf(c, child.role).native;
        if (!ATTACHMENT_KINDS.has(c.kind) || native === null) continue;
        attachments.set(c.id, {
          id: c.id,
          kind: c.kind as ConversationAttachment['kind'],
          name: c.originalName,
          bagPath: bagPath(native.path),
          size: native.size,
          sha256: native.sha256,
          open: () => blobs.open(native.sha256, native.size),
        });
      }
    }
    const id = r.kind === 'session' ? sessionOf(r.id).id : r.id;
    try {
      const render = this.#options.render ?? renderConversation;
      return await render({
        kind: r.kind === 'session' ? 'session' : 'chat',
        id,
        document: await readAll(blobs.open(archived.sha256)),
        attachments,
        generator: this.#options.generator,
      });
    } catch (error) {
      if (!isExportError(error) || error.code !== 'invalid_response') throw error;
      // The archive holds the document verbatim, but a reviewer gets no RSMF and no transcript of
      // it: named in exceptions.csv (a notice: the item itself is in the archive).
      this.#store.recordException(
        {
          kind: r.kind,
          id: r.id,
          reason: 'review_copy_unavailable',
          retryable: false,
          detail: `no RSMF or transcript: ${error.message}`,
        },
        SEAL_PASS,
      );
      return null;
    }
  }

  /** A project's own data-set files (attachments, collaborators): one row each, after the project. */
  async #datasets(
    member: Member,
    docid: string,
    who: Pick<ItemRow, 'custodian' | 'custodianNote'>,
  ): Promise<ItemRow[]> {
    const rows: ItemRow[] = [];
    for (const { file, kind } of filesOf(member.record, member.role).datasets) {
      rows.push({
        docid: '',
        parentDocid: docid,
        ...recordFields(member.record),
        kind,
        originalName: null,
        ...who,
        nativePath: bagPath(file.path),
        textPath: '',
        recordPath: '',
        conversationId: '',
        sha256: file.sha256,
        md5: file.md5,
        size: file.size,
        records: await countLines(this.#store.blobs.open(file.sha256)),
      });
    }
    return rows;
  }
}
