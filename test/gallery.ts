/**
 * npm run gallery: screenshots of every view, in both languages and both
 * themes, at 1366x768 (a projector), after a scripted exchange in solo mode
 * (a ping, a chat line, a 1 MB echo through 3 % loss, a web page, a SYN picked
 * in the packet list). Writes test-results/gallery/<view>-<lang>-<theme>.png
 * (what the screen shows) and ...-full.png (the whole page). Not a test: look at
 * them after changing a panel. COMBOS=en-light,zh-CN-dark VIEWS=packets,flow
 * W=390 H=844 narrow it down; DIST=folder reuses a build.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createServer, listening } from '../signaling/serve';
import { CHROMIUM, buildApp } from './helpers/closed-network';

const OUT = join(process.cwd(), 'test-results', 'gallery');
mkdirSync(OUT, { recursive: true });
const COMBOS = (process.env.COMBOS ?? 'en-light,zh-CN-dark,en-dark,zh-CN-light').split(',');
const VIEWS = (process.env.VIEWS ?? 'link,packets,flow,sockets,web,charts,host').split(',');
const W = Number(process.env.W ?? 1366), H = Number(process.env.H ?? 768);
const dist = process.env.DIST ?? buildApp();
const server = createServer({ root: dist, port: 0, host: '127.0.0.1', log: () => {} });
await listening(server);
const port = (server.address() as { port: number }).port;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
/** Plain waits: the page is driven as a person would, with time to redraw. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(f: () => Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await f().catch(() => false)) return; await sleep(200); }
  throw new Error('timeout ' + f.toString());
}
for (const combo of COMBOS) {
  const lang = combo.startsWith('zh') ? 'zh-CN' : 'en';
  const theme = combo.endsWith('dark') ? 'dark' : 'light';
  const text = lang === 'en' ? { loss: 'Loss', knob: 'Loss' } : { loss: '丢包', knob: '丢包率' };
  const page = await browser.newPage({ viewport: { width: W, height: H } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${port}/?solo&layout=tabs&view=link&lang=${lang}&theme=${theme}`);
  const tab = (v: string) => page.locator(`[role=tab][data-view=${v}]`);
  const ping = page.locator('.ping-form button[type=submit]');
  await until(() => ping.isEnabled());
  await ping.click();
  await until(async () => ((await page.locator('.terminal').textContent()) ?? '').includes('rtt'));
  const alice = page.locator('.direction[data-host=alice]');
  await alice.locator('.sections summary', { hasText: text.loss }).click();
  await alice.getByRole('spinbutton', { name: text.knob, exact: true }).fill('3');
  await tab('sockets').click();
  const consoleCard = page.locator('.console');
  await consoleCard.locator('.connect-form button[type=submit]').click();
  await sleep(1500);
  const line = consoleCard.locator('input[type=text]').last();
  await line.fill('hello, bob').catch(() => {});
  await line.press('Enter').catch(() => {});
  const bulk = page.locator('.bulk');
  await bulk.locator('button[type=submit]').click();
  await until(async () => (await bulk.locator('.bulk-result').getAttribute('data-ok')) === 'true', 90_000);
  await tab('web').click();
  const panel = page.locator('.browser-panel');
  await panel.locator('form button[type=submit]').first().click().catch(() => {});
  await sleep(3000);
  for (const v of VIEWS) {
    await tab(v).click();
    await sleep(1200);
    if (v === 'packets') {
      const filter = page.locator('.packets input[type=text], .packets input[type=search]').first();
      await filter.fill('tcp.flags.syn && tcp.port == 80');
      await filter.press('Enter');
      await sleep(600);
      await page.locator('.packets .row').first().click();
      await sleep(600);
    }
    await page.screenshot({ path: join(OUT, `${v}-${lang}-${theme}.png`) });
    await page.screenshot({ path: join(OUT, `${v}-${lang}-${theme}-full.png`), fullPage: true });
  }
  console.log(combo, 'errors:', errors);
  await page.close();
}
await browser.close();
server.close();
