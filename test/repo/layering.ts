/**
 * Layers talk only to neighbours (DESIGN.md, principle 3), enforced on imports.
 *
 * worker/ folders and what each may import (besides itself):
 *   wire        nothing else (codecs know bytes)
 *   sim         nothing else (scheduler, clocks, rng)
 *   trace       wire, sim
 *   link        wire, sim, trace
 *   net         link + the base
 *   transport   net, link + the base
 *   apps        transport, net, link + the base
 * Files directly in worker/ (api.ts, main.ts, the host composition) compose
 * the layers and may import anything in worker/. No layer may import those
 * files, and nothing in worker/ may import from outside it (src/, signaling/,
 * test/): the stack must run the same in a worker, in Node tests and in the
 * headless peer.
 *
 * Checked: static `import ... from`, `export ... from`, side-effect imports,
 * dynamic `import('...')` and `require('...')` with relative specifiers.
 * Package imports ('comlink') are not this check's business.
 */

import path from 'node:path';
import ts from 'typescript';
import type { SourceFile } from './files';

/** Layer folders in order; a layer may import strictly lower ranks. */
export const LAYER_RANK: Readonly<Record<string, number>> = { link: 1, net: 2, transport: 3, apps: 4 };

/** Base folders and what each may import besides itself. */
export const BASE_ALLOWED: Readonly<Record<string, readonly string[]>> = {
  wire: [],
  sim: [],
  trace: ['wire', 'sim'],
};

/** Where a worker/ file sits: a layer folder, or directly in worker/ (the composition root). */
export type Place = { kind: 'folder'; name: string } | { kind: 'root' } | { kind: 'outside'; path: string };

export interface LayeringViolation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

export function placeOf(repoPath: string): Place {
  const parts = path.posix.normalize(repoPath).split('/');
  if (parts[0] !== 'worker') return { kind: 'outside', path: repoPath };
  if (parts.length === 2) return { kind: 'root' };
  return { kind: 'folder', name: parts[1] as string };
}

const isKnownFolder = (name: string): boolean => name in LAYER_RANK || name in BASE_ALLOWED;

/** Why `from` may not import `to`, or undefined when it may. Both are worker/ folders. */
export function folderRuleBroken(from: string, to: string): string | undefined {
  if (from === to) return undefined;
  const base = BASE_ALLOWED[from];
  if (base !== undefined) {
    if (base.includes(to)) return undefined;
    return base.length === 0
      ? `${from}/ is a base module and imports nothing outside ${from}/`
      : `${from}/ may import only ${base.map((name) => `${name}/`).join(', ')}`;
  }
  if (to in BASE_ALLOWED) return undefined; // every layer may use wire, sim and trace
  const fromRank = LAYER_RANK[from] as number;
  const toRank = LAYER_RANK[to] as number;
  if (toRank < fromRank) return undefined;
  return `${from}/ sits ${toRank === fromRank ? 'beside' : 'below'} ${to}/ (link < net < transport < apps) and may not import it`;
}

/** Relative module specifiers in a file, with their 1-based lines. */
export function relativeImports(source: string): { specifier: string; line: number }[] {
  const info = ts.preProcessFile(source, true, true);
  const lineOf = (pos: number): number => source.slice(0, pos).split('\n').length;
  return info.importedFiles
    .filter((ref) => ref.fileName.startsWith('./') || ref.fileName.startsWith('../') || ref.fileName === '.' || ref.fileName === '..')
    .map((ref) => ({ specifier: ref.fileName, line: lineOf(ref.pos) }));
}

export function checkLayering(files: readonly SourceFile[]): LayeringViolation[] {
  const violations: LayeringViolation[] = [];
  for (const file of files) {
    const from = placeOf(file.path);
    if (from.kind === 'outside') continue;
    if (from.kind === 'folder' && !isKnownFolder(from.name)) {
      violations.push({
        file: file.path,
        line: 1,
        specifier: '',
        reason: `worker/${from.name}/ is not a known layer; add it to LAYER_RANK or BASE_ALLOWED in test/repo/layering.ts`,
      });
      continue;
    }
    for (const { specifier, line } of relativeImports(file.source)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
      const to = placeOf(target);
      let reason: string | undefined;
      if (to.kind === 'outside') {
        const top = target.split('/')[0] ?? target;
        reason = `worker/ must not import from outside worker/ (this reaches ${top.startsWith('..') ? 'outside the repo' : `${top}/`})`;
      } else if (from.kind === 'root') {
        reason = undefined; // the composition root may use every layer
      } else if (to.kind === 'root') {
        reason = `a layer may not import the composition files directly in worker/ (${target})`;
      } else if (!isKnownFolder(to.name)) {
        reason = `worker/${to.name}/ is not a known layer`;
      } else {
        reason = folderRuleBroken(from.name, to.name);
      }
      if (reason !== undefined) violations.push({ file: file.path, line, specifier, reason });
    }
  }
  return violations;
}

export function formatLayeringViolations(violations: readonly LayeringViolation[]): string {
  return violations.map((v) => `  ${v.file}:${v.line}  '${v.specifier}'  ${v.reason}`).join('\n');
}
