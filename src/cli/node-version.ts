/**
 * The oldest Node the tool runs on. Node 20.10 added `flush` to file writes (`writeFile`,
 * `createWriteStream`), and the staging store relies on it to fsync a file before renaming it into
 * place (downloads, the lock, state files); older releases ignore the option without a word, so
 * a power cut could leave a blob whose bytes are not its name's.
 */
const MIN_MAJOR = 20;
const MIN_MINOR = 10;

/** Why this Node is too old, or null when it will do. */
export function nodeTooOld(version: string = process.versions.node): string | null {
  const [major = NaN, minor = NaN] = version.split('.').map(Number);
  if (major > MIN_MAJOR || (major === MIN_MAJOR && minor >= MIN_MINOR)) return null;
  return (
    `Node ${version} is too old: compliance-export needs Node ${MIN_MAJOR}.${MIN_MINOR} or newer ` +
    '(it fsyncs files through `flush`, which older releases ignore)'
  );
}
