/**
 * Bytes and text of every downloadable thing, generated from (seed, kind, id) on demand and never
 * held whole in memory: binary bodies stream out of a PRNG in 64 KiB chunks. Digests are computed
 * by one pass over the same stream and memoised per record, so metadata (`md5`, `size_bytes`),
 * `Content-MD5` and `/_sandbox/truth` all describe exactly the bytes a download serves.
 */
import { createHash } from 'node:crypto';
import type { ArtifactVersion, Blob, CodeArtifact, CodeVersion, ProjectDoc } from './model.js';
import { WORDS } from './names.js';
import { Rng } from './random.js';
import { buildZip } from './zip.js';

export const CHUNK_SIZE = 64 * 1024;

export interface Digest {
  size: number;
  md5Hex: string;
  md5Base64: string;
  sha256Hex: string;
}

const digestCache = new WeakMap<object, Digest>();

function digestOf(chunks: Iterable<Uint8Array>): Digest {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let size = 0;
  for (const c of chunks) {
    md5.update(c);
    sha.update(c);
    size += c.length;
  }
  const md5Buf = md5.digest();
  return {
    size,
    md5Hex: md5Buf.toString('hex'),
    md5Base64: md5Buf.toString('base64'),
    sha256Hex: sha.digest('hex'),
  };
}

function memo(key: object, make: () => Iterable<Uint8Array>): Digest {
  let d = digestCache.get(key);
  if (d === undefined) {
    d = digestOf(make());
    digestCache.set(key, d);
  }
  return d;
}

/** A run of words, `approxChars` long, with the odd non-ASCII word. */
export function prose(rng: Rng, approxChars: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < approxChars) {
    const w = rng.pick(WORDS);
    parts.push(w);
    n += w.length + 1;
    if (rng.chance(0.08)) {
      parts.push('\n');
      n += 1;
    }
  }
  return parts.join(' ');
}

/** Exactly `size` bytes: text lines or magic + PRNG bytes, in CHUNK_SIZE pieces. */
function* streamBytes(rng: Rng, size: number, body: 'text' | 'binary', magic: string): Generator<Uint8Array> {
  let remaining = size;
  let first = true;
  while (remaining > 0) {
    const want = Math.min(CHUNK_SIZE, remaining);
    let chunk: Buffer;
    if (body === 'binary') {
      chunk = Buffer.allocUnsafe(want);
      rng.fill(chunk);
      if (first && magic.length > 0)
        Buffer.from(magic, 'latin1').copy(chunk, 0, 0, Math.min(magic.length, want));
    } else {
      const text = Buffer.from(prose(rng, want), 'utf8');
      if (text.length >= want) {
        // Never cut a UTF-8 sequence in half: back off to a boundary and pad with newlines.
        let end = want;
        while (end > 0 && ((text[end] ?? 0) & 0xc0) === 0x80) end--;
        chunk = Buffer.concat([text.subarray(0, end), Buffer.alloc(want - end, 0x0a)]);
      } else {
        chunk = Buffer.concat([text, Buffer.alloc(want - text.length, 0x0a)]);
      }
    }
    first = false;
    remaining -= chunk.length;
    yield chunk;
  }
}

export function blobChunks(seed: number, blob: Blob): Iterable<Uint8Array> {
  return streamBytes(new Rng(seed, 'blob', blob.uuid), blob.size, blob.body, blob.magic);
}

export function blobDigest(seed: number, blob: Blob): Digest {
  return memo(blob, () => blobChunks(seed, blob));
}

export function artifactText(seed: number, av: ArtifactVersion): string {
  const rng = new Rng(seed, 'artifact-version', av.versionId);
  const lang = av.artifactType === 'text/markdown' ? '# ' : '// ';
  return `${lang}${av.title ?? 'untitled'}\n${prose(rng, av.chars)}\n`;
}

export function artifactDigest(seed: number, av: ArtifactVersion): Digest {
  return memo(av, () => [Buffer.from(artifactText(seed, av), 'utf8')]);
}

export function projectDocText(seed: number, doc: ProjectDoc): string {
  return prose(new Rng(seed, 'project-doc', doc.id), doc.chars);
}

export function projectDocDigest(seed: number, doc: ProjectDoc): Digest {
  return memo(doc, () => [Buffer.from(projectDocText(seed, doc), 'utf8')]);
}

/** A multi-file version as the newest API serves it with multi_file_format=zip (§3.15). */
function codeVersionZip(seed: number, art: CodeArtifact, v: CodeVersion): Buffer {
  const rng = new Rng(seed, 'code-version-zip', art.id, v.id);
  const root = `${art.id}-${v.id}/`;
  const names =
    art.artifactType === 'claude_docs'
      ? ['Tab 1.docx', 'Tab 2 – Notes.docx']
      : ['index.html', 'style.css', 'app.js'];
  const files = names
    .slice(0, v.files)
    .map((n) => ({ name: `${root}files/${n}`, data: Buffer.from(prose(rng, rng.int(200, 4000)), 'utf8') }));
  const index = files.map((f) => ({
    path: f.name.slice(root.length + 'files/'.length),
    size_bytes: f.data.length,
  }));
  // The index is written last: an archive without it is a failed download.
  return buildZip(
    [...files, { name: `${root}files.json`, data: Buffer.from(JSON.stringify({ files: index }), 'utf8') }],
    v.createdAt ?? art.createdAt,
  );
}

export function codeVersionChunks(seed: number, art: CodeArtifact, v: CodeVersion): Iterable<Uint8Array> {
  if (v.files > 1) return [codeVersionZip(seed, art, v)];
  const head = `<!doctype html><title>${art.id} ${v.name}</title>\n`;
  const rng = new Rng(seed, 'code-version', art.id, v.id);
  return (function* () {
    const h = Buffer.from(head, 'utf8');
    yield h;
    yield* streamBytes(rng, Math.max(0, v.size - h.length), 'text', '');
  })();
}

export function codeVersionDigest(seed: number, art: CodeArtifact, v: CodeVersion): Digest {
  return memo(v, () => codeVersionChunks(seed, art, v));
}
