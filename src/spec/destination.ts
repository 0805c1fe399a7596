/** `destination.uri` → where the archive goes; and the host checks shared by URL rules. */
import type { DestinationTarget } from './types.js';

export type UriProblem = { code: 's3_uri' | 'destination_uri'; message: string };

/**
 * S3 bucket naming rules (general purpose buckets): 3-63 characters, lower-case letters, digits,
 * dots and hyphens, starting and ending with a letter or digit, not shaped like an IP address,
 * no `..`, and not using the reserved prefixes/suffixes.
 */
function bucketProblem(bucket: string): string | undefined {
  if (bucket === '') return 'has no bucket name (expected s3://bucket/prefix)';
  if (bucket.length < 3 || bucket.length > 63) return `bucket name "${bucket}" must be 3-63 characters long`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket))
    return `bucket name "${bucket}" may contain only lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit`;
  if (bucket.includes('..')) return `bucket name "${bucket}" must not contain ".."`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return `bucket name "${bucket}" must not look like an IP address`;
  if (/^xn--|^sthree-|-s3alias$|--ol-s3$/.test(bucket))
    return `bucket name "${bucket}" uses a reserved prefix or suffix`;
  return undefined;
}

/**
 * A path that starts like a URI but is not one (`s3:/bucket/x`, `s3:bucket`, `file:/tmp/x`,
 * `http:out`) would otherwise be a local folder named `s3:` (say) in the working directory: a
 * legal hold meant for S3 written to local disk without a word. One letter before the colon is
 * a Windows drive (`C:\exports`) and stays a local path; a folder that really starts with
 * `name:` can be written `./name:...`.
 */
function lookalikeProblem(uri: string): UriProblem | undefined {
  if (/^s3:/iu.test(uri))
    return {
      code: 's3_uri',
      message: 'is not an S3 URI: write s3://bucket or s3://bucket/prefix (two slashes after "s3:")',
    };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/u.exec(uri)?.[1];
  if (scheme === undefined) return undefined;
  return {
    code: 'destination_uri',
    message:
      `starts with "${scheme}:" like a URI but is not one: use s3://bucket/prefix, file:///absolute/path ` +
      `or a plain path (a local folder named "${scheme}:..." can be written ./${scheme}:...)`,
  };
}

/** Parse a destination URI, or describe what is wrong with it. */
export function checkDestinationUri(uri: string): DestinationTarget | UriProblem {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri)?.[1];
  if (scheme === undefined) {
    if (uri.trim() !== uri) return { code: 'destination_uri', message: 'must not start or end with spaces' };
    return lookalikeProblem(uri) ?? { kind: 'local', path: uri };
  }
  if (scheme === 's3') {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const problem = bucketProblem(bucket);
    if (problem !== undefined) return { code: 's3_uri', message: `${problem}` };
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (prefix !== '') {
      const segments = prefix.split('/');
      if (segments.some((s) => s === '' || s === '.' || s === '..'))
        return { code: 's3_uri', message: 'prefix must not contain empty, "." or ".." segments' };
      // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
      if (/[\u0000-\u001f\u007f\\{}^%`[\]"<>~#|]/.test(prefix))
        return { code: 's3_uri', message: 'prefix contains characters S3 keys should not use' };
    }
    return { kind: 's3', bucket, prefix };
  }
  if (scheme === 'file') {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return { code: 'destination_uri', message: 'is not a valid file:// URL' };
    }
    if (url.host !== '' && url.host !== 'localhost')
      return {
        code: 'destination_uri',
        message: 'file:// URLs must name a local path (file:///path/to/dir)',
      };
    return { kind: 'local', path: decodeURIComponent(url.pathname) };
  }
  if (scheme.toLowerCase() === 's3')
    return { code: 's3_uri', message: `scheme must be written in lower case: s3://` };
  return {
    code: 'destination_uri',
    message: `scheme "${scheme}://" is not supported: use s3://bucket/prefix, file:///path or a local path`,
  };
}

/**
 * The destination parsed from a (valid, loaded) spec's `destination.uri`.
 * @throws Error when the URI is invalid; a loaded spec never is.
 */
export function parseDestinationUri(uri: string): DestinationTarget {
  const r = checkDestinationUri(uri);
  if ('code' in r) throw new Error(`invalid destination uri: ${r.message}`);
  return r;
}

/** localhost, 127.0.0.0/8 and ::1: the only hosts allowed plain http (the sandbox, local S3). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}
