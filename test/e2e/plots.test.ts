/**
 * The TCP plots in a real browser: a 1 MB bulk transfer from alice through 3 %
 * loss fills the four charts, the caption counts the retransmissions alice's
 * TCP made, and the charts redraw in the other theme and language.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ARTIFACTS, hasChromium, useApp } from './browser';

describe.skipIf(!hasChromium)('TCP plots in Chromium', () => {
  const app = useApp();

  for (const [lang, theme, text] of [
    ['en', 'light', { loss: 'Loss', knob: 'Loss', delivered: '1,048,576 bytes delivered', retx: /[1-9]\d* retransmitted/, sent: 'Sent' }],
    ['zh-CN', 'dark', { loss: '丢包', knob: '丢包率', delivered: '已交付 1,048,576 字节', retx: /重传 [1-9]\d* 次/, sent: '发送的' }],
  ] as const) {
    it(`draws sequence, cwnd, RTT and rate for a lossy bulk transfer (${lang}, ${theme})`, async () => {
      const page = await app.browser.newPage({ viewport: { width: 1366, height: 768 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${app.url}?solo&layout=all&lang=${lang}&theme=${theme}`);
      const alice = page.locator('.direction[data-host=alice]');
      await alice.locator('.sections summary', { hasText: text.loss }).click();
      await alice.getByRole('spinbutton', { name: text.knob, exact: true }).fill('3');

      const plots = page.locator('.plots-panel');
      await expect.poll(() => plots.locator('.placeholder').count(), { timeout: 10_000 }).toBe(1);
      const bulk = page.locator('.bulk');
      await expect.poll(() => bulk.locator('button[type=submit]').isEnabled(), { timeout: 10_000 }).toBe(true);
      await bulk.locator('button[type=submit]').click();
      await expect.poll(() => bulk.locator('.bulk-result').getAttribute('data-ok'), { timeout: 60_000 }).toBe('true');

      await plots.scrollIntoViewIfNeeded();
      const caption = plots.locator('.caption');
      // The data alice sent to bob's echo and what came back: the busiest way is shown; the echo returns all of it.
      await expect.poll(() => caption.textContent(), { timeout: 10_000 }).toContain(text.delivered);
      expect(await caption.getAttribute('data-conn')).toMatch(/^(alice|bob)\|10\.0\.0\.\d:\d+>10\.0\.0\.\d:\d+$/);
      // Alice's own view of the data she sends: her TCP's retransmissions under 3 % loss.
      await plots.locator('select').selectOption({ index: 1 + (await plots.locator('option').allTextContents()).slice(1).findIndex((o) => o.startsWith('alice:') && o.includes(':7'))});
      await expect.poll(() => caption.getAttribute('data-conn')).toMatch(/^alice\|/);
      // The data she sent (an echo carries as much each way, so "busiest" could be either).
      await plots.getByRole('group').getByRole('button', { name: text.sent, exact: true }).click();
      await expect.poll(() => caption.textContent()).toMatch(text.retx);
      expect(await plots.locator('canvas').count()).toBe(4);
      // uPlot's legend rows: segments, ACK, window edge in the sequence chart.
      expect(await plots.locator('figure').first().locator('.u-legend .u-series').count()).toBe(4);
      await page.screenshot({ path: join(ARTIFACTS, `plots-${lang}-${theme}.png`), fullPage: false });
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);
  }
});
