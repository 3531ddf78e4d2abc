/**
 * Solo mode in a real browser: the stack runs in a Web Worker (bundled by Vite,
 * reached through comlink), two hosts ping over the in-memory segment, and the
 * page shows ping's output and the frames on the wire.
 *
 * Also the start page's "Advanced: network" settings, which need no partner:
 * STUN/TURN servers checked line by line, remembered, shown in a new room's
 * status, and stored junk ignored. Only loopback addresses are entered, and a
 * room's creator builds no peer connection until a partner joins, so nothing
 * is ever sent to them.
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
      // Both hosts announced themselves when they came up; then ARP, then the echoes, in the packet list
      // (scrolled off screen in this layout, so it redraws a few times a second: wait for the last echo).
      const rows = page.locator('.packets .row .info-text');
      await expect.poll(async () => (await rows.allTextContents()).filter((i) => i.startsWith('Echo (ping) reply')).length).toBe(4);
      const infos = await rows.allTextContents();
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

  it('network settings: STUN/TURN servers checked line by line, remembered, used by a new room; stored junk ignored', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const warnings: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => (m.type() === 'error' ? errors : m.type() === 'warning' ? warnings : []).push(m.text()));
    await page.goto(`${app.url}?lang=en&theme=light`);
    const start = page.locator('section.start');
    const summary = page.getByTestId('network-summary');
    const servers = page.getByLabel('STUN/TURN servers', { exact: true });
    const urlProblems = page.getByTestId('ice-urls-problems');
    const stored = () => page.evaluate(() => localStorage.getItem('wiretab.ice'));

    // Closed by default, no server; opened from the keyboard.
    await expect.poll(() => summary.textContent()).toBe('No STUN/TURN server: LAN only');
    expect(await servers.isVisible()).toBe(false);
    await page.locator('summary', { hasText: 'Advanced: network' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => servers.isVisible()).toBe(true);

    // Problems show per line once the field is left; nothing is remembered meanwhile.
    await servers.fill('stun:127.0.0.1:3478\nturn:[::1]:99999\nhttp://127.0.0.1');
    expect(await urlProblems.count()).toBe(0); // not while typing
    await page.keyboard.press('Tab');
    await expect.poll(() => urlProblems.textContent()).toContain('Line 2: the port must be a number from 1 to 65535');
    expect(await urlProblems.textContent()).toContain('Line 3: start with stun:, stuns:, turn: or turns:');
    expect(await servers.getAttribute('aria-invalid')).toBe('true');
    expect(await summary.textContent()).toBe('Check these settings');
    expect(await stored()).toBeNull();

    // Creating a room is refused until they are fixed: the page says why and puts the focus on the list.
    await page.getByRole('button', { name: /Create room/ }).click();
    await expect.poll(() => start.getByRole('alert').textContent()).toContain('These network settings have a problem');
    expect(await servers.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByTestId('room-code').count()).toBe(0);
    await expect.poll(() => page.getByTestId('ice-username-problems').textContent()).toBe('A TURN server needs a username.');
    await start.screenshot({ path: join(ARTIFACTS, 'network-settings-problems-en-light.png') });

    // Fixed: remembered at once, normalised.
    await servers.fill('STUN:127.0.0.1:3478\nturn:[::1]:3478?transport=udp');
    await page.getByLabel('TURN username').fill('alice');
    await page.getByLabel('TURN credential').fill('s3cret');
    await page.getByLabel('Relay only').check();
    await expect.poll(() => summary.textContent()).toBe('STUN/TURN servers: 2, relay only');
    expect(await urlProblems.count()).toBe(0);
    expect(JSON.parse((await stored())!)).toEqual({ version: 1, urls: ['stun:127.0.0.1:3478', 'turn:[::1]:3478?transport=udp'], username: 'alice', credential: 's3cret', relayOnly: true });

    // Back after a reload, in Chinese and the dark theme.
    await page.goto(`${app.url}?lang=zh-CN&theme=dark`);
    await expect.poll(() => summary.textContent()).toBe('STUN/TURN 服务器：2 个，仅中继');
    await page.locator('summary', { hasText: '高级：网络' }).click();
    const serversZh = page.getByLabel('STUN/TURN 服务器', { exact: true });
    expect(await serversZh.inputValue()).toBe('stun:127.0.0.1:3478\nturn:[::1]:3478?transport=udp');
    expect(await page.getByLabel('TURN 用户名').inputValue()).toBe('alice');
    expect(await page.getByLabel('仅中继').isChecked()).toBe(true);
    await start.screenshot({ path: join(ARTIFACTS, 'network-settings-zh-CN-dark.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await start.screenshot({ path: join(ARTIFACTS, 'network-settings-phone-zh-CN-dark.png') });
    await page.setViewportSize({ width: 1366, height: 900 });
    await serversZh.fill('stun:127.0.0.1:3478\nturn:[::1]:3478?transport=udp\nstun://127.0.0.1');
    await serversZh.blur();
    await expect.poll(() => urlProblems.textContent()).toContain('第 3 行：协议名后面不要加“//”');
    await start.screenshot({ path: join(ARTIFACTS, 'network-settings-problems-zh-CN-dark.png') });
    await serversZh.fill('stun:127.0.0.1:3478\nturn:[::1]:3478?transport=udp');

    // A new room uses them, and its status says which.
    await page.goto(`${app.url}?lang=en&theme=dark`);
    await page.getByRole('button', { name: /Create room/ }).click();
    await page.getByTestId('room-code').filter({ hasText: /^[2-9A-Z]{3}-[2-9A-Z]{3}$/ }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('ice-servers').textContent()).toContain('stun:127.0.0.1:3478, turn:[::1]:3478?transport=udp');
    expect(await page.getByTestId('ice-relay-only').textContent()).toContain('relay only');
    await page.locator('.room-bar').screenshot({ path: join(ARTIFACTS, 'network-settings-room-status-en-dark.png') });
    await page.getByRole('button', { name: 'Leave room' }).click();

    // Cleared: none again, and a room says so.
    await page.getByTestId('network-settings').locator('summary').click();
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await expect.poll(() => summary.textContent()).toBe('No STUN/TURN server: LAN only');
    await page.getByRole('button', { name: /Create room/ }).click();
    await expect.poll(() => page.getByTestId('ice-servers').textContent(), { timeout: 15_000 }).toContain('none: LAN only');
    expect(await page.getByTestId('ice-relay-only').count()).toBe(0);
    await page.getByRole('button', { name: 'Leave room' }).click();

    // Junk in storage (another version, hand-edited, hostile): ignored with a note in the console, never an error.
    for (const junk of ['{', JSON.stringify({ version: 1, urls: ['javascript:alert(1)'], username: '', credential: '', relayOnly: false }), JSON.stringify({ version: 1, urls: ['turn:[::1]'], username: '', credential: '', relayOnly: true })]) {
      warnings.length = 0;
      await page.evaluate((text) => localStorage.setItem('wiretab.ice', text), junk);
      await page.goto(`${app.url}?lang=en&theme=light`);
      await expect.poll(() => summary.textContent()).toBe('No STUN/TURN server: LAN only');
      expect(warnings.some((w) => w.includes("ignoring the stored network settings (localStorage 'wiretab.ice')"))).toBe(true);
    }
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});
