/**
 * Filename from a Content-Disposition header. The API sends the RFC 5987 form for every name,
 * ASCII ones included (`attachment; filename*=utf-8''%E2%82%AC%20rates.pdf`, compliance-api.md
 * §3.10); older revisions sent `filename="..."`. `filename*` wins when both are present. The result
 * is untrusted text: see `safeBaseName` before using it as a path.
 */
export function parseContentDisposition(header: string | undefined): string | null {
  if (header === undefined) return null;
  const params = splitParams(header);
  const extended = params.get('filename*');
  if (extended !== undefined) {
    const decoded = decodeRfc5987(extended);
    if (decoded !== null) return decoded;
  }
  return params.get('filename') ?? null;
}

/** Decode `charset'lang'pct-encoded` (RFC 5987 ext-value). Null when malformed or an unknown charset. */
export function decodeRfc5987(value: string): string | null {
  const match = /^([A-Za-z0-9!#$&+\-^_`{}~]+)'([A-Za-z0-9-]*)'(.*)$/s.exec(value.trim());
  if (match === null) return null;
  const charset = (match[1] ?? '').toLowerCase();
  const encoded = match[3] ?? '';
  if (!/^(?:%[0-9A-Fa-f]{2}|[^%])*$/.test(encoded)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length;) {
    if (encoded[i] === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(encoded[i] ?? '', 'utf8'));
      i += 1;
    }
  }
  const buf = Buffer.from(bytes);
  if (charset === 'utf-8') {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      return null;
    }
  }
  if (charset === 'iso-8859-1') return buf.toString('latin1');
  return null;
}

function splitParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (let m = re.exec(header); m !== null; m = re.exec(header)) {
    const name = (m[1] ?? '').toLowerCase();
    let value = (m[2] ?? '').trim();
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}

/**
 * A name safe to use as a single path segment (compliance-api.md §3.10: treat the filename as
 * untrusted): base name only, control and path characters replaced, and null for names that are
 * empty or start with `-` or `.`.
 */
export function safeBaseName(name: string): string | null {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').trim();
  if (cleaned === '' || cleaned.startsWith('-') || cleaned.startsWith('.')) return null;
  return cleaned.slice(0, 255);
}
