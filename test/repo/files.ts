/** Helpers for the repository checks: where the repo is and what files it has. */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface SourceFile {
  /** Repo-relative, with forward slashes: 'worker/wire/ipv4.ts'. */
  path: string;
  source: string;
}

/** Every .ts file under `dir` (repo-relative), recursively, sorted; declaration files excluded. */
export function tsFilesUnder(dir: string): SourceFile[] {
  const absolute = path.join(REPO_ROOT, dir);
  const entries = readdirSync(absolute, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.split(path.sep).includes('node_modules'))
    .sort()
    .map((file) => ({
      path: path.relative(REPO_ROOT, file).split(path.sep).join('/'),
      source: readFileSync(file, 'utf8'),
    }));
}
