/**
 * The one redactor of the client. Every string that leaves it (error fields and messages, result
 * fields built from response headers, page request ids, ledger lines) passes through this, because
 * a hostile or broken server may echo the key back anywhere: in `error.type`, in a header, in a
 * Content-Disposition filename. Payload bodies (the API's records) are evidence and are not touched.
 *
 * Masked: the key, the key without its `sk-ant-<kind>-` prefix, their URL-encoded forms, and any
 * run of at least FRAGMENT_MIN characters that also occurs in the key (a server may echo a slice).
 */
export type Redactor = (text: string) => string;

export const REDACTED = '[REDACTED]';

/** Shorter slices of a key are too likely to be ordinary text (and too little to be of use). */
const FRAGMENT_MIN = 12;

export function createRedactor(key: string): Redactor {
  const prefix = /^sk-ant-[a-z0-9]+-/i.exec(key)?.[0] ?? '';
  const bare = key.slice(prefix.length);
  const whole = [...new Set([key, bare, encodeURIComponent(key), encodeURIComponent(bare)])]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  const windows = new Set<string>();
  // slices wholly inside the public `sk-ant-api01-` prefix are no secret
  for (let i = 0; i + FRAGMENT_MIN <= key.length; i++) {
    if (i + FRAGMENT_MIN > prefix.length) windows.add(key.slice(i, i + FRAGMENT_MIN));
  }

  return (text) => {
    let out = text;
    for (const form of whole) out = out.split(form).join(REDACTED);
    return windows.size === 0 ? out : maskFragments(out, key, windows);
  };
}

/** Replace every maximal run of the text that is a substring of the key and at least FRAGMENT_MIN long. */
function maskFragments(text: string, key: string, windows: ReadonlySet<string>): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i + FRAGMENT_MIN <= text.length;) {
    if (!windows.has(text.slice(i, i + FRAGMENT_MIN))) {
      i += 1;
      continue;
    }
    let end = i + FRAGMENT_MIN;
    while (end < text.length && key.includes(text.slice(i, end + 1))) end += 1;
    out += text.slice(copied, i) + REDACTED;
    copied = end;
    i = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Redact a string that may be null. */
export function redactNullable(redact: Redactor, text: string | null): string | null {
  return text === null ? null : redact(text);
}
