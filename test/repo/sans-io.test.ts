/**
 * DESIGN.md principle 1: nothing under worker/ except worker/main.ts touches
 * real time, real randomness, the DOM or postMessage. See ./sans-io.ts for
 * exactly what counts.
 */

import { describe, expect, it } from 'vitest';
import { tsFilesUnder } from './files';
import { findSansIoViolations, formatViolations } from './sans-io';

/** The worker's entry file is where real time, timers and the message port are plugged in. */
const ENTRY = 'worker/main.ts';

describe('sans-IO core', () => {
  it('no file under worker/ but the entry uses real time, randomness, timers, postMessage or the DOM', () => {
    const files = tsFilesUnder('worker').filter((file) => file.path !== ENTRY);
    expect(files.length).toBeGreaterThan(0);
    const violations = files.flatMap((file) => findSansIoViolations(file.path, file.source));
    if (violations.length > 0) {
      throw new Error(
        `${violations.length} use(s) of real I/O in the sans-IO core. Inject it instead ` +
          `(time and timers through the Scheduler, randomness through the seeded Rng, ` +
          `messages through worker/main.ts):\n${formatViolations(violations)}`,
      );
    }
  });
});

describe('the checker itself', () => {
  const check = (source: string): string[] => findSansIoViolations('snippet.ts', source).map((v) => `${v.line}:${v.name}`);

  it('fails on real uses', () => {
    const source = [
      'export const started = Date.now();', // 1
      'const jitter = Math.random() * 10;', // 2
      'setTimeout(() => {}, 10);', // 3
      'const t = performance.now();', // 4
      "postMessage({ kind: 'trace' });", // 5
      'port.postMessage(bytes);', // 6
      'globalThis.setInterval(tick, 5);', // 7
      'const ws = new WebSocket(url);', // 8
      'if (typeof document !== "undefined") {}', // 9
      'const day = new Date();', // 10
      "const n = Date['now']();", // 11
      'crypto.getRandomValues(buffer);', // 12
      'queueMicrotask(run);', // 13
      'const { navigator: nav } = globalThis as any; fetch(url);', // 14
      'let handle: ReturnType<typeof setTimeout>;', // 15
      'const win = { window };', // 16
    ].join('\n');
    expect(check(source)).toEqual([
      '1:Date.now',
      '2:Math.random',
      '3:setTimeout',
      '4:performance.now',
      '5:postMessage',
      '6:postMessage',
      '7:globalThis.setInterval',
      '8:WebSocket',
      '9:document',
      '10:new Date()',
      "11:Date.now",
      '12:crypto.getRandomValues',
      '13:queueMicrotask',
      '14:fetch',
      '15:setTimeout',
      '16:window',
    ]);
  });

  it('ignores comments, strings, templates and regular expressions', () => {
    const source = [
      '// worker/main.ts passes performance.now and setTimeout; never call Date.now here.',
      '/* window.document, localStorage, navigator.onLine, Math.random() */',
      '/** @see RTCPeerConnection and fetch() */',
      "const hint = 'call Date.now() or setTimeout()';",
      'const doc = "document.title = window.name";',
      'const label = `postMessage ${count} setInterval`;',
      'const pattern = /Math\\.random|requestAnimationFrame/;',
    ].join('\n');
    expect(check(source)).toEqual([]);
  });

  it('is not fooled by properties, members and locals that share a banned name', () => {
    const source = [
      'interface TcpRepr { window: number; document?: string }',
      'const seg = { window: 65535, fetch: 1 };',
      'seg.window = seg.window - 1;',
      'class Tcb { window = 0; navigator(): void {} }',
      'const { window: advertised } = repr;',
      'function schedule(setTimeout: (fn: () => void, ms: number) => void) { setTimeout(run, 1); }',
      'const clock = { now: () => 0 }; clock.now();',
      'const date = new Date(0);',
      'wall.setTimer(fn, 5);',
    ].join('\n');
    expect(check(source)).toEqual([]);
  });

  it('reports file, line and column', () => {
    const [violation] = findSansIoViolations('worker/x.ts', 'const a = 1;\n  const b = Date.now();\n');
    expect(violation).toMatchObject({ file: 'worker/x.ts', line: 2, column: 13, name: 'Date.now', text: 'const b = Date.now();' });
  });
});
