/**
 * Two real browsers on a closed network: Chromium and our server run inside a
 * network namespace that has only `lo`, created for the test and removed
 * after it (with every process started in it), even when a test fails.
 *
 * WebRTC on loopback needs two things from Chromium: the flag
 * --allow-loopback-in-peer-connection, and camera/microphone permission for
 * the page (without it Chromium hides host candidates behind mDNS names,
 * which nothing resolves here, and no pair of candidates ever connects).
 *
 * Needs root (ip netns). No test framework here: the e2e tests
 * (test/e2e/netns.ts) and the WebRTC benchmark (bench/webrtc.ts) share it.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createNetns, hasIp, isRoot, removeNetns } from './netns';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;
/** Where e2e screenshots go (kept as CI artifacts; look at them). */
export const ARTIFACTS = join(process.cwd(), 'test-results', 'e2e');

/** Builds the app into a temporary folder, so a test never depends on a stale dist/. */
export function buildApp(): string {
  const outDir = mkdtempSync(join(tmpdir(), 'wiretab-dist-'));
  execFileSync('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], { stdio: 'inherit' });
  return outDir;
}

export const canNetns = hasChromium && isRoot && hasIp;
export const netnsMissing = `Two-browser runs need Chromium, root and iproute2 (ip netns) to run on a closed network (chromium: ${hasChromium}, root: ${isRoot}, ip: ${hasIp})`;

export interface ClosedNetwork {
  readonly ns: string;
  /** The app's URL inside the namespace. */
  readonly url: string;
  readonly browser: Browser;
  /**
   * A fresh browser context (a separate "computer") with camera/microphone granted.
   * `everything`: start in the "Everything" layout (every panel on one page), as the e2e tests want; else the app's default.
   * `cpus`: the context lives in its own Chromium pinned to these CPUs (taskset list, e.g. "1"), like a separate computer.
   */
  newContext(opts?: { everything?: boolean; cpus?: string }): Promise<BrowserContext>;
}

/** Creates the namespace, starts the server and Chromium in it. `close()` removes it all. */
export async function openClosedNetwork(dist = buildApp()): Promise<ClosedNetwork & { close(): Promise<void> }> {
  const ns = createNetns('wiretab-e2e');
  const state: { url: string; browser?: Browser; server?: ChildProcess; extra: Browser[] } = { url: '', extra: [] };
  const close = async () => {
    for (const b of state.extra) await b.close().catch(() => {});
    if (state.server && state.server.exitCode === null) {
      state.server.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      if (state.server.exitCode === null) state.server.kill('SIGKILL');
    }
    // Anything still running in the namespace dies with it.
    removeNetns(ns);
  };
  // Chromium inside the namespace: a wrapper execs it there (optionally pinned to some CPUs); playwright's pipes pass through.
  const launch = async (cpus?: string): Promise<Browser> => {
    const wrapper = join(tmpdir(), `${ns}-chromium${cpus ? `-cpu${cpus.replace(/\W/g, '_')}` : ''}.sh`);
    const pin = cpus ? `taskset -c ${cpus} ` : '';
    writeFileSync(wrapper, `#!/bin/sh\nexec ${pin}ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const browser = await chromium.launch({
      executablePath: wrapper,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--allow-loopback-in-peer-connection',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
      ],
    });
    state.extra.push(browser);
    return browser;
  };
  try {
    state.server = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/e2e/serve-app.ts', dist], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: string[] = [];
    state.server.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${logs.join('')}`)), 30_000);
      createInterface({ input: state.server!.stdout! }).on('line', (line) => {
        try {
          const m = JSON.parse(line) as { event?: string; port?: number };
          if (m.event === 'listening' && m.port) {
            clearTimeout(timer);
            resolve(m.port);
          }
        } catch {
          // not ours
        }
      });
      state.server!.once('exit', (code) => reject(new Error(`server exited (${code}): ${logs.join('')}`)));
    });
    state.url = `http://127.0.0.1:${port}/`;
    mkdirSync(ARTIFACTS, { recursive: true });
    state.browser = await launch();
  } catch (err) {
    await close();
    throw err;
  }
  const browser = state.browser;
  const pinned = new Map<string, Browser>();
  return {
    ns,
    url: state.url,
    browser,
    async newContext({ everything = true, cpus }: { everything?: boolean; cpus?: string } = {}) {
      let host = browser;
      if (cpus) host = pinned.get(cpus) ?? (await launch(cpus));
      if (cpus) pinned.set(cpus, host);
      const context = await host.newContext({ viewport: { width: 1366, height: 900 } });
      await context.grantPermissions(['camera', 'microphone'], { origin: state.url.replace(/\/$/, '') });
      // Every panel on one page (the "Everything" layout, as if chosen earlier): the tests use several views at once.
      if (everything) await context.addInitScript(() => localStorage.setItem('wiretab.layout', JSON.stringify({ mode: 'all', left: 'link', right: 'packets' })));
      return context;
    },
    close,
  };
}

/**
 * Pairs two pages through the app's UI: A creates a room, B joins by typing
 * the code. Resolves when both show the other as connected. `query`: added to
 * each page's URL (e.g. "?frames=page").
 */
export async function pairPages(net: ClosedNetwork, opts?: { everything?: boolean; cpus?: [string, string]; query?: [string, string] }): Promise<{ a: Page; b: Page; code: string; contexts: BrowserContext[] }> {
  const ctxA = await net.newContext({ everything: opts?.everything, cpus: opts?.cpus?.[0] });
  const ctxB = await net.newContext({ everything: opts?.everything, cpus: opts?.cpus?.[1] });
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  await a.goto(net.url + (opts?.query?.[0] ?? ''));
  await a.getByRole('button', { name: /Create room/ }).click();
  const codeEl = a.getByTestId('room-code');
  await codeEl.filter({ hasText: /^[2-9A-Z]{3}-[2-9A-Z]{3}$/ }).waitFor({ timeout: 15_000 });
  const code = (await codeEl.textContent())!;
  await b.goto(net.url + (opts?.query?.[1] ?? ''));
  await b.getByRole('button', { name: /Join room/ }).click();
  await b.getByLabel('Room code').fill(code.toLowerCase());
  await b.getByRole('button', { name: 'Join', exact: true }).click();
  for (const p of [a, b]) await p.getByTestId('channel-state').filter({ hasText: /connected/ }).waitFor({ timeout: 30_000 });
  return { a, b, code, contexts: [ctxA, ctxB] };
}
