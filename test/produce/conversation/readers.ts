/**
 * Independent readers for what the renderer writes: mailparser for the RFC 5322 / MIME container,
 * libmime (mailparser's own header decoder) for RFC 2047 words in X-RSMF-* fields, yauzl for
 * rsmf.zip, and ajv against Relativity's published RSMF 2.0.0 schema (test/fixtures/rsmf). None
 * of them shares code with the renderer.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import libmime from 'libmime';
import { simpleParser, type ParsedMail } from 'mailparser';
import yauzl from 'yauzl';

const SCHEMA = JSON.parse(
  readFileSync(new URL('../../fixtures/rsmf/rsmf_schema_2_0_0.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** Draft-07, every error. The schema puts `maximum` on a string (strictTypes off for that). */
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
addFormats.default(ajv);
// ajv-formats has no `idn-email`; its (ASCII) email check is a subset, and the renderer only
// ever writes ASCII addresses to `email`.
ajv.addFormat('idn-email', fullFormats.email);
export const validateManifest = ajv.compile(SCHEMA);

export interface ReadRsmf {
  readonly mail: ParsedMail;
  /** Header values as written (unfolded), by lower-case name; RFC 2047 words decoded. */
  readonly header: (name: string) => string | undefined;
  readonly zip: Map<string, Buffer>;
  readonly manifest: RsmfManifest;
}

export interface RsmfManifest {
  version: string;
  eventcollectionid?: string;
  participants: { id: string; display?: string; email?: string; account_id?: string; custom?: Custom[] }[];
  conversations: {
    id: string;
    display?: string;
    platform: string;
    participants: string[];
    custodian?: string;
    custom?: Custom[];
  }[];
  events: {
    id?: string;
    type: string;
    participant?: string;
    conversation?: string;
    timestamp?: string;
    body?: string;
    deleted?: boolean;
    direction?: string;
    attachments?: { id: string; display?: string; size?: number }[];
    custom?: Custom[];
  }[];
}

interface Custom {
  name: string;
  value: string;
}

/** Parses one .rsmf; fails unless it has exactly one attachment, rsmf.zip, with a valid manifest. */
export async function readRsmf(bytes: Buffer): Promise<ReadRsmf> {
  const mail = await simpleParser(bytes);
  const attachments = mail.attachments;
  if (attachments.length !== 1 || attachments[0]!.filename !== 'rsmf.zip') {
    throw new Error(
      `expected exactly one attachment rsmf.zip, got ${attachments.map((a) => a.filename).join(', ')}`,
    );
  }
  const zip = await unzip(attachments[0]!.content);
  const raw = zip.get('rsmf_manifest.json');
  if (raw === undefined) throw new Error('rsmf.zip has no rsmf_manifest.json at its root');
  const manifest = JSON.parse(raw.toString('utf8')) as RsmfManifest;
  if (!validateManifest(manifest)) {
    throw new Error(`manifest invalid: ${JSON.stringify(validateManifest.errors, null, 2)}`);
  }
  const header = (name: string): string | undefined => {
    const v = mail.headers.get(name.toLowerCase());
    if (v === undefined) return undefined;
    return libmime.decodeWords(typeof v === 'string' ? v : JSON.stringify(v));
  };
  return { mail, header, zip, manifest };
}

/** Every entry of a zip, by name, read with yauzl (CRC and sizes checked by it). */
export function unzip(buffer: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      buffer,
      { lazyEntries: true, strictFileNames: true, validateEntrySizes: true },
      (err, file) => {
        if (err !== null || file === undefined) return reject(err ?? new Error('no zip'));
        const out = new Map<string, Buffer>();
        file.on('error', reject);
        file.on('end', () => resolve(out));
        file.on('entry', (entry: yauzl.Entry) => {
          if (out.has(entry.fileName)) return reject(new Error(`duplicate entry ${entry.fileName}`));
          file.openReadStream(entry, (e, stream) => {
            if (e !== null || stream === undefined) return reject(e ?? new Error('no stream'));
            const chunks: Buffer[] = [];
            stream.on('data', (c: Buffer) => chunks.push(c));
            stream.on('error', reject);
            stream.on('end', () => {
              out.set(entry.fileName, Buffer.concat(chunks));
              file.readEntry();
            });
          });
        });
        file.readEntry();
      },
    );
  });
}

/** The modification time each zip entry records (yauzl's reading of the DOS date and time). */
export function zipTimes(buffer: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, file) => {
      if (err !== null || file === undefined) return reject(err ?? new Error('no zip'));
      const out = new Map<string, string>();
      file.on('error', reject);
      file.on('end', () => resolve(out));
      file.on('entry', (entry: yauzl.Entry) => {
        out.set(entry.fileName, `${entry.lastModFileDate}/${entry.lastModFileTime}`);
        file.readEntry();
      });
      file.readEntry();
    });
  });
}

/** Raw header lines of a message (up to the first empty line), CRLF-split. */
export function rawHeaderLines(bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return text.slice(0, end).split('\r\n');
}
