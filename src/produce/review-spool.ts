/**
 * JSON-lines spools in the state folder (`<state>/<job>/review/`): what the production stage
 * decided, written once while it runs and streamed back as often as the seal needs (the review
 * payload files, the items.csv rows), so memory does not grow with the number of documents. The
 * folder is content: `state.retain: index` removes it with the blobs.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PRIVATE_FILE_MODE } from '../local-files.js';

export class JsonlSpool<T> {
  readonly path: string;
  readonly #out: WriteStream;
  #count = 0;

  private constructor(path: string) {
    this.path = path;
    this.#out = createWriteStream(path, { flags: 'wx', mode: PRIVATE_FILE_MODE });
  }

  static async create<T>(path: string): Promise<JsonlSpool<T>> {
    const spool = new JsonlSpool<T>(path);
    await once(spool.#out, 'open');
    return spool;
  }

  get count(): number {
    return this.#count;
  }

  /** Appends one value; waits when the stream's buffer is full. */
  async write(value: T): Promise<void> {
    this.#count += 1;
    if (!this.#out.write(`${JSON.stringify(value)}\n`)) await once(this.#out, 'drain');
  }

  async close(): Promise<void> {
    this.#out.end();
    await once(this.#out, 'close');
  }

  /** Closes the stream without waiting (after a failure). */
  destroy(): void {
    this.#out.destroy();
  }
}

/** The values of a spool, in the order they were written. */
export async function* readSpool<T>(path: string): AsyncGenerator<T> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) if (line !== '') yield JSON.parse(line) as T;
}
