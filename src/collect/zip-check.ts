/**
 * Multi-file code-artifact versions come as a ZIP (compliance-api.md §3.15, newest): one folder
 * with `files/` and an index `files.json` written last. A body cut short or a ZIP without the
 * index is a failed download, so the stored bytes are checked before they are accepted.
 */
import yauzl from 'yauzl';

/** Null when the ZIP opens and has its `files.json`; otherwise what is wrong. */
export function checkArtifactZip(path: string): Promise<string | null> {
  return new Promise((resolve) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err !== null || zip === undefined) {
        resolve(`not a readable ZIP (${err?.message ?? 'unknown error'})`);
        return;
      }
      let found = false;
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName === 'files.json' || entry.fileName.endsWith('/files.json')) found = true;
        zip.readEntry();
      });
      zip.on('end', () => resolve(found ? null : 'ZIP has no files.json index'));
      zip.on('error', (e: Error) => resolve(`unreadable ZIP (${e.message})`));
      zip.readEntry();
    });
  });
}
