/**
 * Multi-file code-artifact versions come as a ZIP (compliance-api.md §3.15, newest): one folder
 * with `files/` and an index `files.json` written last. A body cut short or a ZIP without the
 * index is a failed download, so the stored bytes are checked before they are accepted.
 *
 * The ZIP is evidence and is never extracted, so entry names that would escape a folder on
 * extraction (`../`, absolute paths, drive letters, backslashes, control characters) do not make
 * the download fail: they are listed, so the item can be archived as served and flagged.
 */
import yauzl from 'yauzl';

export interface ZipCheck {
  /** Why the ZIP cannot be accepted (unreadable, cut short, no index); null when it can. */
  readonly problem: string | null;
  /** Entry names that are unsafe to extract, as found (decoded as UTF-8, lossy), at most 20. */
  readonly unsafeEntries: readonly string[];
}

const MAX_LISTED = 20;

/** Why an entry name is unsafe to extract, or null. */
export function unsafeEntryReason(name: string): string | null {
  if (name === '') return 'empty name';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/u.test(name)) return 'control character';
  if (name.includes('\\')) return 'backslash';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[a-z]:/iu.test(name)) return 'drive letter';
  if (name.split('/').some((s) => s === '..')) return '".." segment';
  return null;
}

/** Open the ZIP without letting the reader judge names (it would reject `../` as unreadable). */
export function checkArtifactZip(path: string): Promise<ZipCheck> {
  return new Promise((resolve) => {
    const unsafe: string[] = [];
    const done = (problem: string | null): void => resolve({ problem, unsafeEntries: unsafe });
    yauzl.open(path, { lazyEntries: true, autoClose: true, decodeStrings: false }, (err, zip) => {
      if (err !== null || zip === undefined) {
        done(`not a readable ZIP (${err?.message ?? 'unknown error'})`);
        return;
      }
      let found = false;
      zip.on('entry', (entry: yauzl.Entry) => {
        // With decodeStrings: false yauzl hands the raw name bytes, though its types say string.
        const raw: unknown = entry.fileName;
        const name = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
        if (name === 'files.json' || name.endsWith('/files.json')) found = true;
        const reason = unsafeEntryReason(name);
        if (reason !== null && unsafe.length < MAX_LISTED) unsafe.push(`${JSON.stringify(name)} (${reason})`);
        zip.readEntry();
      });
      zip.on('end', () => done(found ? null : 'ZIP has no files.json index'));
      zip.on('error', (e: Error) => done(`unreadable ZIP (${e.message})`));
      zip.readEntry();
    });
  });
}
