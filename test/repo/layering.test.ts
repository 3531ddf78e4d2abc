/**
 * DESIGN.md principle 3: layers talk only to neighbours. See ./layering.ts for
 * the rank table.
 */

import { describe, expect, it } from 'vitest';
import { tsFilesUnder } from './files';
import { checkLayering, folderRuleBroken, formatLayeringViolations, relativeImports } from './layering';

describe('worker/ layering', () => {
  it('every import under worker/ respects the layer ranks', () => {
    const files = tsFilesUnder('worker');
    expect(files.length).toBeGreaterThan(0);
    const violations = checkLayering(files);
    if (violations.length > 0) {
      throw new Error(`${violations.length} import(s) break the layering (DESIGN.md, principle 3):\n${formatLayeringViolations(violations)}`);
    }
  });
});

describe('the checker itself', () => {
  it('reports synthetic violations of every kind', () => {
    const violations = checkLayering([
      { path: 'worker/wire/ipv4.ts', source: "import { x } from './checksum';\nimport { arp } from '../net/arp';" },
      { path: 'worker/sim/rng.ts', source: "import type { Frame } from '../wire/ethernet';" },
      { path: 'worker/trace/events.ts', source: "import { link } from '../link/queue';\nimport { ok } from '../wire/result';" },
      { path: 'worker/net/arp.ts', source: "export * from '../transport/tcp/tcb';\nexport { q } from '../link/queue';" },
      { path: 'worker/transport/tcp/tcb.ts', source: "const apps = await import('../../apps/http/server');\nimport { Ipv4 } from '../../net/ipv4';" },
      { path: 'worker/link/queue.ts', source: "import '../net/side-effect';\nimport { api } from '../api';" },
      { path: 'worker/apps/echo.ts', source: "import { App } from '../../src/App.svelte';\nimport { hello } from '../../signaling/serve';" },
      { path: 'worker/main.ts', source: "import { api } from './api';\nimport { tcb } from './transport/tcp/tcb';\nimport { x } from '../src/lib/x';" },
      { path: 'worker/gadgets/thing.ts', source: '' },
    ]);
    const summary = violations.map((v) => `${v.file}:${v.line} ${v.specifier}`);
    expect(summary).toEqual([
      'worker/wire/ipv4.ts:2 ../net/arp',
      'worker/sim/rng.ts:1 ../wire/ethernet',
      'worker/trace/events.ts:1 ../link/queue',
      'worker/net/arp.ts:1 ../transport/tcp/tcb',
      'worker/transport/tcp/tcb.ts:1 ../../apps/http/server',
      'worker/link/queue.ts:1 ../net/side-effect',
      'worker/link/queue.ts:2 ../api',
      'worker/apps/echo.ts:1 ../../src/App.svelte',
      'worker/apps/echo.ts:2 ../../signaling/serve',
      'worker/main.ts:3 ../src/lib/x',
      'worker/gadgets/thing.ts:1 ',
    ]);
    expect(formatLayeringViolations(violations)).toContain('src/');
  });

  it('accepts imports that follow the ranks', () => {
    expect(
      checkLayering([
        { path: 'worker/trace/pcap.ts', source: "import { u16 } from '../wire/bytes';\nimport type { Time } from '../sim/scheduler';" },
        { path: 'worker/net/iface.ts', source: "import { Queue } from '../link/queue';\nimport { Counters } from '../trace/counters';" },
        { path: 'worker/apps/http/server.ts', source: "import { Tcb } from '../../transport/tcp/tcb';\nimport { parse } from './parse';" },
        { path: 'worker/api.ts', source: "import { Host } from './net/host';\nimport * as Comlink from 'comlink';" },
      ]),
    ).toEqual([]);
  });

  it('finds static, re-export, side-effect and dynamic imports, with lines', () => {
    const source = [
      "import a from './a';", // 1
      "import type { B } from '../b';", // 2
      "export { c } from './c';", // 3
      "export * from './d';", // 4
      "import './e';", // 5
      "const f = await import('./f');", // 6
      "import g from 'comlink';", // 7: a package, not relative
      "// import h from './h';", // 8: a comment
    ].join('\n');
    expect(relativeImports(source)).toEqual([
      { specifier: './a', line: 1 },
      { specifier: '../b', line: 2 },
      { specifier: './c', line: 3 },
      { specifier: './d', line: 4 },
      { specifier: './e', line: 5 },
      { specifier: './f', line: 6 },
    ]);
  });

  it('encodes the rank table', () => {
    expect(folderRuleBroken('wire', 'sim')).toBeDefined();
    expect(folderRuleBroken('trace', 'wire')).toBeUndefined();
    expect(folderRuleBroken('link', 'trace')).toBeUndefined();
    expect(folderRuleBroken('link', 'net')).toBeDefined();
    expect(folderRuleBroken('apps', 'link')).toBeUndefined();
    expect(folderRuleBroken('transport', 'apps')).toBeDefined();
  });
});
