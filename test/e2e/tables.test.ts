/**
 * The host tables panel in a real browser: after a ping, alice's ARP cache
 * holds bob with an age, the counters show the echoes at the ICMP layer, and
 * the listening sockets list the services every host runs.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ARTIFACTS, hasChromium, useApp } from './browser';

describe.skipIf(!hasChromium)('host tables in Chromium', () => {
  const app = useApp();

  for (const [lang, theme, tabs] of [
    ['en', 'light', { arp: 'ARP cache', counters: 'Counters', sockets: 'Listening sockets', reachable: 'reachable' }],
    ['zh-CN', 'dark', { arp: 'ARP 缓存', counters: '计数器', sockets: '监听中的套接字', reachable: '可达' }],
  ] as const) {
    it(`shows ARP, counters and listeners after a ping (${lang}, ${theme})`, async () => {
      const page = await app.browser.newPage({ viewport: { width: 1366, height: 768 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${app.url}?solo&layout=all&lang=${lang}&theme=${theme}`);
      const ping = page.locator('.ping-form button[type=submit]');
      await expect.poll(() => ping.isEnabled(), { timeout: 10_000 }).toBe(true);
      await ping.click();
      await expect.poll(() => page.locator('.terminal').textContent(), { timeout: 15_000 }).toContain('rtt min/avg/max/mdev');

      const panel = page.locator('.tables-panel');
      await panel.scrollIntoViewIfNeeded();
      // Interfaces first: alice's eth0 and its connected route.
      await expect.poll(() => panel.locator('tbody tr').first().textContent(), { timeout: 5000 }).toContain('10.0.0.1/24');
      expect(await panel.locator('tbody').nth(1).textContent()).toContain('10.0.0.0/24');
      await page.screenshot({ path: join(ARTIFACTS, `tables-interfaces-${lang}-${theme}.png`) });

      await panel.getByRole('tab', { name: tabs.arp }).click();
      const arpRow = panel.locator('tbody tr').first();
      await expect.poll(() => arpRow.textContent(), { timeout: 5000 }).toContain('10.0.0.2');
      expect(await arpRow.textContent()).toContain('02:00:00:00:00:02');
      expect(await arpRow.textContent()).toContain(tabs.reachable);

      await panel.getByRole('tab', { name: tabs.counters }).click();
      const icmp = panel.locator('tbody tr', { has: page.locator('th', { hasText: /^ICMP$/ }) });
      await expect.poll(() => icmp.count(), { timeout: 5000 }).toBe(1);
      // alice sent 4 echo requests and received 4 replies: both columns say 4
      const cells = await icmp.locator('td').allTextContents();
      expect(cells.filter((c) => c === '4').length).toBeGreaterThanOrEqual(2);
      await page.screenshot({ path: join(ARTIFACTS, `tables-counters-${lang}-${theme}.png`) });

      await panel.getByRole('tab', { name: tabs.sockets }).click();
      const listeners = await panel.locator('tbody').first().locator('td:first-child').allTextContents();
      expect(listeners).toEqual(expect.arrayContaining(['*:7', '*:9', '*:23']));
      // Keyboard: arrow keys move between the tabs.
      await panel.getByRole('tab', { name: tabs.sockets }).focus();
      await page.keyboard.press('ArrowLeft');
      await expect.poll(() => panel.getByRole('tab', { name: tabs.counters }).getAttribute('aria-selected')).toBe('true');
      expect(errors).toEqual([]);
      await page.close();
    }, 60_000);
  }
});
