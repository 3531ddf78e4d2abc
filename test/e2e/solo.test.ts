/**
 * Solo mode in a real browser: the stack runs in a Web Worker (bundled by Vite,
 * reached through comlink), two hosts ping over the in-memory segment, and the
 * page shows ping's output and the frames on the wire.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ARTIFACTS, hasChromium, useApp } from './browser';

describe.skipIf(!hasChromium)('solo lab in Chromium', () => {
  const app = useApp();

  for (const [lang, theme, button, summary] of [
    ['en', 'light', /Solo mode/, '4 packets transmitted, 4 received, 0% packet loss'],
    ['zh-CN', 'dark', /单机模式/, '4 packets transmitted, 4 received, 0% packet loss'],
  ] as const) {
    it(`pings bob from alice through the worker (${lang}, ${theme})`, async () => {
      const page = await app.browser.newPage({ viewport: { width: 1366, height: 768 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${app.url}?layout=all&lang=${lang}&theme=${theme}`);
      await page.getByRole('button', { name: button }).click();
      const ping = page.locator('.ping-form button[type=submit]');
      await expect.poll(() => ping.isEnabled(), { timeout: 10_000 }).toBe(true);
      await ping.click();
      const terminal = page.locator('.terminal');
      await expect.poll(() => terminal.textContent(), { timeout: 15_000 }).toContain('rtt min/avg/max/mdev');
      const text = (await terminal.textContent()) ?? '';
      expect(text).toContain('PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.');
      expect(text).toContain('64 bytes from 10.0.0.2: icmp_seq=1 ttl=64');
      expect(text).toContain(summary);
      // Both hosts announced themselves when they came up; then ARP, then the echoes, in the packet list.
      const infos = await page.locator('.packets .row .info-text').allTextContents();
      expect(infos.slice(0, 2).sort()).toEqual(['ARP Announcement for 10.0.0.1', 'ARP Announcement for 10.0.0.2']);
      expect(infos[2]).toBe('Who has 10.0.0.2? Tell 10.0.0.1');
      expect(infos[3]).toBe('10.0.0.2 is at 02:00:00:00:00:02');
      expect(infos.filter((i) => i.startsWith('Echo (ping) request')).length).toBe(4);
      await page.locator('#solo').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, `solo-${lang}-${theme}.png`) });
      expect(errors).toEqual([]);
      await page.close();
    }, 60_000);
  }

  it('pause holds time still and Step releases one event at a time', async () => {
    const page = await app.browser.newPage();
    await page.goto(`${app.url}?solo&layout=all`);
    const pause = page.getByRole('button', { name: 'Pause' });
    await expect.poll(() => pause.isEnabled(), { timeout: 10_000 }).toBe(true);
    // The boot-time announcements (one per host) are in the log before anything else.
    await expect.poll(() => page.locator('.packets .row .info-text').count(), { timeout: 10_000 }).toBe(2);
    await pause.click();
    await page.locator('.ping-form button[type=submit]').click();
    await page.waitForTimeout(500);
    expect(await page.locator('.packets .row .info-text').count()).toBe(2); // nothing moves while paused
    const step = page.getByRole('button', { name: 'Step' });
    for (let i = 0; i < 12 && (await page.locator('.packets .row .info-text').count()) < 3; i++) await step.click();
    await expect.poll(() => page.locator('.packets .row .info-text').nth(2).textContent()).toBe('Who has 10.0.0.2? Tell 10.0.0.1');
    await page.close();
  }, 60_000);
});
