/**
 * npm run bench:ui — the live panels under load, in Chromium (headless, on
 * loopback only: solo mode needs no network at all).
 *
 * For each view (the packet list; the connection view with ladder, state
 * machine and windows; the charts; and "Everything" on one page) a solo lab
 * runs a bulk transfer with alice's link rate set so that about FRAMES_PER_S
 * frames a second are traced, and we measure for SECONDS:
 *
 *   - fps: from requestAnimationFrame intervals in the page (median interval,
 *     share of intervals over 20 ms, the worst one);
 *   - display lag: how long the worker's events take to reach the screen, as
 *     the app measures it itself (the "Display … behind" readout, p50/p95/max);
 *   - frames/s actually traced.
 *
 * Then memory: the packet list keeps 1,000,000 rows; a transfer with no rate
 * limit runs until a million frames are logged, and the page's JS heap and the
 * renderer process's resident memory (the worker lives in it) are sampled on
 * the way. Bounded means: it levels off once the log is full.
 *
 * Numbers, not pass/fail. Headless Chromium draws at most 60 frames a second.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, listening } from '../signaling/serve';
import { CHROMIUM, buildApp, hasChromium } from '../test/helpers/closed-network';

const SECONDS = Number(process.env.SECONDS ?? 5);
const FRAMES_PER_S = Number(process.env.FRAMES_PER_S ?? 5000);
const MILLION = Number(process.env.MEMORY_FRAMES ?? 1_000_000);
const ONLY = process.env.ONLY?.split(',');

if (!hasChromium) {
  console.error(`bench:ui needs Chromium at ${CHROMIUM} (apt-get install chromium)`);
  process.exit(1);
}

interface Scenario {
  name: string;
  query: string;
  /** The tab the measurement watches (tabs layout). */
  view?: string;
}

const SCENARIOS: Scenario[] = [
  { name: 'link view (frame log, conditioner)', query: 'layout=tabs&view=link', view: 'Link & ping' },
  { name: 'packet list + detail', query: 'layout=tabs&view=packets', view: 'Packets' },
  { name: 'connection: ladder, state machine, windows', query: 'layout=tabs&view=flow', view: 'Connection' },
  { name: 'charts + metrics', query: 'layout=tabs&view=charts', view: 'Charts' },
  { name: 'everything on one page', query: 'layout=all' },
];

async function serve(root: string): Promise<{ server: http.Server; url: string }> {
  const server = createServer({ root, port: 0, host: '127.0.0.1', log: () => {} });
  await listening(server);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

async function openSolo(browser: Browser, url: string, query: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on('pageerror', (e) => console.error(`page error: ${String(e)}`));
  await page.goto(`${url}?solo&lang=en&${query}`);
  await page.locator('section.lab[data-frames-seen]').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('.notice[role=status]'));
  return page;
}

/** Switches the tabs layout to a view (no-op in the "Everything" layout). */
async function show(page: Page, view: string | undefined): Promise<void> {
  if (view) await page.getByRole('tab', { name: view, exact: true }).first().click();
}

/** Alice's egress rate, Mbit/s (0: unlimited), typed into the conditioner's knob. */
async function setRate(page: Page, mbps: number): Promise<void> {
  const alice = page.locator('.direction[data-host=alice]');
  const section = alice.locator('.sections details', { has: page.locator('summary', { hasText: 'Rate and queue' }) });
  await section.evaluate((d) => ((d as HTMLDetailsElement).open = true));
  const field = alice.getByRole('spinbutton', { name: /^Rate/ });
  await field.fill(String(mbps));
  await field.evaluate((el) => (el as HTMLInputElement).blur());
}

async function startBulk(page: Page, size = '100 MB'): Promise<void> {
  const panel = page.locator('.bulk');
  await panel.locator('select:has(option:text-is("10 MB"))').selectOption({ label: size });
  await panel.locator('input[type=radio][value=discard]').check();
  await panel.locator('button[type=submit]').click();
}

async function stopBulk(page: Page): Promise<void> {
  const stop = page.locator('.bulk button', { hasText: 'Stop' });
  if (await stop.isVisible()) await stop.click();
}

const framesSeen = (page: Page) => page.locator('section.lab').first().evaluate((el) => Number(el.getAttribute('data-frames-seen')));

interface Measured {
  fps: number;
  medianMs: number;
  over20: number;
  worstMs: number;
  framesPerS: number;
  lag: { p50: number; p95: number; max: number } | undefined;
}

async function measure(page: Page, seconds: number): Promise<Measured> {
  const f0 = await framesSeen(page);
  const t0 = Date.now();
  // A string, not a function: tsx would wrap named functions in a helper the page does not have.
  const intervals = (await page.evaluate(`new Promise((resolve) => {
    const out = [];
    let last = -1;
    let end = 0;
    function tick(t) {
      if (last < 0) end = t + ${seconds * 1000};
      else out.push(t - last);
      last = t;
      if (t < end) requestAnimationFrame(tick);
      else resolve(out);
    }
    requestAnimationFrame(tick);
  })`)) as number[];
  const f1 = await framesSeen(page);
  const elapsed = (Date.now() - t0) / 1000;
  const lagEl = page.locator('.readout.lag').first();
  const lag = (await lagEl.count())
    ? await lagEl.evaluate((el) => ({ p50: Number(el.getAttribute('data-lag-p50')), p95: Number(el.getAttribute('data-lag-p95')), max: Number(el.getAttribute('data-lag-max')) }))
    : undefined;
  const sorted = [...intervals].sort((a, b) => a - b);
  const total = intervals.reduce((a, b) => a + b, 0);
  return {
    fps: (intervals.length * 1000) / total,
    medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
    over20: intervals.filter((i) => i > 20).length / Math.max(1, intervals.length),
    worstMs: sorted.at(-1) ?? 0,
    framesPerS: (f1 - f0) / elapsed,
    lag,
  };
}

/** Finds alice's rate (Mbit/s) that gives about FRAMES_PER_S frames traced (data one way, ACKs back). */
async function calibrate(browser: Browser, url: string): Promise<number> {
  const page = await openSolo(browser, url, 'layout=tabs&view=link');
  // A full-size frame is 1514 bytes plus 24 of preamble, FCS and gap; a delayed ACK answers every second one.
  let mbps = Math.round(((FRAMES_PER_S / 1.5) * 1538 * 8) / 1e6);
  await setRate(page, mbps);
  await show(page, 'Sockets');
  await startBulk(page);
  await show(page, 'Link & ping');
  await page.waitForTimeout(1500);
  for (let i = 0; i < 3; i++) {
    const f0 = await framesSeen(page);
    await page.waitForTimeout(2000);
    const rate = ((await framesSeen(page)) - f0) / 2;
    if (Math.abs(rate - FRAMES_PER_S) / FRAMES_PER_S < 0.05) break;
    mbps = Math.max(1, Math.round((mbps * FRAMES_PER_S) / Math.max(1, rate)));
    await setRate(page, mbps);
    await page.waitForTimeout(1000);
  }
  await page.close();
  return mbps;
}

/** Marks our Chromium among others on the machine (a harmless flag), so we measure only its processes. */
const MARK = `--class=wiretab-bench-${process.pid}`;

/** Memory (MiB, PSS) of our browser's renderer processes: the page's main thread and its worker live there. */
function rendererRssMiB(): number {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), rss: Number(m[3]), args: m[4]! }));
  const ours = new Set(rows.filter((r) => r.args.includes(MARK)).map((r) => r.pid));
  // Descendants of our browser process (renderers hang under its zygote).
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) {
      if (ours.has(r.pid) || !ours.has(r.ppid)) continue;
      ours.add(r.pid);
      grew = true;
    }
  }
  // PSS, not RSS: renderers share much of their memory (V8's snapshot, fonts, the zygote's pages), and RSS
  // would count it once per process; an idle spare renderer would add its whole RSS too.
  const kib = rows
    .filter((r) => ours.has(r.pid) && r.args.includes('--type=renderer'))
    .reduce((n, r) => n + (pssKiB(r.pid) ?? r.rss), 0);
  return kib / 1024;
}

/** Proportional set size of a process, KiB (undefined where /proc has no smaps_rollup). */
function pssKiB(pid: number): number | undefined {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function memory(browser: Browser, url: string): Promise<void> {
  const page = await openSolo(browser, url, 'layout=tabs&view=packets');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  // Live memory: collect garbage first in the page and in the stack worker (Chromium runs with
  // --expose-gc), so the numbers are what is kept, not what is waiting to be freed.
  const heapMiB = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    for (const w of page.workers()) await w.evaluate('gc()').catch(() => {});
    const { metrics } = await cdp.send('Performance.getMetrics');
    return (metrics.find((m: { name: string }) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 2 ** 20;
  };
  await page.locator('select', { has: page.locator('option', { hasText: /1,000,000/ }) }).first().selectOption({ label: '1,000,000' });
  await show(page, 'Sockets');
  console.log(`\nmemory: packet list keeps 1,000,000 rows; renderer PSS and page JS heap as frames pile up (no rate limit)`);
  console.log(`  frames      renderer PSS   page JS heap   (both after a forced GC in page and worker)`);
  const start = Date.now();
  let next = 0;
  while (Date.now() - start < 15 * 60_000) {
    if (!(await page.locator('.bulk button', { hasText: 'Stop' }).isVisible())) await startBulk(page);
    const n = await framesSeen(page);
    if (n >= next) {
      const heap = await heapMiB();
      console.log(`  ${String(n).padStart(9)}   ${rendererRssMiB().toFixed(0).padStart(8)} MiB   ${heap.toFixed(0).padStart(8)} MiB`);
      next += MILLION / 5;
      if (n >= MILLION * 1.2) break;
    }
    await page.waitForTimeout(1000);
  }
  await stopBulk(page);
  // Scrolling the full list: wheel through it for a few seconds while measuring frames,
  // then drag the scroll position to the end and check the last row is drawn.
  await show(page, 'Packets');
  const list = page.locator('.packets .scroller');
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await page.locator('.packets input[type=checkbox]').first().uncheck().catch(() => {});
  const box = (await list.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  let wheeling = true;
  const wheel = (async () => {
    while (wheeling) {
      await page.mouse.wheel(0, 400);
      await page.waitForTimeout(16);
    }
  })();
  const m = await measure(page, 4);
  wheeling = false;
  await wheel;
  const rows = await framesSeen(page);
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.waitForTimeout(500);
  const lastNo = await page.locator('.packets .row').last().getAttribute('data-no');
  const spacer = await page.locator('.packets .spacer').evaluate((el) => el.getBoundingClientRect().height);
  console.log(`  scrolling the list by wheel: ${m.fps.toFixed(1)} fps, median ${m.medianMs.toFixed(1)} ms, ${(m.over20 * 100).toFixed(1)} % over 20 ms, worst ${m.worstMs.toFixed(0)} ms`);
  console.log(`  scrolled to the end: last row drawn is No. ${lastNo} (${rows} frames seen; the list keeps the newest 1,000,000), spacer ${(spacer / 1e6).toFixed(1)} M px`);
  await page.close();
}

// Profiles read better unminified.
const dist = process.env.PROFILE ? buildUnminified() : buildApp();

function buildUnminified(): string {
  const out = mkdtempSync(join(tmpdir(), 'wiretab-dist-'));
  execFileSync('npx', ['vite', 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error', '--minify', 'false'], { stdio: 'inherit' });
  return out;
}
const { server, url } = await serve(dist);
const launchBrowser = () => chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc', MARK] });
let browser = await launchBrowser();
try {
  const scenarios = SCENARIOS.filter((s) => !ONLY || ONLY.some((o) => s.name.includes(o)));
  // Calibrated only when a view is measured: its page's memory would otherwise linger into the memory run.
  const mbps = scenarios.length > 0 ? await calibrate(browser, url) : 0;
  if (scenarios.length > 0) {
    console.log(`alice's link rate for ~${FRAMES_PER_S} frames/s: ${mbps} Mbit/s (bulk transfer to bob's discard service)\n`);
    console.log(`${'view'.padEnd(46)} ${'frames/s'.padStart(8)} ${'fps'.padStart(5)} ${'median'.padStart(7)} ${'>20ms'.padStart(6)} ${'worst'.padStart(7)}   display lag p50/p95/max`);
  }
  for (const s of scenarios) {
    const page = await openSolo(browser, url, s.query);
    if (s.view) await show(page, 'Link & ping');
    await setRate(page, mbps);
    if (s.view) await show(page, 'Sockets');
    await startBulk(page);
    await show(page, s.view);
    await page.waitForTimeout(1500);
    // PROFILE=dir: a CPU profile of the page's main thread during the measurement, one file per view.
    const cdp = process.env.PROFILE ? await page.context().newCDPSession(page) : undefined;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    if (process.env.TRACE) await browser.startTracing(page, { path: join(process.env.TRACE, `${s.name.split(/[^a-z]/)[0]}.json`), categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    const m = await measure(page, SECONDS);
    if (process.env.TRACE) await browser.stopTracing();
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(join(process.env.PROFILE!, `${s.name.split(/[^a-z]/)[0]}.cpuprofile`), JSON.stringify(profile));
    }
    await stopBulk(page);
    const lag = m.lag ? `${m.lag.p50.toFixed(0)} / ${m.lag.p95.toFixed(0)} / ${m.lag.max.toFixed(0)} ms` : '—';
    console.log(
      `${s.name.padEnd(46)} ${m.framesPerS.toFixed(0).padStart(8)} ${m.fps.toFixed(1).padStart(5)} ${m.medianMs.toFixed(1).padStart(5)}ms ${(m.over20 * 100).toFixed(1).padStart(5)}% ${m.worstMs.toFixed(0).padStart(5)}ms   ${lag}`,
    );
    await page.close();
  }
  if (!ONLY || ONLY.includes('memory')) {
    // A fresh browser, so nothing the views' pages left behind is counted.
    await browser.close();
    browser = await launchBrowser();
    await memory(browser, url);
  }
} finally {
  await browser.close();
  server.close();
}
