/** Finding scripts: files and directories (recursively) to a sorted list of .pkt paths. */

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function findScripts(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Error(`${p}: no such file or directory`);
    if (st.isDirectory()) {
      for (const e of readdirSync(p, { recursive: true, withFileTypes: true })) {
        if (e.isFile() && e.name.endsWith('.pkt')) out.push(path.join(e.parentPath, e.name));
      }
    } else out.push(p);
  }
  return [...new Set(out)].sort();
}
