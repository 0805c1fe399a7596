import { readFileSync } from 'node:fs';

/** The tool's version, read once from package.json (works from src/ under vitest and from dist/). */
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'compliance-export' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const TOOL_NAME = 'compliance-export';
export const TOOL_VERSION = readVersion();
export const USER_AGENT = `${TOOL_NAME}/${TOOL_VERSION} (node ${process.versions.node})`;
