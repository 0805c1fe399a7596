/**
 * The text of the BagIt tag files the sealer writes itself (RFC 8493 §2.1–2.2).
 */

export const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';

/** Tag files the sealer owns; a caller's TagFile may not use these paths. */
export const SEALER_TAG_FILES = [
  'bagit.txt',
  'bag-info.txt',
  'manifest-md5.txt',
  'manifest-sha256.txt',
  'tagmanifest-md5.txt',
  'tagmanifest-sha256.txt',
] as const;

/**
 * RFC 8493 §2.1.3: a manifest path with CR, LF or `%` must be percent-encoded (only those three).
 * The sealer refuses payload paths holding any of them (see safe-name), because bagit-python
 * decodes only `%0D`/`%0A` and would miss a file listed as `%25`; for our bags this is the
 * identity, kept so a manifest line is correct whatever path it is given.
 */
function encodeManifestPath(path: string): string {
  return path.replace(/%/gu, '%25').replace(/\n/gu, '%0A').replace(/\r/gu, '%0D');
}

export function manifestLine(hex: string, bagPath: string): string {
  return `${hex}  ${encodeManifestPath(bagPath)}\n`;
}

/** `1.2 GB`-style size for `Bag-Size` (decimal units, as bagit tools print). */
function humanSize(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/**
 * One `Label: value` line. Labels may not hold `:` or line breaks; values are folded onto one
 * line (line breaks become spaces) so every reader parses them the same way.
 */
function bagInfoLine(label: string, value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/u.test(label)) {
    throw new Error(`bag-info label ${JSON.stringify(label)} must be letters, digits, space, _ . -`);
  }
  const flat = value.replace(/\r\n|\r|\n/gu, ' ').trim();
  return `${label}: ${flat}\n`;
}

export interface BagInfoFields {
  readonly name: string;
  readonly asOfCut: string;
  readonly payloadBytes: number;
  readonly payloadFiles: number;
  readonly toolAgent: string;
  readonly extra: readonly (readonly [string, string])[];
}

/** `bag-info.txt`: the RFC fields first, then the caller's in the order given. */
export function renderBagInfo(fields: BagInfoFields): string {
  const reserved = new Set([
    'payload-oxum',
    'bagging-date',
    'bag-size',
    'external-identifier',
    'bag-software-agent',
  ]);
  let text = '';
  text += bagInfoLine('Bag-Software-Agent', fields.toolAgent);
  text += bagInfoLine('Bagging-Date', new Date(fields.asOfCut).toISOString().slice(0, 10));
  text += bagInfoLine('Bag-Size', humanSize(fields.payloadBytes));
  text += bagInfoLine('External-Identifier', fields.name);
  text += bagInfoLine('Payload-Oxum', `${fields.payloadBytes}.${fields.payloadFiles}`);
  for (const [label, value] of fields.extra) {
    if (reserved.has(label.toLowerCase()))
      throw new Error(`bag-info label ${label} is written by the sealer`);
    text += bagInfoLine(label, value);
  }
  return text;
}
