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

  it('a ladder in a closed view waits: opened after a bulk transfer it draws the newest frames, the handshake and the close, and says what it left out', async () => {
    const page = await app.browser.newPage({ viewport: { width: 1366, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${app.url}?solo&lang=en&theme=light&layout=tabs&view=sockets`);
    const panel = page.locator('.bulk');
    await expect.poll(() => panel.locator('button[type=submit]').isEnabled(), { timeout: 10_000 }).toBe(true);
    await panel.locator('select:has(option:text-is("10 MB"))').selectOption({ label: '10 MB' });
    await panel.locator('input[type=radio][value=discard]').check();
    await panel.locator('button[type=submit]').click();
    const result = panel.locator('.bulk-result[data-run="1"]');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.getAttribute('data-ok')).toBe('true');
    // The result comes back as soon as the transfer ends; the trace may still be on its way to the page (at this rate the
    // display runs behind). Wait until every frame has been counted, so they all reached the closed ladder first.
    const seen = () => page.locator('section.lab').first().evaluate((el) => Number(el.getAttribute('data-frames-seen')));
    let before = -1;
    await expect.poll(async () => {
      const [n, prev] = [await seen(), before];
      before = n;
      return n > 7000 && n === prev;
    }, { timeout: 30_000, interval: 500 }).toBe(true);
    // Tens of thousands of events went by while the Connection view was closed; the ladder kept the newest.
    await page.getByRole('tab', { name: 'Connection', exact: true }).click();
    const ladder = page.locator('.flow-ladder');
    await expect.poll(() => ladder.locator('[data-testid=ladder-left-out]').textContent(), { timeout: 10_000 }).toMatch(/Not drawn while this view was closed: [\d,]+ events/);
    await expect.poll(() => ladder.locator('g.arrow').count()).toBeGreaterThan(10);
    // At the bottom (following live): the close, to TIME_WAIT.
    await expect.poll(() => ladder.locator('g.state[data-state=TIME_WAIT]').count()).toBeGreaterThan(0);
    await ladder.screenshot({ path: join(ARTIFACTS, 'ladder-after-closed-view-en-light.png') });
    // At the top: the SYN was kept (relative numbers start from it), and the handshake's states.
    await ladder.locator('.viewport').press('Home');
    await expect.poll(() => ladder.locator('g.arrow[data-label^="SYN seq=0 "]').count()).toBe(1);
    await expect.poll(() => ladder.locator('g.state[data-state=ESTABLISHED]').count()).toBeGreaterThan(0);
    await ladder.screenshot({ path: join(ARTIFACTS, 'ladder-after-closed-view-top-en-light.png') });
    expect(errors).toEqual([]);
    await page.close();
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
