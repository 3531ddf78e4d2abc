/**
 * The lab's layout in a real browser: one view at a time by default, views
 * switched by clicking and by arrow keys, two side by side, everything on one
 * page, the choice remembered after a reload; panels in hidden views keep
 * their history (the packet list counted the ping while another view showed);
 * a phone in portrait gets one view at a time.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ARTIFACTS, hasChromium, useApp } from './browser';

describe.skipIf(!hasChromium)('lab layout in Chromium', () => {
  const app = useApp();

  it('tabs by default, split and all on demand, remembered across a reload', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${app.url}?solo&lang=en&theme=light`);
    const tab = (name: string) => page.getByRole('tab', { name, exact: true });
    const view = (id: string) => page.locator(`.view[data-view=${id}]`);

    // One view: the link view, with the conditioner and ping.
    await expect.poll(() => tab('Link & ping').getAttribute('aria-selected')).toBe('true');
    expect(await view('link').isVisible()).toBe(true);
    expect(await view('packets').isVisible()).toBe(false);
    const ping = page.locator('.ping-form button[type=submit]');
    await expect.poll(() => ping.isEnabled(), { timeout: 10_000 }).toBe(true);
    await ping.click();
    await expect.poll(() => page.locator('.terminal').textContent(), { timeout: 15_000 }).toContain('rtt min/avg/max/mdev');
    await page.screenshot({ path: join(ARTIFACTS, 'layout-tabs-en-light.png') });

    // The packet list was hidden while the ping ran, and still has every frame.
    await tab('Packets').click();
    expect(await view('packets').isVisible()).toBe(true);
    expect(await view('link').isVisible()).toBe(false);
    await expect.poll(() => page.locator('.view[data-view=packets]').textContent()).toContain('Echo (ping) request');

    // Arrow keys move between views.
    await tab('Packets').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => tab('Connection').getAttribute('aria-selected')).toBe('true');

    // Side by side: web on the right, connection on the left.
    await page.getByRole('button', { name: 'Side by side' }).click();
    await page.getByRole('combobox', { name: 'Right' }).selectOption('web');
    expect(await view('flow').isVisible()).toBe(true);
    expect(await view('web').isVisible()).toBe(true);
    const [left, right] = await Promise.all([view('flow').boundingBox(), view('web').boundingBox()]);
    expect(right!.x).toBeGreaterThan(left!.x + left!.width - 1);
    await page.screenshot({ path: join(ARTIFACTS, 'layout-split-en-light.png') });

    // Remembered after a reload.
    await page.reload();
    await expect.poll(() => page.getByRole('button', { name: 'Side by side' }).getAttribute('aria-pressed')).toBe('true');
    expect(await view('web').isVisible()).toBe(true);
    expect(await view('flow').isVisible()).toBe(true);
    expect(await view('link').isVisible()).toBe(false);

    // Everything: every view at once.
    await page.getByRole('button', { name: 'Everything' }).click();
    for (const id of ['link', 'packets', 'flow', 'sockets', 'web', 'charts', 'host']) expect(await view(id).isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('a phone in portrait shows one view at a time, the tab bar wraps', async () => {
    const context = await app.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(`${app.url}?solo&lang=zh-CN&theme=dark&layout=split&view=packets`);
    // Too narrow for two panes: only the left one shows.
    await expect.poll(() => page.locator('.view[data-view=packets]').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('.view[data-view=link]').isVisible()).toBe(false);
    const bar = await page.locator('.layout-bar').boundingBox();
    expect(bar!.width).toBeLessThanOrEqual(390);
    await page.locator('.view[data-view=packets]').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(ARTIFACTS, 'layout-phone-zh-CN-dark.png') });
    await context.close();
  }, 60_000);
});
